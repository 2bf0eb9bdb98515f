"""``simulate``: run the whole loop with the true labels as the annotator.

It writes the same run folder a person's session writes, so strategies can be compared on
data that is already labeled before spending a real budget.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from jupyter_al import metrics as _metrics
from jupyter_al._config import Budget
from jupyter_al._data import load_frame, parse_labels, require_columns, to_item_id
from jupyter_al._engine import evaluate, fit
from jupyter_al._session import Session
from jupyter_al._tasks import parse_label_column
from jupyter_al._types import OTHER_TASKS
from jupyter_al.exceptions import SessionStoppedError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from jupyter_al._events import Label
    from jupyter_al._types import AnyTask, ItemId
    from jupyter_al.strategies import Strategy

__all__ = ["SimulationSummary", "compare_strategies", "full_data_score", "simulate"]


def simulate(
    data: pd.DataFrame | str | Path,
    *,
    oracle: str,
    text: str | None = None,
    features: Sequence[str] | None = None,
    labels: Sequence[str] | None = None,
    task: AnyTask = "classification",
    label_sep: str = "|",
    holdout: float | str | Path | pd.DataFrame | None = 0.2,
    metric: str = "default",
    strategy: str | Strategy = "default",
    batch_size: int = 10,
    rounds: int | None = None,
    budget: Budget | Mapping[str, Any] | int | None = None,
    model: Any = None,
    store: str | Path | None = None,
    random_state: int | None = 0,
    **session_kwargs: Any,
) -> Session:
    """Run an active-learning loop where the ``oracle`` column answers every query.

    Parameters
    ----------
    data : DataFrame or path
        Labeled data; the pool's labels are hidden from the session and revealed one query
        at a time, as a person would give them.
    oracle : str
        The column with the true labels (also the held-out set's gold labels).
    rounds : int, optional
        Shorthand for ``budget=Budget(max_rounds=rounds)``.

    Other Parameters
    ----------------
        As for :class:`~jupyter_al.Session`.

    Returns
    -------
    Session
        The stopped (and closed) session: ``rounds``, ``learning_curve()``, ``stop_reason``.

    Examples
    --------
    >>> import pandas as pd, tempfile
    >>> from jupyter_al import simulate
    >>> df = pd.DataFrame({"text": ["good", "bad", "fine", "awful"] * 15,
    ...                    "y": ["pos", "neg", "pos", "neg"] * 15})
    >>> s = simulate(df, oracle="y", text="text", batch_size=4, rounds=3,
    ...              store=tempfile.mkdtemp())
    >>> len(s.rounds)
    3
    """
    frame = load_frame(data, argument="data")
    require_columns(frame, [oracle], argument="data")
    if rounds is not None:
        if budget is not None:
            raise TypeError("pass either rounds= or budget=, not both")
        budget = Budget(max_rounds=rounds)
    session = Session(
        frame,
        text=text,
        features=features,
        labels=labels,
        task=task,
        label_sep=label_sep,
        holdout=holdout,
        holdout_label_column=oracle,
        metric=metric,
        strategy=strategy,
        batch_size=batch_size,
        budget=budget,
        model=model,
        store=store,
        random_state=random_state,
        annotator="oracle",
        **session_kwargs,
    )
    try:
        answers: dict[ItemId, Any]
        if task in OTHER_TASKS:
            shown = frame[text] if text is not None else None
            answers = parse_label_column(frame[oracle], session.config, shown, argument="oracle")
        else:
            truth = parse_labels(
                frame[oracle],
                task=session.config.class_task,
                classes=session.classes,
                label_sep=label_sep,
                argument="oracle",
            )
            answers = {to_item_id(k): v for k, v in truth.items()}
        while not session.stopped:
            try:
                batch = session.next_batch()
            except SessionStoppedError:  # the pool ran out when the batch was selected
                break
            for item_id in batch.index:
                answer = answers.get(to_item_id(item_id))
                if answer is None:
                    session.skip(item_id)
                else:
                    session.label(item_id, answer, source="simulation")
            session.submit()
    finally:
        session.close()
    return session


def full_data_score(session: Session, data: pd.DataFrame, oracle: str) -> float | None:
    """Return the metric of a model fitted on the whole pool with the oracle's labels.

    The reference a simulation's learning curve is compared to ("95% of the full-data
    score").
    """
    pool = session._pool  # why: the simulation reads its own session's pool
    cfg = session.config
    answers: dict[ItemId, Any]
    if cfg.task in OTHER_TASKS:
        shown = data[cfg.text] if cfg.text is not None else None
        answers = parse_label_column(data[oracle], cfg, shown, argument="oracle")
    else:
        truth = parse_labels(
            data[oracle],
            task=cfg.class_task,
            classes=session.classes,
            label_sep=cfg.label_sep,
            argument="oracle",
        )
        answers = {to_item_id(k): v for k, v in truth.items()}
    labels: dict[ItemId, Label] = {}
    for i in pool.ids:
        answer = answers.get(i)
        if answer is not None:
            labels[i] = answer
    fitted = fit(pool, labels, 10**6)
    metrics, _ = evaluate(pool, fitted, session._state)  # why: as above
    value = metrics.get(pool.metric)
    return None if value is None else float(value)


@dataclass(frozen=True, slots=True)
class SimulationSummary:
    """One simulated run's headline numbers."""

    strategy: str
    seed: int
    aulc: float | None
    final: float | None
    full_data: float | None
    labels_to_95: int | None
    n_labels: int
    n_rounds: int
    seconds: float
    store: Path


def summarize(
    session: Session, strategy: str, seed: int, full: float | None, seconds: float
) -> SimulationSummary:
    """Return the headline numbers of a finished simulated session."""
    rounds = session.rounds.dropna(subset=["value"])
    rounds = rounds[rounds["round"] > 0]
    n = rounds["n_labeled"].to_numpy(dtype=np.float64)
    v = rounds["value"].to_numpy(dtype=np.float64)
    metric = session.metric
    aulc = _metrics.area_under_curve(n, v) if len(v) else None
    to95: int | None = None
    if full is not None and len(v):
        target = 0.95 * full if _metrics.higher_is_better(metric) else full / 0.95
        if _metrics.higher_is_better(metric):
            to95 = _metrics.labels_to_reach(n, v, target)
        else:
            to95 = _metrics.labels_to_reach(n, -v, -target)
    return SimulationSummary(
        strategy=strategy,
        seed=seed,
        aulc=aulc,
        final=float(v[-1]) if len(v) else None,
        full_data=full,
        labels_to_95=to95,
        n_labels=int(n[-1]) if len(n) else 0,
        n_rounds=len(rounds),
        seconds=seconds,
        store=session.store,
    )


def compare_strategies(
    data: pd.DataFrame | str | Path,
    *,
    oracle: str,
    strategies: Sequence[str],
    seeds: Sequence[int],
    out: str | Path,
    progress: Callable[[str], None] | None = None,
    **kwargs: Any,
) -> tuple[pd.DataFrame, dict[str, list[pd.DataFrame]], dict[int, float | None]]:
    """Simulate every strategy with every seed into ``out/<strategy>/seed<k>/``.

    Returns
    -------
    summary : DataFrame
        One row per (strategy, seed): aulc, final metric, labels to 95% of full data, ...
    curves : dict
        Strategy -> the rounds table of each seed.
    full : dict
        Seed -> the full-data score.
    """
    frame = load_frame(data, argument="data")
    out = Path(out)
    rows: list[SimulationSummary] = []
    curves: dict[str, list[pd.DataFrame]] = {}
    full: dict[int, float | None] = {}
    for seed in seeds:
        for name in strategies:
            t0 = time.perf_counter()
            session = simulate(
                frame,
                oracle=oracle,
                strategy=name,
                random_state=seed,
                store=out / name / f"seed{seed}",
                **kwargs,
            )
            seconds = time.perf_counter() - t0
            if seed not in full:
                full[seed] = full_data_score(session, frame, oracle)
            summary = summarize(session, name, seed, full[seed], seconds)
            rows.append(summary)
            curves.setdefault(name, []).append(session.rounds[session.rounds["round"] > 0])
            if progress is not None:
                aulc = "n/a" if summary.aulc is None else f"{summary.aulc:.4f}"
                progress(
                    f"{name} seed {seed}: aulc {aulc}, final {summary.final}, "
                    f"{summary.n_labels} labels, {seconds:.1f} s"
                )
    table = pd.DataFrame(
        [
            {
                "strategy": r.strategy,
                "seed": r.seed,
                "aulc": r.aulc,
                "final_metric": r.final,
                "labels_to_95pct_full": r.labels_to_95,
                "full_data_metric": r.full_data,
                "n_labels": r.n_labels,
                "n_rounds": r.n_rounds,
                "seconds": round(r.seconds, 2),
            }
            for r in rows
        ]
    )
    return table, curves, full
