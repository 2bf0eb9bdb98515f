"""What does the LLM judge cost per item: our bookkeeping, the cache, and a real local model?

Three measurements, each the median of ``--reps`` repetitions:

* ``overhead``: ``Judge.ask`` with a callable that answers at once (no model): prompt
  building, hashing, validation, records; per item, over ``--n`` items.
* ``cache``: the same ``--n`` questions again from the SQLite cache (what a re-run costs).
* ``local``: SmolLM2-135M-Instruct behind llama.cpp's server (``scripts/llm``, one thread) on
  a free loopback port: latency per answer, completion tokens per second end to end, the
  structured-output mode it settled on, and how many answers were valid. Skipped with
  ``--no-local`` or when ``.venv-llm`` is missing.

Usage::

    .venv/bin/python benchmarks/bench_judge.py [--reps 3] [--n 200] [--local-n 10]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import header  # noqa: E402

from jupyter_al.judge import AnswerSpec, Judge, JudgeCache  # noqa: E402
from tests.conftest import make_text_frame  # noqa: E402

SPEC = AnswerSpec(labels=("sports", "tech", "food"))
RUBRIC = "Say which topic the words are about: sports, tech or food."


def _answer(_request: dict[str, object]) -> str:
    return json.dumps({"label": "food", "rationale": "bench", "confidence": 0.5})


def bench_overhead(n: int, reps: int) -> tuple[list[float], list[float]]:
    items = list(enumerate(make_text_frame(n, 0)["text"]))
    fresh, cached = [], []
    for rep in range(reps):
        with tempfile.TemporaryDirectory() as tmp:
            cache = JudgeCache(Path(tmp) / "c.sqlite")
            judge = Judge("bench", fn=_answer, rubric=RUBRIC, rubric_version=f"r{rep}")
            t0 = time.perf_counter()
            judge.ask(items, SPEC, use="evaluation", cache=cache)
            fresh.append((time.perf_counter() - t0) / n)
            t0 = time.perf_counter()
            run = judge.ask(items, SPEC, use="evaluation", cache=cache)
            cached.append((time.perf_counter() - t0) / n)
            assert all(r.cache_hit for r in run.records)
            cache.close()
    return fresh, cached


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_local(n: int, reps: int) -> None:
    script = ROOT / "scripts" / "llm"
    env = {**os.environ, "LLM_LOCAL_DIR": tempfile.mkdtemp(), "LLM_PORT": str(_free_port())}
    subprocess.run([str(script), "start"], env=env, check=True, capture_output=True)
    try:
        url = f"http://127.0.0.1:{env['LLM_PORT']}/v1"
        texts = list(enumerate(make_text_frame(n * reps, 1)["text"]))
        latencies, rates, valid, modes = [], [], 0, set()
        for rep in range(reps):
            judge = Judge(
                "smollm2-135m-instruct",
                base_url=url,
                rubric=RUBRIC,
                rubric_version="bench",
                max_tokens=80,
                concurrency=1,
                timeout=120,
            )
            run = judge.ask(texts[rep * n : (rep + 1) * n], SPEC, use="evaluation")
            for r in run.records:
                latencies.append(r.latency_s)
                if r.latency_s > 0 and r.completion_tokens:
                    rates.append(r.completion_tokens / r.latency_s)
                valid += r.ok
                modes.add(r.format_mode)
        print(
            f"local SmolLM2-135M (1 thread): latency median {statistics.median(latencies):.2f} s "
            f"per answer, {statistics.median(rates):.1f} completion tokens/s end to end, "
            f"{valid}/{len(latencies)} valid answers, format {sorted(modes)}"
        )
    finally:
        subprocess.run([str(script), "stop"], env=env, check=False, capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--local-n", type=int, default=10)
    ap.add_argument("--no-local", action="store_true")
    args = ap.parse_args()
    header("LLM judge: cost per item")
    fresh, cached = bench_overhead(args.n, args.reps)
    print(
        f"overhead per item, instant callable judge: {statistics.median(fresh) * 1e3:.2f} ms "
        f"(reps {[round(x * 1e3, 2) for x in fresh]})"
    )
    print(
        f"cache hit per item: {statistics.median(cached) * 1e3:.2f} ms "
        f"(reps {[round(x * 1e3, 2) for x in cached]})"
    )
    if not args.no_local and (ROOT / ".venv-llm" / "bin" / "python").exists():
        bench_local(args.local_n, args.reps)
    else:
        print("local model: skipped (no .venv-llm; run scripts/llm install)")


if __name__ == "__main__":
    main()
