"""Why a strategy does or does not beat random: what each strategy picked, from the run folders.

Reads the run folders ``jupyter-al simulate`` wrote (``<root>/<dataset>/<strategy>/seed<k>/``:
``events.jsonl`` and ``results.tsv``) and the data the runs were started on, and prints, per
strategy (mean over seeds):

* ``classes``: distinct classes (multilabel: labels) among the labeled items after rounds
  1, 2, 5, 10 and the last one: how fast a strategy discovers the label space;
* ``no-overlap``: share of the picks of rounds >= 2 with no TF-IDF feature in common with the
  items labeled before (the model's probabilities for them are its intercepts only, as flat
  as the labeled class balance allows); the same TF-IDF as the run (the library's
  ``Featurizer``, fitted on the run's pool);
* ``dup``: share of picks whose normalised text equals an item already labeled or picked;
* ``words``: mean number of words of the picked texts (pool mean in the header);
* ``top p``: mean top-class probability the model gave the picks (classification);
* ``minority``: classification, share of picks in the pool's rarest class (SMS: spam);
* ``typical``: mean cosine similarity of a pick to its 10 nearest pool items (TF-IDF; low =
  an atypical item, an outlier of the pool);
* ``oof p(true)`` / ``oof wrong``: classification, how hard a pick is for the full model: its
  true class's probability out of fold, and whether it is misclassified out of fold (5-fold
  cross-validation over the whole file with the library's default model: ambiguous or
  noisily labeled items score low / wrong);
* ``AULC 1st/2nd half``: the AULC over the first and second half of the rounds, paired
  difference with random (mean over seeds), to see whether a gap opens late or early.

Run: ``python benchmarks/diagnose_sim.py [--root benchmarks/out] [--datasets ...]``
(about a minute; reads only).
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from jupyter_al._data import load_frame, normalize_text, parse_labels
from jupyter_al._model import Featurizer
from jupyter_al.metrics import area_under_curve

HERE = Path(__file__).resolve().parent
SHARED = Path("/work/shared/data")
DATA = {
    "sms_spam": (SHARED / "sms_spam" / "SMSSpamCollection.tsv", "SMS", "Label"),
    "banking77": (HERE / "out" / "data" / "banking77_train_test.csv", "text", "category"),
    "nlupp": (HERE / "out" / "data" / "nlupp_banking.jsonl", "text", "intents"),
}
CHECKPOINTS = (1, 2, 5, 10)
NEIGHBOURS = 10


@dataclass
class Run:
    strategy: str
    seed: int
    task: str
    holdout_ids: list[int]
    batches: dict[int, list[int]] = field(default_factory=dict)
    confidences: dict[int, list[float | None]] = field(default_factory=dict)
    labels: dict[int, object] = field(default_factory=dict)
    label_round: dict[int, int] = field(default_factory=dict)
    curve: pd.DataFrame = field(default_factory=pd.DataFrame)


def read_run(folder: Path) -> Run:
    events = [json.loads(line) for line in folder.joinpath("events.jsonl").open()][1:]
    conf = events[0]
    seed = int(re.fullmatch(r"seed(\d+)", folder.name).group(1))  # type: ignore[union-attr]
    run = Run(folder.parent.name, seed, conf["config"]["task"], conf["holdout_ids"] or [])
    for e in events:
        if e["type"] == "batch_selected":
            run.batches[e["round"]] = e["item_ids"]
            run.confidences[e["round"]] = e["confidences"]
        elif e["type"] == "labeled" and e["split"] == "pool":
            run.labels[e["item_id"]] = e["label"]
            run.label_round[e["item_id"]] = e["round"]
    curve = pd.read_csv(folder / "results.tsv", sep="\t")
    run.curve = curve[curve["round"] > 0]
    return run


def out_of_fold(frame: pd.DataFrame, text_col: str, y: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probability of the true class and misclassification, per row of ``frame``."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from jupyter_al._model import default_model

    X = Featurizer.for_text(text_col).fit_transform(frame)
    labels = y.astype(str).to_numpy()
    classes = np.unique(labels)
    cv = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    proba = cross_val_predict(default_model("text"), X, labels, cv=cv, method="predict_proba")
    col = np.searchsorted(classes, labels)
    p_true = proba[np.arange(len(labels)), col]
    wrong = classes[proba.argmax(axis=1)] != labels
    return p_true, wrong


def typicality(X: object, rows: np.ndarray) -> np.ndarray:
    """Mean cosine similarity of ``X[rows]`` to their nearest pool rows (self excluded)."""
    out = np.empty(len(rows))
    for start in range(0, len(rows), 256):
        chunk = rows[start : start + 256]
        S = (X[chunk] @ X.T).toarray()  # type: ignore[index,attr-defined]
        S[np.arange(len(chunk)), chunk] = -1.0
        top = -np.partition(-S, NEIGHBOURS - 1, axis=1)[:, :NEIGHBOURS]
        out[start : start + len(chunk)] = top.mean(axis=1)
    return out


def half_aulcs(curve: pd.DataFrame) -> tuple[float, float]:
    n = curve["n_labeled"].to_numpy(dtype=float)
    v = curve["value"].to_numpy(dtype=float)
    mid = len(n) // 2
    return area_under_curve(n[: mid + 1], v[: mid + 1]), area_under_curve(n[mid:], v[mid:])


def diagnose(name: str, root: Path) -> None:
    path, text_col, label_col = DATA[name]
    folders = sorted(root.glob(f"{name}/*/seed*/events.jsonl"))
    if not folders:
        print(f"### {name}: no runs under {root / name}\n")
        return
    runs = [read_run(f.parent) for f in folders]
    frame = load_frame(path)
    task = runs[0].task
    truth = parse_labels(frame[label_col], task=task, classes=None, argument=label_col)  # type: ignore[arg-type]
    words = frame[text_col].astype(str).str.split().str.len().to_numpy()
    norm = frame[text_col].astype(str).map(normalize_text).to_numpy()
    pool_cache: dict[tuple[int, ...], tuple[pd.Index, object]] = {}
    if task == "classification":
        p_true, oof_wrong = out_of_fold(frame, text_col, truth)

    rows = []
    for run in runs:
        key = tuple(sorted(run.holdout_ids))
        if key not in pool_cache:
            pool = frame.drop(index=list(key))
            X = Featurizer.for_text(text_col).fit_transform(pool)
            pool_cache[key] = (pool.index, X.tocsr())  # type: ignore[union-attr]
        pool_index, X = pool_cache[key]
        pos = pd.Series(np.arange(len(pool_index)), index=pool_index)
        if task == "classification":
            pool_truth = truth.loc[pool_index]
            minority = pool_truth.value_counts().idxmin()
        rounds = sorted(run.batches)
        seen_classes: set[str] = set()
        classes_at: dict[int, int] = {}
        used = np.zeros(X.shape[1], dtype=bool)  # type: ignore[attr-defined]
        seen_text: set[str] = set()
        no_overlap = dup = n_picks = 0
        pick_words: list[int] = []
        tops: list[float] = []
        minority_picks = 0
        later: list[int] = []
        for r in rounds:
            ids = run.batches[r]
            rows_x = X[pos.loc[ids].to_numpy()]  # type: ignore[index]
            if r >= 2:
                for i in range(rows_x.shape[0]):
                    cols = rows_x.indices[rows_x.indptr[i] : rows_x.indptr[i + 1]]
                    no_overlap += int(not used[cols].any())
                n_picks += len(ids)
                later.extend(ids)
                tops.extend(c for c in run.confidences[r] if c is not None)
            for item in ids:
                t = norm[item]
                dup += int(t in seen_text and r >= 2)
                seen_text.add(t)
                pick_words.append(int(words[item]))
                label = truth.loc[item]
                if task == "classification":
                    seen_classes.add(label)
                    minority_picks += int(label == minority)
                else:
                    seen_classes.update(label)
            used[np.unique(rows_x.indices)] = True
            classes_at[r] = len(seen_classes)
        last = rounds[-1]
        a1, a2 = half_aulcs(run.curve)
        row = {
            "strategy": run.strategy,
            "seed": run.seed,
            **{f"classes r{c}": classes_at[c] for c in (*CHECKPOINTS, last) if c in classes_at},
            "no-overlap": no_overlap / max(n_picks, 1),
            "dup": dup / max(n_picks, 1),
            "words": float(np.mean(pick_words)),
            "top p": float(np.mean(tops)) if tops else np.nan,
            "AULC 1st half": a1,
            "AULC 2nd half": a2,
        }
        row["typical"] = float(typicality(X, pos.loc[later].to_numpy()).mean())
        if task == "classification":
            row["minority"] = minority_picks / sum(len(b) for b in run.batches.values())
            row["oof p(true)"] = float(p_true[later].mean())
            row["oof wrong"] = float(oof_wrong[later].mean())
        rows.append(row)
    df = pd.DataFrame(rows)
    base = df[df["strategy"] == "random"].set_index("seed")
    for col in ("AULC 1st half", "AULC 2nd half"):
        df[f"Δ{col.split(' ', 1)[1]}"] = df.apply(
            lambda r, c=col: r[c] - base.loc[r["seed"], c] if r["seed"] in base.index else np.nan,
            axis=1,
        )
    agg = df.drop(columns="seed").groupby("strategy", sort=False).mean()
    n_classes = len({c for v in truth.dropna() for c in (v if isinstance(v, tuple) else (v,))})
    extra = ""
    if task == "classification":
        extra = f"; whole file: oof p(true) {p_true.mean():.3f}, oof wrong {oof_wrong.mean():.3f}"
    print(
        f"### {name} (diagnosis; {len(runs)} runs; {n_classes} classes; "
        f"pool mean words {words.mean():.1f}{extra})\n"
    )
    print(markdown(agg))
    print()


def markdown(df: pd.DataFrame) -> str:
    head = ["strategy", *map(str, df.columns)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, row in df.iterrows():
        cells = [
            f"{v:.1f}" if c.startswith("classes") or c == "words" else f"{v:.3f}"
            for c, v in row.items()
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--root", type=Path, default=HERE / "out")
    p.add_argument("--datasets", nargs="+", default=list(DATA))
    args = p.parse_args()
    for name in args.datasets:
        diagnose(name, args.root)


if __name__ == "__main__":
    main()
