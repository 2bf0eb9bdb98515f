"""Turn the user's data and a Config into a :class:`~jupyter_al._engine.Pool`.

Used by a fresh ``Session``, by ``Session.resume`` and by ``replay``, so that all three build
the same split, the same features and the same model template from the same inputs.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from jupyter_al import metrics as _metrics
from jupyter_al._data import (
    check_item_ids,
    content_digest,
    exact_duplicate_rows,
    exact_duplicates,
    missing_text,
    parse_labels,
    require_columns,
    to_item_id,
)
from jupyter_al._dedup import exact_groups, find_duplicates
from jupyter_al._engine import Pool, shown_strings
from jupyter_al._model import Featurizer, default_model
from jupyter_al._store import write_atomic
from jupyter_al._tasks import UNIT_PROVENANCE, check_model, is_split, parse_label_column
from jupyter_al._tasks import default_model as task_default_model
from jupyter_al._types import OTHER_TASKS
from jupyter_al.exceptions import ConfigError
from jupyter_al.strategies import Strategy, StrategyInfo, get_strategy

if TYPE_CHECKING:
    from collections.abc import Callable

    from jupyter_al._config import Config
    from jupyter_al._events import Label
    from jupyter_al._types import ItemId

#: Where a held-out set given as a DataFrame or file is kept, inside the run folder.
HOLDOUT_FILE = "holdout.jsonl"
SEED_STRATEGY = "diverse_seed"


@dataclass(slots=True)
class Prepared:
    """A pool plus what was found while building it."""

    pool: Pool
    excluded: dict[str, list[ItemId]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    holdout_duplicates: list[tuple[ItemId, ItemId]] = field(default_factory=list)


def shown_columns(config: Config) -> list[str]:
    """Return the columns a person sees and the model learns from (ranking: and the query)."""
    if config.text is None:
        return list(config.features or ())
    extra = [c for c in (config.query, config.query_id) if c is not None and c != config.text]
    return [config.text, *dict.fromkeys(extra)]


def digest_columns(config: Config) -> list[str]:
    """Return the columns whose content identifies a pool (shown ones and label columns)."""
    cols = shown_columns(config)
    if is_split(config):
        cols.extend(UNIT_PROVENANCE)
    for c in (config.label_column, config.gold_column):
        if c is not None and c not in cols:
            cols.append(c)
    return cols


def pool_digest(frame: pd.DataFrame, config: Config) -> str:
    """Return the digest of the data's ids and content, as logged at configuration."""
    return content_digest(frame, digest_columns(config))


def check_frame(frame: pd.DataFrame, config: Config, *, argument: str) -> None:
    """Validate ids and columns of ``frame`` against ``config``."""
    if len(frame) == 0:
        raise ConfigError(f"{argument} is empty: expected at least one row, got 0")
    check_item_ids(frame, argument=argument)
    require_columns(frame, shown_columns(config), argument=argument)
    if argument == "data" and config.label_column is not None:
        require_columns(frame, [config.label_column], argument=argument)


def resolve_model(model: Any, kind: str) -> tuple[Any, str]:
    """Return the estimator template and how the config records it."""
    if model is None:
        return default_model(kind), "default"
    missing = [m for m in ("fit", "predict_proba", "get_params") if not hasattr(model, m)]
    if missing:
        raise ConfigError(
            "model must be a scikit-learn classifier with fit and predict_proba, got "
            f"{type(model).__name__} without {', '.join(missing)}"
        )
    return model, f"{type(model).__module__}.{type(model).__qualname__}"


def resolve_strategy(strategy: str | Strategy, config: Config) -> StrategyInfo:
    """Return the registry entry of the configured strategy."""
    return get_strategy(strategy, config.task)


def holdout_text(frame: pd.DataFrame, config: Config) -> str:
    """Serialise a held-out set's used columns as JSON lines (kept in the run folder)."""
    cols = [c for c in digest_columns(config) if c in frame.columns]
    lines = []
    for item_id, row in zip(frame.index, frame[cols].itertuples(index=False), strict=True):
        values = {c: _json_value(v) for c, v in zip(cols, row, strict=True)}
        lines.append(json.dumps({"id": to_item_id(item_id), "row": values}, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def holdout_from_text(text: str) -> pd.DataFrame:
    """Parse what :func:`holdout_text` wrote."""
    ids: list[ItemId] = []
    rows: list[dict[str, Any]] = []
    for line in text.splitlines():
        if line.strip():
            d = json.loads(line)
            ids.append(d["id"])
            rows.append(d["row"])
    return pd.DataFrame(rows, index=pd.Index(ids))


def save_holdout(folder: Path, text: str) -> None:
    """Keep the held-out set in the run folder (for resume and replay)."""
    write_atomic(folder / HOLDOUT_FILE, text)


def load_saved_holdout(folder: Path) -> pd.DataFrame:
    """Read the held-out set kept by :func:`save_holdout`."""
    return holdout_from_text((folder / HOLDOUT_FILE).read_text(encoding="utf-8"))


def _json_value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, list | tuple | np.ndarray):
        return [_json_value(x) for x in v]
    return v


def infer_labels(
    frame: pd.DataFrame, holdout: pd.DataFrame | None, config_kwargs: dict[str, Any]
) -> tuple[str, ...]:
    """Infer the label schema from the label columns when ``labels`` was not given."""
    from jupyter_al._data import infer_classes

    task = config_kwargs.get("task", "classification")
    sep = config_kwargs.get("label_sep", "|")
    seen: set[str] = set()
    for df, col in (
        (frame, config_kwargs.get("label_column")),
        (holdout if holdout is not None else frame, config_kwargs.get("holdout_label_column")),
    ):
        if col is not None and col in df.columns:
            parsed = parse_labels(df[col], task=task, classes=None, label_sep=sep, argument=col)
            seen |= set(infer_classes(parsed, task))
    if not seen:
        raise ConfigError(
            "labels is required when the data has no label column to infer it from: "
            "pass labels=[...] with at least 2 names"
        )
    return tuple(sorted(seen))


def prepare(
    frame: pd.DataFrame,
    config: Config,
    *,
    seed: int,
    holdout_ids: list[ItemId] | None,
    holdout_frame: pd.DataFrame | None,
    model: Any,
    strategy: str | Strategy,
    progress: Callable[[str], None] | None = None,
) -> Prepared:
    """Build the pool: split, exclusions, labels, features, model template and strategies.

    Parameters
    ----------
    frame : DataFrame
        The data, indexed by item id.
    config : Config
    seed : int
        The run's seed.
    holdout_ids : list, optional
        Ids of ``frame`` fenced off as the held-out set (a fraction split).
    holdout_frame : DataFrame, optional
        An external held-out set.
    model : estimator or None
    strategy : str or callable
    progress : callable, optional
        Called with a short message before each slow step.
    """
    warnings: list[str] = []
    excluded: dict[str, list[ItemId]] = {}
    task, classes = config.task, config.labels
    text = config.text

    def say(msg: str) -> None:
        if progress is not None:
            progress(msg)

    # --- the held-out set: never in the pool
    if holdout_ids is not None:
        hidx = pd.Index(holdout_ids, dtype=frame.index.dtype)
        hframe: pd.DataFrame | None = frame.loc[hidx]
        pool_frame = frame.drop(index=hidx)
    elif holdout_frame is not None:
        check_frame(holdout_frame, config, argument="holdout")
        overlap = frame.index.intersection(holdout_frame.index)
        if len(overlap):
            shown = ", ".join(repr(to_item_id(x)) for x in overlap[:5])
            raise ConfigError(
                f"holdout shares {len(overlap)} item ids with data (e.g. {shown}): a held-out "
                "set must never enter the pool; give it distinct ids or pass a fraction"
            )
        if config.task == "ranking":
            check_query_split(frame, holdout_frame, config)
        hframe = holdout_frame
        pool_frame = frame
    else:
        hframe = None
        pool_frame = frame
        warnings.append(
            "no held-out set: nothing is evaluated and the learning curve stays empty "
            "(pass holdout=0.2, a file or a DataFrame)"
        )

    # --- rows that cannot be shown or learned from
    if text is not None:
        bad = missing_text(pool_frame[text])
        if len(bad):
            excluded["missing_text"] = [to_item_id(x) for x in bad]
            pool_frame = pool_frame.drop(index=bad)
            warnings.append(
                f"{len(bad)} item(s) with empty or missing text in column {text!r} were left "
                f"out of the pool (e.g. {', '.join(repr(to_item_id(x)) for x in bad[:3])})"
            )
        if hframe is not None:
            hbad = missing_text(hframe[text])
            if len(hbad):
                excluded["holdout_missing_text"] = [to_item_id(x) for x in hbad]
                hframe = hframe.drop(index=hbad)
    if config.query is not None:  # ranking: a pair without a query cannot be judged
        bad = missing_text(pool_frame[config.query])
        if len(bad):
            excluded["missing_query"] = [to_item_id(x) for x in bad]
            pool_frame = pool_frame.drop(index=bad)
            shown = ", ".join(repr(to_item_id(x)) for x in bad[:3])
            warnings.append(
                f"{len(bad)} pair(s) with an empty or missing query in column {config.query!r} "
                f"were left out of the pool (e.g. {shown})"
            )
        if hframe is not None:
            hbad = missing_text(hframe[config.query])
            if len(hbad):
                excluded["holdout_missing_query"] = [to_item_id(x) for x in hbad]
                hframe = hframe.drop(index=hbad)
                warnings.append(
                    f"{len(hbad)} held-out pair(s) with an empty or missing query were left out"
                )
    if len(pool_frame) == 0:
        raise ConfigError("data has no usable row left for the pool (all are held out or empty)")

    # --- labels already known
    initial: dict[ItemId, Label] = {}
    other = task in OTHER_TASKS
    if config.label_column is not None and other:
        initial = parse_label_column(
            pool_frame[config.label_column],
            config,
            pool_frame[text] if text is not None else None,
            argument="label_column",
        )
    elif config.label_column is not None:
        parsed = parse_labels(
            pool_frame[config.label_column],
            task=config.class_task,
            classes=classes,
            label_sep=config.label_sep,
            argument="label_column",
        )
        initial = {to_item_id(k): v for k, v in parsed.items() if v is not None}
    gold: dict[ItemId, Label] = {}
    gold_col = config.gold_column
    if hframe is not None and gold_col is not None and gold_col in hframe.columns and other:
        gold = parse_label_column(
            hframe[gold_col],
            config,
            hframe[text] if text is not None else None,
            argument="holdout_label_column",
        )
    elif hframe is not None and gold_col is not None and gold_col in hframe.columns:
        parsed = parse_labels(
            hframe[gold_col],
            task=config.class_task,
            classes=classes,
            label_sep=config.label_sep,
            argument="holdout_label_column",
        )
        gold = {to_item_id(k): v for k, v in parsed.items() if v is not None}
    if hframe is not None and not gold:
        warnings.append(
            "the held-out set has no gold labels yet: label held-out items with "
            "session.label(id, ...) (see session.holdout_ids) or give holdout_label_column"
        )

    # --- exact duplicates between held-out and pool: reported, never silently dropped
    dupes: list[tuple[ItemId, ItemId]] = []
    if hframe is not None and len(hframe):
        if task == "ranking":
            dupes = exact_duplicates(
                pd.Series(shown_strings(hframe, config), index=hframe.index),
                pd.Series(shown_strings(pool_frame, config), index=pool_frame.index),
            )
        elif text is not None:
            dupes = exact_duplicates(hframe[text], pool_frame[text])
        else:
            dupes = exact_duplicate_rows(hframe, pool_frame, shown_columns(config))
        if dupes:
            warnings.append(
                f"{len(dupes)} held-out item(s) have an exact duplicate in the pool (normalised "
                "text); metrics may be optimistic. First pairs (held-out, pool): "
                + ", ".join(f"({a!r}, {b!r})" for a, b in dupes[:3])
            )

    # --- features: fitted on the pool only
    say("computing features")
    featurizer = (
        Featurizer.for_text(text)
        if text is not None
        else Featurizer.for_features(shown_columns(config))
    )
    X = featurizer.fit_transform(pool_frame)
    X_holdout = featurizer.transform(hframe) if hframe is not None and len(hframe) else None
    extra: dict[str, Any] = {}
    if task == "ranking":
        say("computing query-document features")
        X, X_holdout, extra = ranking_features(pool_frame, hframe, config)
    if other:
        if model is not None:
            check_model(model, config)
        model_template = model if model is not None else task_default_model(config)
    else:
        model_template, _ = resolve_model(model, featurizer.kind)
    info = resolve_strategy(strategy, config)
    seed_info = get_strategy(SEED_STRATEGY, task)
    metric_name = _metrics.DEFAULT_METRIC[task] if config.metric == "default" else config.metric
    metric = _metrics.resolve_metric(metric_name, task, classes=classes)
    pool = Pool(
        config=config,
        classes=classes,
        seed=seed,
        ids=pd.Index([to_item_id(x) for x in pool_frame.index]),
        frame=pool_frame,
        X=X,
        initial=initial,
        holdout_ids=(
            pd.Index([to_item_id(x) for x in hframe.index]) if hframe is not None else pd.Index([])
        ),
        X_holdout=X_holdout,
        holdout_gold=gold,
        featurizer=featurizer,
        model=model_template,
        strategy=info,
        seed_strategy=seed_info,
        metric=metric,
        holdout_texts=shown_strings(hframe, config) if hframe is not None else None,
        extra=extra,
    )
    return Prepared(pool=pool, excluded=excluded, warnings=warnings, holdout_duplicates=dupes)


def check_query_split(frame: pd.DataFrame, holdout: pd.DataFrame, config: Config) -> None:
    """Refuse a held-out set of pairs whose queries also have pairs in the data.

    Ranking is evaluated per query, so a held-out query must be unseen: the split is by
    query, never by pair.
    """
    key = config.query_id or config.query
    assert key is not None
    shared = sorted(
        set(frame[key].astype(str)) & set(holdout[key].astype(str)), key=lambda x: (len(x), x)
    )
    if shared:
        raise ConfigError(
            f"holdout shares {len(shared)} queries with data (column {key!r}, e.g. "
            f"{', '.join(repr(q[:40]) for q in shared[:3])}): ranking holds out whole queries; "
            "give the held-out set other queries, or pass a fraction (split by query)"
        )


def ranking_features(
    pool_frame: pd.DataFrame, hframe: pd.DataFrame | None, config: Config
) -> tuple[Any, Any, dict[str, Any]]:
    """Return the pairs' query-document features (pool, held-out) and each pair's query code.

    Documents are the distinct texts of the document column, queries the distinct values of
    ``query_id`` (else of the query text); the BM25 and TF-IDF statistics are fitted on every
    document of the data (pool and held-out: documents are not labels).
    """
    from jupyter_al.ranking import FEATURE_NAMES, build_index, pair_features

    assert config.text is not None
    assert config.query is not None
    frames = [pool_frame] + ([hframe] if hframe is not None and len(hframe) else [])
    both = pd.concat([f[shown_columns(config)] for f in frames])
    doc_codes, doc_texts = pd.factorize(both[config.text].astype(str))
    key = both[config.query_id] if config.query_id is not None else both[config.query]
    q_codes, _ = pd.factorize(key.astype(str))
    first = pd.Series(range(len(both))).groupby(q_codes).first().to_numpy()
    queries = pd.DataFrame(
        {
            "query_id": np.arange(q_codes.max() + 1),
            "query": both[config.query].astype(str).to_numpy()[first],
        }
    )
    docs = pd.DataFrame({"doc_id": np.arange(len(doc_texts)), "text": list(doc_texts)})
    index = build_index(docs)
    pairs = pd.DataFrame({"query_id": q_codes, "doc_id": doc_codes})
    feats = pair_features(pairs, queries, docs, index=index)
    M = feats.loc[:, list(FEATURE_NAMES)].to_numpy(dtype=np.float64)
    n = len(pool_frame)
    extra = {
        "query_codes": np.asarray(q_codes[:n], dtype=np.intp),
        "holdout_query_codes": np.asarray(q_codes[n:], dtype=np.intp),
    }
    return M[:n], (M[n:] if len(M) > n else None), extra


def encoder_name(encoder: Any) -> str:
    """Return how ``Config.encoder`` records an ``encoder=`` argument.

    ``"tfidf"`` and encoder specs are kept as given (and checked); an encoder object or a
    function becomes ``"custom:<its name>"`` (it must be passed again to resume or replay).
    """
    from jupyter_al.embeddings import resolve_encoder

    if encoder is None or (isinstance(encoder, str) and encoder.strip().lower() == "tfidf"):
        return "tfidf"
    if isinstance(encoder, str):
        resolve_encoder(encoder)  # a bad spec fails here, naming the accepted forms
        return encoder.strip()
    resolved = resolve_encoder(encoder)
    if resolved is None:
        return "tfidf"
    return f"custom:{resolved.name or type(encoder).__name__}"


def attach_groups(pool: Pool, *, cache_dir: Path | None, pool_digest: str) -> None:
    """Give the pool its near-duplicate groups, cached in ``cache_dir`` by the pool's digest.

    Text pools: exact groups by normalised text and near groups by loose text and character
    n-gram cosine (:func:`jupyter_al._dedup.find_duplicates`); numeric pools: identical rows.
    A damaged cache file is recomputed.
    """
    kind = "near" if pool.config.text is not None else "rows"
    path = None if cache_dir is None else cache_dir / f"groups-{kind}-{pool_digest[:32]}.npy"
    n = len(pool.ids)
    if path is not None and path.exists():
        try:
            cached = np.load(path, allow_pickle=False)
            if cached.shape == (n,) and cached.dtype.kind == "i":
                pool.groups = cached.astype(np.intp)
                return
        except (OSError, ValueError):
            pass  # unreadable: recompute and replace
    strings = shown_strings(pool.frame, pool.config)
    groups = find_duplicates(strings).near if kind == "near" else exact_groups(strings)
    pool.groups = np.asarray(groups, dtype=np.intp)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.stem + ".tmp.npy")
        np.save(tmp, pool.groups, allow_pickle=False)
        tmp.replace(path)


def attach_vectors(pool: Pool, encoder: Any, *, cache_dir: Path | None, pool_digest: str) -> None:
    """Give the pool its representation for diversity and density (``Config.encoder``).

    TF-IDF needs nothing (the strategies fall back to the features). An encoder's embeddings
    are computed once and cached in ``cache_dir`` by the pool's digest. Near-duplicate groups
    are attached too (:func:`attach_groups`).

    Raises
    ------
    ConfigError
        An encoder for numeric features; a run made with the user's own encoder resumed or
        replayed without passing it again.
    """
    from jupyter_al.embeddings import pool_embeddings, resolve_encoder

    attach_groups(pool, cache_dir=cache_dir, pool_digest=pool_digest)
    name = pool.config.encoder
    if name == "tfidf":
        return
    if pool.config.text is None:
        raise ConfigError(
            f"encoder={name!r} needs a text column: numeric features are their own representation"
        )
    if name.startswith("custom:"):
        if encoder is None or isinstance(encoder, str):
            raise ConfigError(
                f"this run used your own encoder ({name[7:]}); pass encoder= with the same one"
            )
        resolved = resolve_encoder(encoder)
    else:
        resolved = resolve_encoder(name)
    if resolved is None:
        return
    texts = pool.frame[pool.config.text].astype(str).tolist()
    pool.vectors = pool_embeddings(texts, resolved, pool_digest=pool_digest, cache_dir=cache_dir)


def default_store() -> Path:
    """Return a fresh run folder under ``./jal_runs`` (the embedded default)."""
    from datetime import UTC, datetime

    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    base = Path(os.environ.get("JUPYTER_AL_RUNS", "jal_runs"))
    path = base / stamp
    n = 1
    while path.exists():
        n += 1
        path = base / f"{stamp}-{n}"
    return path
