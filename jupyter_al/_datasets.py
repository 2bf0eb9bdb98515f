"""The shared datasets as labeled tables ``jupyter-al simulate`` reads (one per task).

Each builder returns the table and the ``simulate`` options that fit it. Nothing is
downloaded: the folders are the ones in ``../shared/data`` (see their PROVENANCE.md), and
scikit-learn's diabetes table ships inside scikit-learn.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Final

import pandas as pd

from jupyter_al.exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["DATASETS"]

#: The CISI grade names: a pair is either judged relevant or not.
CISI_GRADES: Final = ("not_relevant", "relevant")


def _folder(path: str | None, name: str) -> Path:
    if path is None:
        raise ConfigError(f"dataset {name!r} needs its folder, e.g. ../shared/data/{name}")
    folder = Path(path)
    if not folder.exists():
        raise ConfigError(f"path {str(folder)!r} does not exist (the {name} folder)")
    return folder


def _spans_table(ds: object) -> tuple[pd.DataFrame, str]:
    from jupyter_al.extraction import SpanDataset, spans_to_json

    assert isinstance(ds, SpanDataset)
    frame = pd.DataFrame(
        {
            "text": ds.frame["text"].to_numpy(),
            "spans": [json.dumps(spans_to_json(s)) for s in ds.frame["spans"]],
        }
    )
    types = ",".join(ds.schema.types)
    how = (
        f"--text text --label spans --task extraction --labels {types} "
        f"--span-overlap {ds.schema.overlap}"
    )
    return frame, how


def restaurant8k(path: str | None) -> tuple[pd.DataFrame, str]:
    """Restaurant booking utterances with their slot spans (date, time, people, names)."""
    from jupyter_al.extraction import load_restaurant8k

    return _spans_table(load_restaurant8k(_folder(path, "restaurant8k")))


def nlupp(path: str | None) -> tuple[pd.DataFrame, str]:
    """NLU++ banking utterances with their slot spans."""
    from jupyter_al.extraction import load_nlupp_slots

    return _spans_table(load_nlupp_slots(_folder(path, "nlupp"), domain="banking"))


def cisi(path: str | None) -> tuple[pd.DataFrame, str]:
    """CISI queries with BM25's top 30 documents each, graded 1 when judged relevant.

    Only the queries with at least one relevant document are kept (the others cannot be
    ranked well or badly).
    """
    from jupyter_al.ranking import load_cisi, lookup_grades, make_pairs

    queries, docs, qrels = load_cisi(_folder(path, "cisi"))
    queries = queries[queries["query_id"].isin(qrels["query_id"])]
    pairs = make_pairs(queries, docs, n_candidates=30)
    pairs["grade"] = lookup_grades(pairs, qrels)
    frame = pairs.merge(queries[["query_id", "query"]], on="query_id").merge(
        docs[["doc_id", "text"]], on="doc_id"
    )
    frame["grade"] = [CISI_GRADES[int(g)] for g in frame["grade"]]
    frame = frame[["query_id", "doc_id", "query", "text", "grade"]]
    how = (
        "--task ranking --text text --query query --query-id query_id --label grade "
        f"--labels {','.join(CISI_GRADES)}"
    )
    return frame.reset_index(drop=True), how


def diabetes(path: str | None) -> tuple[pd.DataFrame, str]:
    """scikit-learn's diabetes table: ten measurements, disease progression a year later."""
    from sklearn.datasets import load_diabetes

    if path is not None:
        raise ConfigError(f"dataset 'diabetes' ships with scikit-learn; got a path {path!r}")
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    frame = X.assign(progression=y.to_numpy())
    how = f"--task regression --features {','.join(X.columns)} --label progression"
    return frame, how


#: Name -> builder ``path -> (table, simulate options)``.
DATASETS: Final[dict[str, Callable[[str | None], tuple[pd.DataFrame, str]]]] = {
    "restaurant8k": restaurant8k,
    "nlupp": nlupp,
    "cisi": cisi,
    "diabetes": diabetes,
}
