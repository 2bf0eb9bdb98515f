"""Duplicate groups: the share of the SMS spam pool in duplicate groups, and speed at 100k.

* SMS spam (``../shared/data/sms_spam``): share of the 5,574 messages in exact and in
  near-duplicate groups (default vectors: character 4-gram TF-IDF of the loose texts) at
  three thresholds.
* A synthetic 100k-text pool (5-30 words drawn from the SMS messages' words at their
  frequencies; 5% exact copies with case and
  space changes, 10% near copies with a changed number, punctuation or one word):
  ``find_duplicates(texts)`` and ``cross_duplicates`` of 5k held-out texts against it.
* A synthetic 100k x 384 float32 embedding pool (anisotropic: random pairs at cosine
  about 0.2, like sentence embeddings; 2,000 planted pairs at cosine about 0.95):
  ``similar_pairs`` above ``exact_below`` (LSH), with the recall of the planted pairs.

Times are medians of 3 runs. Run: ``python benchmarks/bench_dedup.py`` (about 3 minutes on
2 cores).
"""

from __future__ import annotations

import csv
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

try:
    from jupyter_al._dedup import cross_duplicates, find_duplicates, similar_pairs
except ModuleNotFoundError:  # a checkout without `pip install -e .`: import it from here
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from jupyter_al._dedup import cross_duplicates, find_duplicates, similar_pairs

SMS = Path(__file__).resolve().parents[2] / "shared" / "data" / "sms_spam" / "SMSSpamCollection.tsv"
REPEATS = 3


def median_time(fn, repeats=REPEATS):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def sms_figures():
    sms = pd.read_csv(SMS, sep="\t", quoting=csv.QUOTE_NONE)["SMS"]
    print(f"SMS spam: {len(sms):,} messages")
    print("| threshold | in exact groups | in near groups | near groups | largest | time |")
    print("|---|---|---|---|---|---|")
    for t in (0.85, 0.9, 0.95):
        seconds, g = median_time(lambda t=t: find_duplicates(sms, threshold=t))
        s = g.summary()
        print(
            f"| {t} | {s['share_in_exact_groups']:.1%} ({s['n_in_exact_groups']}) "
            f"| {s['share_in_groups']:.1%} ({s['n_in_near_groups']}) | {s['n_near_groups']} "
            f"| {s['largest_near_group']} | {seconds:.2f} s |"
        )


def synthetic_texts(n, seed):
    """Texts of 5-30 words drawn from the SMS spam words at their own frequencies."""
    rng = np.random.default_rng(seed)
    sms = pd.read_csv(SMS, sep="\t", quoting=csv.QUOTE_NONE)["SMS"]
    counts = pd.Series(" ".join(sms).split()).value_counts()
    vocab = counts.index.to_numpy()
    weights = counts.to_numpy() / counts.sum()
    lengths = rng.integers(5, 31, n)
    words = rng.choice(vocab, size=int(lengths.sum()), p=weights)
    cuts = np.cumsum(lengths)[:-1]
    texts = [" ".join(part) for part in np.split(words, cuts)]
    n_exact, n_near = n // 20, n // 10
    src = rng.integers(0, n, n_exact + n_near)
    dst = rng.choice(n, n_exact + n_near, replace=False)
    for k, (a, b) in enumerate(zip(src, dst, strict=True)):
        if a == b:
            continue
        if k < n_exact:
            texts[b] = "  " + texts[a].upper()
        else:
            toks = texts[a].split()
            toks[rng.integers(len(toks))] = rng.choice(["call 0800 555 0199", "£250!", "hello"])
            texts[b] = " ".join(toks) + ("!!" if k % 2 else "")
    return texts


def text_pool_figures():
    texts = synthetic_texts(100_000, 0)
    held = synthetic_texts(5_000, 1)
    seconds, g = median_time(lambda: find_duplicates(texts))
    s = g.summary()
    print(
        f"find_duplicates, 100k synthetic texts: {seconds:.1f} s; "
        f"exact {s['share_in_exact_groups']:.1%}, near {s['share_in_groups']:.1%}, "
        f"{s['n_near_groups']:,} near groups"
    )
    seconds, pairs = median_time(lambda: cross_duplicates(held, None, texts, None))
    print(f"cross_duplicates, 5k held-out x 100k pool texts: {seconds:.1f} s; {len(pairs):,} pairs")


def dense_pool_figures():
    rng = np.random.default_rng(0)
    n, d = 100_000, 384
    common = rng.standard_normal(d).astype(np.float32)
    V = rng.standard_normal((n, d), dtype=np.float32) + 0.5 * np.sqrt(d) * common / np.linalg.norm(
        common
    )
    V /= np.linalg.norm(V, axis=1, keepdims=True)
    src = rng.choice(n, 2000, replace=False)
    dst = rng.choice(np.setdiff1d(np.arange(n), src), 2000, replace=False)
    noise = rng.standard_normal((2000, d), dtype=np.float32)
    V[dst] = V[src] + 0.3 * noise / np.linalg.norm(noise, axis=1, keepdims=True)
    V[dst] /= np.linalg.norm(V[dst], axis=1, keepdims=True)
    planted = {(min(a, b), max(a, b)) for a, b in zip(src.tolist(), dst.tolist(), strict=True)}
    seconds, (i, j, _) = median_time(lambda: similar_pairs(V, 0.9))
    found = set(zip(i.tolist(), j.tolist(), strict=True))
    print(
        f"similar_pairs, 100k x 384 dense (LSH), threshold 0.9: {seconds:.1f} s; "
        f"planted pairs recalled {len(planted & found) / len(planted):.2%}, {len(found):,} pairs"
    )
    for size, exact_below in ((20_000, 5_000), (5_000, 5_000)):
        sub = V[:size]
        seconds, _ = median_time(
            lambda sub=sub, e=exact_below: similar_pairs(sub, 0.9, exact_below=e)
        )
        how = "exact all-pairs" if size <= exact_below else "LSH"
        print(f"similar_pairs, {size:,} x 384 dense ({how}), threshold 0.9: {seconds:.1f} s")


def main():
    sms_figures()
    text_pool_figures()
    dense_pool_figures()


if __name__ == "__main__":
    main()
