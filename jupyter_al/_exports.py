"""Per-round files derived from the log: results.tsv, selection/annotation files, notes.md.

They are caches for people and other tools: every one can be written again from the log
(``write_all``). Each file is replaced atomically.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

import pandas as pd

from jupyter_al._events import BatchSelected, Labeled, RoundClosed, RunState, Skipped
from jupyter_al._store import write_atomic

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

RESULTS_FILE = "results.tsv"
NOTES_FILE = "notes.md"
CONFIG_FILE = "config.json"

#: The first columns of results.tsv, in this order.
RESULT_COLUMNS = [
    "round",
    "n_labeled",
    "n_unlabeled",
    "batch_size",
    "strategy",
    "metric",
    "value",
    "model_version",
    "fit_s",
    "eval_s",
    "score_s",
    "select_s",
    "n_batch_labeled",
    "n_batch_skipped",
    "n_holdout_gold",
]


#: The LLM judge's bookkeeping columns of results.tsv (present once a judge has answered).
JUDGE_COLUMNS = ("n_judge_eval", "judge_vs_gold", "n_pseudo", "judge_cost")


def selection_file(round_: int) -> str:
    """Return the name of a round's selection file."""
    return f"selection_round_{round_:02d}.jsonl"


def annotation_file(round_: int) -> str:
    """Return the name of a round's annotation file."""
    return f"annotation_round_{round_:02d}.jsonl"


def _dumps(obj: Mapping[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False, allow_nan=False)


def _provenance(context: Mapping[str, Any] | None, ids: list[Any]) -> Mapping[Any, Any]:
    """Call ``context["provenance"]`` (item ids -> {item id: fields}), if the session gave one.

    Prediction units give their parent id, unit kind, position and offsets this way; the
    fields go into every line of the per-round files.
    """
    func = None if context is None else context.get("provenance")
    return func(ids) if func is not None else {}


def write_selection(
    folder: Path, batch: BatchSelected, context: Mapping[str, Any] | None = None
) -> None:
    """Write ``selection_round_XX.jsonl``: one line per selected item, best first."""
    where = _provenance(context, list(batch.item_ids))
    lines = [
        _dumps(
            {
                "id": item_id,
                **where.get(item_id, {}),
                "prediction": batch.predictions[i],
                "confidence": batch.confidences[i],
                "uncertainty": batch.scores[i],
                "strategy": batch.strategy,
                "reason": batch.reasons[i],
                "rank": i + 1,
                "round": batch.round,
                "cold_start": batch.cold_start,
                "model_version": batch.model_version,
                **(
                    {"interval": batch.intervals[i]}
                    if batch.intervals is not None and i < len(batch.intervals)
                    else {}
                ),
            }
        )
        for i, item_id in enumerate(batch.item_ids)
    ]
    write_atomic(folder / selection_file(batch.round), "".join(line + "\n" for line in lines))


def write_annotations(
    folder: Path, state: RunState, round_: int, context: Mapping[str, Any] | None = None
) -> None:
    """Write ``annotation_round_XX.jsonl``: the round's labels and skips that were not undone."""
    lines = []
    events = state.round_log.get(round_, [])
    where = _provenance(context, [e.item_id for _, e in events])
    for _, event in events:
        if isinstance(event, Labeled):
            lines.append(
                _dumps(
                    {
                        "id": event.item_id,
                        **where.get(event.item_id, {}),
                        "label": event.label,
                        "annotator": event.annotator,
                        "source": event.source,
                        "round": event.round,
                        "timestamp": event.ts,
                        "status": "labeled",
                        "split": event.split,
                    }
                )
            )
        elif isinstance(event, Skipped):
            lines.append(
                _dumps(
                    {
                        "id": event.item_id,
                        **where.get(event.item_id, {}),
                        "label": None,
                        "annotator": event.annotator,
                        "source": "skip",
                        "round": event.round,
                        "timestamp": event.ts,
                        "status": "unsure" if event.reason == "unsure" else "skipped",
                        "split": "pool",
                    }
                )
            )
    write_atomic(folder / annotation_file(round_), "".join(line + "\n" for line in lines))


def results_frame(state: RunState) -> pd.DataFrame:
    """Return one row per closed round (the content of results.tsv)."""
    metric_names: list[str] = []
    for r in state.rounds:
        for name in r.metrics:
            if name not in metric_names:
                metric_names.append(name)
    judge_names: list[str] = []
    for r in state.rounds:
        for name in r.judge_metrics:
            if name not in judge_names:
                judge_names.append(name)
    judged = any(r.judge for r in state.rounds)
    rows = []
    guard_names: list[str] = []
    for r in state.rounds:
        batch = state.batches.get(r.round)
        sel_t = batch.timings if batch is not None else {}
        row: dict[str, Any] = {
            "round": r.round,
            "n_labeled": r.n_labeled,
            "n_unlabeled": r.n_unlabeled,
            "batch_size": r.batch_size,
            "strategy": r.strategy,
            "metric": r.metric,
            "value": r.value if r.value is not None else math.nan,
            "model_version": r.model_version,
            "fit_s": r.timings.get("fit_s", math.nan),
            "eval_s": r.timings.get("eval_s", math.nan),
            "score_s": sel_t.get("score_s", math.nan),
            "select_s": sel_t.get("select_s", math.nan),
            "n_batch_labeled": r.n_batch_labeled,
            "n_batch_skipped": r.n_batch_skipped,
            "n_holdout_gold": r.n_holdout_gold,
        }
        for name in metric_names:
            row[f"metric:{name}"] = r.metrics.get(name, math.nan)
        # judge-assisted: the model against an LLM judge's labels, never human gold
        for name in judge_names:
            row[f"judge:{name}"] = r.judge_metrics.get(name, math.nan)
        if judged:
            for key in JUDGE_COLUMNS:
                value = r.judge.get(key)
                row[key] = math.nan if value is None else value
        row["guards_tripped"] = ",".join(g["name"] for g in r.guards if g.get("tripped"))
        for g in r.guards:
            if g["name"] not in guard_names:
                guard_names.append(g["name"])
            value = g.get("value")
            row[f"guard:{g['name']}"] = math.nan if value is None else value
        rows.append(row)
    columns = (
        RESULT_COLUMNS
        + [f"metric:{n}" for n in metric_names]
        + [f"judge:{n}" for n in judge_names]
        + (list(JUDGE_COLUMNS) if judged else [])
        + ["guards_tripped"]
        + [f"guard:{n}" for n in guard_names]
    )
    return pd.DataFrame(rows, columns=columns)


def write_results(folder: Path, state: RunState) -> None:
    """Write ``results.tsv``."""
    frame = results_frame(state)
    write_atomic(folder / RESULTS_FILE, frame.to_csv(sep="\t", index=False, na_rep="nan"))


def _distribution(counts: Mapping[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return "none yet"
    parts = [f"{k} {v} ({100 * v / total:.0f}%)" for k, v in counts.items()]
    return ", ".join(parts)


def _guard_reading(g: Mapping[str, Any]) -> str:
    value = g.get("value")
    shown = "n/a" if value is None else f"{value:.3g}"
    flag = " TRIPPED" if g.get("tripped") else ""
    return f"{g['name']} {shown} / {g['threshold']:.3g}{flag}"


def notes_text(state: RunState, context: Mapping[str, Any]) -> str:
    """Return notes.md: per round, what changed, in plain sentences."""
    cfg = state.config
    conf = state.configured
    assert cfg is not None
    assert conf is not None
    out = [
        f"# Run {conf.session_id}",
        "",
        (
            f"- task: {cfg.task}; labels: {', '.join(cfg.labels)}; metric: {cfg.metric}; "
            f"strategy: {cfg.strategy}; batch size: {cfg.batch_size}; seed: {conf.seed}"
        ),
        (
            f"- pool: {conf.n_pool} items; initial labels from the data: {conf.n_initial_labels}; "
            f"held-out: {cfg.holdout if cfg.holdout is not None else 'none'}"
        ),
        f"- started {conf.ts} with jupyter_al {conf.version}",
    ]
    out.extend(f"- warning: {warning}" for warning in context.get("warnings", []))
    for resumed in state.resumes:
        out.append(f"- resumed at {resumed.ts} in round {resumed.round}")
        if resumed.damage:
            out.append(f"  - log damage repaired: {resumed.damage}")
    prev: RoundClosed | None = None
    for r in state.rounds:
        out += ["", f"## Round {r.round}", ""]
        if r.round == 0:
            out.append(f"- model trained on the data's own {r.n_labeled} labels")
        else:
            batch = state.batches.get(r.round)
            cold = " (cold start: diverse seed)" if batch is not None and batch.cold_start else ""
            out.append(
                f"- batch of {r.batch_size} by {r.strategy}{cold}: {r.n_batch_labeled} labeled, "
                f"{r.n_batch_skipped} skipped"
            )
        out.append(f"- labeled: {r.n_labeled}; pool left: {r.n_unlabeled}")
        out.append(f"- class distribution: {_distribution(r.class_counts)}")
        if r.value is None:
            out.append(f"- {r.metric}: not evaluated ({r.n_holdout_gold} held-out gold labels)")
        elif prev is not None and prev.value is not None:
            delta = r.value - prev.value
            out.append(
                f"- {r.metric}: {r.value:.4f} ({delta:+.4f} since round {prev.round}) "
                f"on {r.n_holdout_gold} held-out items"
            )
        else:
            out.append(f"- {r.metric}: {r.value:.4f} on {r.n_holdout_gold} held-out items")
        counts = r.class_counts
        if counts and r.n_labeled:
            top, top_n = max(counts.items(), key=lambda kv: kv[1])
            share = top_n / max(sum(counts.values()), 1)
            missing = [k for k, v in counts.items() if v == 0]
            if share > 0.9 and len(counts) > 1:  # why: a plain imbalance alarm
                out.append(f"- warning: {share:.0%} of the labels are {top!r}")
            if missing and len(missing) <= 10:  # why: keep the note short
                out.append(f"- no label yet for: {', '.join(missing)}")
            elif missing:
                out.append(f"- no label yet for {len(missing)} of {len(counts)} classes")
        for warning in r.warnings:
            out.append(f"- warning: {warning}")
        if r.judge_metrics:
            shown = r.judge_metrics.get(r.metric)
            value = "n/a" if shown is None else f"{shown:.4f}"
            out.append(
                f"- judge-assisted (LLM judge labels, NOT human gold): {r.metric} {value} on "
                f"{r.judge.get('n_judge_eval', 0)} held-out items judged"
            )
        if r.judge.get("judge_vs_gold") is not None:
            out.append(
                f"- the LLM judge agreed with human gold on {r.judge['judge_vs_gold']:.1%} of "
                f"{r.judge.get('n_judge_vs_gold', 0)} held-out items"
            )
        if r.judge.get("n_pseudo"):
            out.append(
                f"- trained with {r.judge['n_pseudo']} pseudo-labels from the LLM judge "
                "(excluded from every evaluation)"
            )
        if r.judge.get("judge_cost"):
            out.append(f"- LLM judge spend so far: {r.judge['judge_cost']:.6g}")
        if r.guards:
            readings = "; ".join(_guard_reading(g) for g in r.guards)
            out.append(f"- guards (value / threshold): {readings}")
        prev = r
    if state.judge.calls:
        out += ["", "## LLM judge (its answers are in judge.jsonl, never in the labels)", ""]
        if state.judge.attached is not None:
            judge_conf = state.judge.attached.config
            out.append(
                f"- model {judge_conf.get('model')} at {state.judge.attached.endpoint}; rubric "
                f"version {judge_conf.get('rubric_version')}"
            )
        for call in state.judge.calls:
            stop = f"; stopped: {call.stopped}" if call.stopped else ""
            out.append(
                f"- round {call.round}, {call.use}: {call.n_asked} asked, {len(call.answers)} "
                f"kept, {call.n_failed} failed, {call.n_cache_hits} from the cache, cost "
                f"{call.cost:.6g}, {call.tokens} tokens, {call.seconds:.1f} s{stop}"
            )
    if state.stopped is not None:
        out += ["", "## Stopped", "", f"- {state.stopped.reason} (rule: {state.stopped.rule})"]
    return "\n".join(out) + "\n"


def write_notes(folder: Path, state: RunState, context: Mapping[str, Any]) -> None:
    """Write ``notes.md``."""
    write_atomic(folder / NOTES_FILE, notes_text(state, context))


def write_config(folder: Path, state: RunState) -> None:
    """Write ``config.json`` (the logged configuration, for people)."""
    assert state.configured is not None
    conf = state.configured
    doc = {
        "session_id": conf.session_id,
        "seed": conf.seed,
        "pool_digest": conf.pool_digest,
        "config": conf.config,
    }
    write_atomic(folder / CONFIG_FILE, json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


def write_round_files(
    folder: Path, state: RunState, round_: int, context: Mapping[str, Any]
) -> None:
    """Write what a closed round changes: its annotations, results, notes, next selection."""
    write_annotations(folder, state, round_, context)
    write_results(folder, state)
    write_notes(folder, state, context)


def write_all(folder: Path, state: RunState, context: Mapping[str, Any]) -> None:
    """Write every derived file again from the state."""
    write_config(folder, state)
    for batch in state.batches.values():
        write_selection(folder, batch, context)
    for round_ in sorted(set(state.round_log) | {r.round for r in state.rounds}):
        write_annotations(folder, state, round_, context)
    write_results(folder, state)
    write_notes(folder, state, context)
