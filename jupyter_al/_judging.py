"""The LLM judge's part of the loop: pure functions over the pool and the folded log.

- :func:`answer_spec`: what the session asks the judge (its label schema);
- :func:`training_set`: people's labels plus, when switched on, the judge's pseudo-labels of
  items no person labeled (people always win);
- :func:`judge_opinions`: the judge's latest opinion of each candidate, for strategies that
  declare ``needs_judge``;
- :func:`evaluate_judge`: judge-assisted metrics (the model against the judge's labels of
  held-out items) and the judge's own agreement with human gold, kept apart from the
  human-gold metrics;
- :func:`triage_shortlist` and the ``judge_triage`` strategy: the most uncertain candidates,
  model/judge disagreements first, confident agreement last;
- ``judge.jsonl``: :func:`append_records` (fsync'd) and :func:`read_records`.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any

import numpy as np

from jupyter_al.judge import AnswerSpec, JudgeRecord
from jupyter_al.strategies import (
    Candidates,
    Selection,
    check_candidates,
    margin_scores,
    mean_max_loss_scores,
    register_strategy,
    top_k,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from pathlib import Path

    from numpy.typing import NDArray

    from jupyter_al._config import Config
    from jupyter_al._engine import Fitted, Pool
    from jupyter_al._events import Label, RunState
    from jupyter_al._types import ItemId

__all__ = [
    "JUDGE_FILE",
    "TRIAGE_FACTOR",
    "answer_spec",
    "append_records",
    "evaluate_judge",
    "judge_opinions",
    "read_records",
    "training_set",
    "triage_shortlist",
]

#: The judge's records in the run folder (one JSON line each, append-only).
JUDGE_FILE = "judge.jsonl"
#: ``judge_triage`` looks at this many times the batch size of the most uncertain candidates.
TRIAGE_FACTOR = 3
#: Uses whose answers count as the judge's opinion of a pool item.
OPINION_USES = ("prioritization", "pseudo-labeling", "adjudication")


def answer_spec(config: Config) -> AnswerSpec:
    """Return what the judge is asked: a label of the session's schema (one, or a set)."""
    return AnswerSpec(
        output_type="label",
        task="multilabel" if config.task == "multilabel" else "classification",
        labels=tuple(config.labels),
        descriptions=tuple(config.label_descriptions),
    )


def training_set(
    pool: Pool, state: RunState, labels: Mapping[ItemId, Label]
) -> dict[ItemId, Label]:
    """Return what the model trains on: ``labels`` plus the pseudo-labels switched on.

    A pseudo-label counts only for a pool item no person labeled; it never reaches the
    held-out set (the session refuses held-out items for pseudo-labeling).
    """
    if not state.judge.pseudo_enabled:
        return dict(labels)
    pseudo = state.judge.pseudo_labels()
    if not pseudo:
        return dict(labels)
    out = dict(labels)
    known = set(pool.ids.tolist()) if len(pseudo) > 64 else None  # why: O(1) lookups
    for item_id, value in pseudo.items():
        if item_id in out:
            continue
        if (item_id in known) if known is not None else (item_id in pool.ids):
            out[item_id] = value
    return out


def n_pseudo_used(state: RunState, labels: Mapping[ItemId, Label]) -> int:
    """Return how many pseudo-labels the model trains on (0 when switched off)."""
    if not state.judge.pseudo_enabled:
        return 0
    return sum(1 for item_id in state.judge.pseudo_labels() if item_id not in labels)


def judge_opinions(pool: Pool, state: RunState, positions: NDArray[np.intp]) -> list[Any]:
    """Return the judge's latest opinion of each candidate (None where it has none)."""
    merged: dict[ItemId, Any] = {}
    for use in OPINION_USES:
        merged.update(state.judge.answers.get(use, {}))
    if not merged:
        return [None] * len(positions)
    ids = pool.ids[positions].tolist()
    return [merged.get(x) for x in ids]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, list | tuple) or isinstance(b, list | tuple):
        return set(a or ()) == set(b or ())
    return bool(a == b)


def evaluate_judge(
    pool: Pool, fitted: Fitted | None, state: RunState
) -> tuple[dict[str, float], dict[str, Any]]:
    """Return judge-assisted metrics and the judge's bookkeeping for a round's close.

    The metrics score the model against the judge's labels of held-out items (what
    ``judge_evaluate`` asked); they are never human gold. ``judge_vs_gold`` is the share of
    held-out items with a human gold label on which the judge gave that same label.
    """
    from jupyter_al._engine import _round_float, holdout_labels, score_holdout

    judged = {
        k: v for k, v in state.judge.answers.get("evaluation", {}).items() if k in pool.holdout_ids
    }
    info: dict[str, Any] = {"n_judge_eval": len(judged)}
    gold = holdout_labels(pool, state)
    both = [k for k in judged if k in gold]
    if both:
        agree = sum(1 for k in both if _same(judged[k], gold[k]))
        info["judge_vs_gold"] = _round_float(agree / len(both))
        info["n_judge_vs_gold"] = len(both)
    if fitted is None or not judged or pool.X_holdout is None:
        return {}, info
    return score_holdout(pool, fitted, judged), info


def _uncertainty(c: Candidates) -> NDArray[np.float64]:
    assert c.proba is not None
    if c.task == "multilabel":
        return mean_max_loss_scores(c.proba)
    return margin_scores(c.proba)


def triage_shortlist(c: Candidates, batch_size: int, rng: np.random.Generator) -> NDArray[np.intp]:
    """Return the positions of the ``TRIAGE_FACTOR * batch_size`` most uncertain candidates."""
    u = _uncertainty(c)
    return top_k(u, min(len(u), TRIAGE_FACTOR * batch_size), rng)


def _prediction(c: Candidates, row: NDArray[np.floating]) -> tuple[Any, float]:
    if c.task == "multilabel":
        on = [c.classes[j] for j in np.flatnonzero(row >= 0.5)]  # why: p >= .5 means on
        return on, float(np.mean(np.maximum(row, 1.0 - row)))
    j = int(np.argmax(row))
    return c.classes[j], float(row[j])


def _shown(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "{" + ", ".join(repr(v) for v in value) + "}"
    return repr(value)


@register_strategy("judge_triage", needs_judge=True)
def _judge_triage(candidates: Candidates, batch_size: int, rng: np.random.Generator) -> Selection:
    """Judge triage: the most uncertain items, model/judge disagreements first.

    Among the ``TRIAGE_FACTOR`` x batch most uncertain candidates (margin; mean max loss
    for multilabel), items where the LLM judge's opinion differs from the model's prediction
    come first, then items the judge has no opinion on, and items where the judge agrees
    with the model come last; within each tier, the more uncertain first. Without a judge
    every item has no opinion and this is margin sampling. The judge's opinion only orders
    what people see: it is never a label.
    """
    k = check_candidates(candidates, batch_size, strategy="judge_triage")
    assert candidates.proba is not None
    P = np.asarray(candidates.proba)
    u = _uncertainty(candidates)
    short = top_k(u, min(len(u), TRIAGE_FACTOR * k), rng)
    opinions = candidates.judge
    tiers = np.ones(len(short), dtype=np.int64)
    preds: list[tuple[Any, float]] = []
    for i, pos in enumerate(short.tolist()):
        pred = _prediction(candidates, P[pos])
        preds.append(pred)
        op = opinions[pos] if opinions is not None else None
        if op is not None:
            tiers[i] = 0 if _same(op, pred[0]) else 2
    order = np.lexsort((-u[short], -tiers))[:k]
    chosen = short[order]
    scores = tiers[order].astype(np.float64) + u[chosen]
    n_short = len(short)
    reasons = []
    for rank, i in enumerate(order.tolist(), start=1):
        pos = int(short[i])
        pred, conf = preds[i]
        op = opinions[pos] if opinions is not None else None
        tail = f"uncertainty {u[pos]:.2f}, rank {rank} of the {n_short} most uncertain"
        if tiers[i] == 2:
            reasons.append(
                f"the model says {_shown(pred)} ({conf:.2f}), the LLM judge says {_shown(op)}: "
                f"a disagreement, shown first ({tail})"
            )
        elif tiers[i] == 0:
            reasons.append(
                f"the LLM judge agrees with the model ({_shown(pred)}, {conf:.2f}): kept for "
                f"last ({tail})"
            )
        else:
            reasons.append(f"no judge opinion; the model says {_shown(pred)} ({conf:.2f}) ({tail})")
    return Selection(chosen, scores, tuple(reasons), "judge_triage")


# ------------------------------------------------------------------------------ judge.jsonl
def append_records(folder: Path, records: Iterable[JudgeRecord]) -> None:
    """Append records to ``judge.jsonl`` and fsync: on disk before the session goes on."""
    lines = "".join(
        json.dumps(r.to_dict(), ensure_ascii=False, allow_nan=False) + "\n" for r in records
    )
    if not lines:
        return
    fd = os.open(folder / JUDGE_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, lines.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def read_records(folder: Path) -> list[JudgeRecord]:
    """Return the records of ``judge.jsonl`` (none when the file does not exist).

    A damaged last line (a crash mid-write) is left out; a damaged line before it raises.
    """
    from jupyter_al.exceptions import StoreCorruptedError

    path = folder / JUDGE_FILE
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    out = []
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            out.append(JudgeRecord.from_dict(json.loads(line)))
        except (json.JSONDecodeError, TypeError) as exc:
            if i == len(lines) - 1:
                break
            raise StoreCorruptedError(f"{path} line {i + 1} is damaged: {exc}") from exc
    return out


def sample_ids(ids: Sequence[ItemId], n: int | None, rng: np.random.Generator) -> list[ItemId]:
    """Return ``n`` of ``ids`` drawn by ``rng`` (all when ``n`` is None or large), in order."""
    if n is None or n >= len(ids):
        return list(ids)
    keep = np.sort(rng.choice(len(ids), size=n, replace=False))
    return [ids[i] for i in keep.tolist()]
