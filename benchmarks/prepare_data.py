"""Convert shared datasets into files ``jupyter-al simulate`` reads, under ``benchmarks/out/data/``.

* ``nlupp_banking.jsonl``: NLU++ banking, the 20 folds in order (fold0 .. fold19), one object
  per line with ``text`` and ``intents`` (the intents joined with ``"|"``). Rows without an
  ``intents`` key ("no intent applies") are dropped: an empty cell is read by the library as
  *unlabeled* (``parse_labels`` turns ``""`` into None), not as "no label applies", so the
  oracle would skip those rows instead of answering "none" and the held-out set would lose
  them silently. The number dropped is printed.
* ``banking77_train_test.csv``: BANKING77 train rows then test rows (columns text, category,
  split). A workaround: ``jupyter-al simulate train.csv --holdout test.csv`` always fails,
  because both files get the ids 0..n-1 and the library refuses a held-out set sharing ids
  with the data. ``simulate_shared.sh`` runs this file with ``--holdout-fraction 0.2354``,
  which holds out 3,080 rows (the size of the official test split), stratified by intent.

SMS spam is read directly from ``/work/shared/data/sms_spam/SMSSpamCollection.tsv``.

Run: ``python benchmarks/prepare_data.py [--shared /work/shared/data] [--out DIR]``.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEP = "|"


def fold_number(path: Path) -> int:
    match = re.fullmatch(r"fold(\d+)\.json", path.name)
    if match is None:
        raise ValueError(f"unexpected file name {path.name!r}")
    return int(match.group(1))


def prepare_nlupp(shared: Path, out: Path) -> None:
    folds = sorted((shared / "nlupp" / "banking").glob("fold*.json"), key=fold_number)
    if not folds:
        raise SystemExit(f"no fold*.json under {shared / 'nlupp' / 'banking'}")
    kept: list[dict[str, str]] = []
    dropped = 0
    counts: collections.Counter[str] = collections.Counter()
    for path in folds:
        for row in json.loads(path.read_text(encoding="utf-8")):
            intents = row.get("intents") or []
            if any(SEP in name for name in intents):
                raise SystemExit(f"{path}: an intent name contains {SEP!r}: {intents!r}")
            if not intents:
                dropped += 1
                continue
            counts.update(intents)
            kept.append({"text": row["text"], "intents": SEP.join(intents)})
    target = out / "nlupp_banking.jsonl"
    with target.open("w", encoding="utf-8") as f:
        for row in kept:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    n_labels = sum(counts.values())
    print(
        f"{target}: {len(kept)} rows from {len(folds)} folds, {len(counts)} intents, "
        f"{n_labels / len(kept):.2f} intents per row; dropped {dropped} rows without intents "
        "(an empty cell means 'unlabeled' to the library, not 'no intent applies')"
    )


def prepare_banking77(shared: Path, out: Path) -> None:
    source = shared / "banking77"
    rows: list[dict[str, str]] = []
    for split in ("train", "test"):
        with (source / f"{split}.csv").open(encoding="utf-8", newline="") as f:
            part = [{**row, "split": split} for row in csv.DictReader(f)]
        print(f"{source / f'{split}.csv'}: {len(part)} rows")
        rows.extend(part)
    target = out / "banking77_train_test.csv"
    with target.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["text", "category", "split"])
        writer.writeheader()
        writer.writerows(rows)
    n_test = sum(r["split"] == "test" for r in rows)
    print(
        f"{target}: {len(rows)} rows; --holdout-fraction {n_test / len(rows):.4f} holds out "
        f"as many rows as the official test split ({n_test})"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--shared", type=Path, default=Path("/work/shared/data"))
    p.add_argument("--out", type=Path, default=HERE / "out" / "data")
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    prepare_nlupp(args.shared, args.out)
    prepare_banking77(args.shared, args.out)


if __name__ == "__main__":
    main()
