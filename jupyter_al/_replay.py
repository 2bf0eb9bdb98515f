"""``replay``: re-derive every round of a logged run and check it reproduces."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jupyter_al._engine import Fitted, evaluate, fit, select, training_labels
from jupyter_al._events import BatchSelected, Label, RoundClosed, RunState, event_from_dict
from jupyter_al._judging import evaluate_judge, training_set
from jupyter_al._session import _rebuild
from jupyter_al._store import read_log
from jupyter_al.exceptions import ReplayMismatchError

if TYPE_CHECKING:
    import pandas as pd

    from jupyter_al._types import ItemId
    from jupyter_al.strategies import Strategy

__all__ = ["ReplayReport", "replay"]

#: Relative tolerance for scores and metrics (they are logged with 12 significant digits).
RTOL = 1e-9


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """What replay re-derived and where it differed from the log."""

    store: Path
    n_batches: int
    n_rounds: int
    mismatches: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when every batch and every metric was reproduced."""
        return not self.mismatches

    def __str__(self) -> str:
        """Summarise in a few lines."""
        head = f"replay of {self.store}: {self.n_batches} batches and {self.n_rounds} rounds " + (
            "reproduced exactly" if self.ok else f"with {len(self.mismatches)} mismatch(es)"
        )
        return "\n".join([head, *(f"  - {m}" for m in self.mismatches[:20])])


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=RTOL, abs_tol=1e-12)


def _compare_batch(expected: BatchSelected | None, logged: BatchSelected) -> list[str]:
    r = logged.round
    if expected is None:
        return [f"round {r}: the log has a batch of {len(logged.item_ids)}, replay selects none"]
    out = []
    if expected.item_ids != logged.item_ids:
        diff = [i for i in logged.item_ids if i not in set(expected.item_ids)]
        out.append(
            f"round {r}: batch differs ({len(diff)} of {len(logged.item_ids)} items), "
            f"logged {logged.item_ids[:5]}..., replayed {expected.item_ids[:5]}..."
        )
    if expected.strategy != logged.strategy:
        out.append(
            f"round {r}: strategy {logged.strategy!r} logged, {expected.strategy!r} replayed"
        )
    if len(expected.scores) == len(logged.scores) and not all(
        _close(a, b) for a, b in zip(expected.scores, logged.scores, strict=True)
    ):
        out.append(f"round {r}: selection scores differ")
    if expected.predictions != logged.predictions:
        out.append(f"round {r}: predictions differ")
    return out


def _compare_round(
    metrics: dict[str, float],
    n_gold: int,
    labels: dict[ItemId, Label],
    logged: RoundClosed,
    judge_metrics: dict[str, float],
) -> list[str]:
    r = logged.round
    out = []
    if len(labels) != logged.n_labeled:
        out.append(f"round {r}: {logged.n_labeled} labels logged, {len(labels)} replayed")
    if n_gold != logged.n_holdout_gold:
        out.append(f"round {r}: {logged.n_holdout_gold} held-out gold logged, {n_gold} replayed")
    for name, value in logged.metrics.items():
        got = metrics.get(name)
        if not _close(got, value):
            out.append(f"round {r}: {name} logged {value!r}, replayed {got!r}")
    for name, value in logged.judge_metrics.items():
        got = judge_metrics.get(name)
        if not _close(got, value):
            out.append(f"round {r}: judge-assisted {name} logged {value!r}, replayed {got!r}")
    return out


def replay(
    store: str | Path,
    data: pd.DataFrame | str | Path,
    *,
    model: Any = None,
    strategy: str | Strategy | None = None,
    encoder: Any = None,
    check: bool = True,
    splitter: Any = None,
) -> ReplayReport:
    """Re-derive every round of a run from its log and the data, and compare.

    Each round's model is refitted from the labels the log holds at that point (and the LLM
    judge's pseudo-labels that were switched on then: the judge is never called), with the
    seed derived from the run's seed and the round, and the batch and the held-out metrics
    are computed again. Nothing in the run folder is changed.

    Parameters
    ----------
    store : path
        The run folder.
    data : DataFrame or path
        The data the run was started on (checked by digest).
    model, strategy, encoder : optional
        Needed only when the run used your own estimator, strategy function or encoder.
    check : bool
        Raise on the first report with mismatches (default); with False, return it.
    splitter : callable, optional
        The sentence splitter function, when the run used your own (prediction units).

    Returns
    -------
    ReplayReport

    Raises
    ------
    ReplayMismatchError
        When the data differs from the run's pool, or (with ``check``) when a batch or a
        metric was not reproduced.
    """
    folder = Path(store)
    contents = read_log(folder)
    events = [event_from_dict(d) for d in contents.events]
    _, pool, _ = _rebuild(
        folder, events, data, model=model, strategy=strategy, encoder=encoder, splitter=splitter
    )
    state = RunState()
    fitted: Fitted | None = None
    fit_labels: dict[ItemId, Label] | None = None
    mismatches: list[str] = []
    n_batches = n_rounds = 0
    for seq, event in events:
        if isinstance(event, BatchSelected):
            labels = training_labels(pool, state)
            train = training_set(pool, state, labels)
            if fitted is None or fitted.round != event.round - 1 or fit_labels != train:
                fitted = fit(pool, train, event.round - 1)
                fit_labels = train
            expected = select(pool, state, fitted, event.round, labels)
            mismatches += _compare_batch(expected, event)
            n_batches += 1
        elif isinstance(event, RoundClosed):
            labels = training_labels(pool, state)
            train = training_set(pool, state, labels)
            fitted = fit(pool, train, event.round)
            fit_labels = train
            metrics, n_gold = evaluate(pool, fitted, state)
            judge_metrics, _ = evaluate_judge(pool, fitted, state)
            mismatches += _compare_round(metrics, n_gold, labels, event, judge_metrics)
            n_rounds += 1
        state.apply(seq, event)
    report = ReplayReport(folder, n_batches, n_rounds, tuple(mismatches))
    if check and not report.ok:
        raise ReplayMismatchError(str(report))
    return report
