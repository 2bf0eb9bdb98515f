"""How long does a team-review round trip take against a real Argilla 2.8 server?

Starts the local stack with ``scripts/argilla`` on free loopback ports (installing it first if
needed), then per repetition, on a fresh session with a 200-item batch:

* ``export``: ``session.to_argilla(dataset)`` into a new dataset (create it with the session's
  settings, upsert 200 records with metadata and suggestions);
* ``pull``: ``session.from_argilla(dataset)`` after one annotator answered every record over
  the REST API (the answering is not timed): read 200 records with their responses, merge 200
  labels into the log (fsync'd), decide, compute agreement.

Prints the medians (and every repetition). Usage::

    .venv/bin/python benchmarks/bench_argilla.py [--reps 5] [--n 200]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _common import header  # noqa: E402

from jupyter_al import Session  # noqa: E402
from tests.conftest import make_text_frame  # noqa: E402

KEY = "owner.apikey-bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    header("Argilla round trip: export a batch and pull it back")
    state = Path(tempfile.mkdtemp(prefix="jal-bench-argilla-"))
    env = {
        **os.environ,
        "ARGILLA_LOCAL_DIR": str(state),
        "ARGILLA_PORT": str(free_port()),
        "SEARCH_PORT": str(free_port()),
        "REDIS_PORT": str(free_port()),
        "ARGILLA_OWNER_API_KEY": KEY,
        "ARGILLA_LOCAL_WORKER": "0",
    }
    url = f"http://127.0.0.1:{env['ARGILLA_PORT']}"
    script = str(ROOT / "scripts" / "argilla")
    subprocess.run([script, "install"], env=env, check=True)
    subprocess.run([script, "start"], env=env, check=True, stdout=subprocess.DEVNULL)
    try:
        h = {"X-Argilla-Api-Key": KEY}
        user = httpx.post(
            f"{url}/api/v1/users",
            headers=h,
            json={
                "first_name": "a",
                "username": "ann",
                "role": "annotator",
                "password": "ann-pass-1",
            },
        ).json()
        ws = httpx.get(f"{url}/api/v1/me/workspaces", headers=h).json()["items"][0]
        httpx.post(
            f"{url}/api/v1/workspaces/{ws['id']}/users", headers=h, json={"user_id": user["id"]}
        )
        ann = {
            "X-Argilla-Api-Key": httpx.get(f"{url}/api/v1/users/{user['id']}", headers=h).json()[
                "api_key"
            ]
        }
        frame = make_text_frame(args.n * 2 + 100, seed=0)
        export_s, pull_s = [], []
        for rep in range(args.reps + 1):  # the first repetition is a warm-up
            with tempfile.TemporaryDirectory() as tmp:
                s = Session(
                    frame,
                    text="text",
                    labels=["sports", "tech", "food"],
                    batch_size=args.n,
                    random_state=rep,
                    store=Path(tmp) / "run",
                )
                batch = s.next_batch()
                name = f"bench-{rep}"
                t0 = time.perf_counter()
                s.to_argilla(name, api_url=url, api_key=KEY)
                t1 = time.perf_counter()
                ds = next(
                    d
                    for d in httpx.get(f"{url}/api/v1/me/datasets", headers=h).json()["items"]
                    if d["name"] == name
                )
                recs = httpx.get(
                    f"{url}/api/v1/datasets/{ds['id']}/records", headers=h, params={"limit": 1000}
                ).json()["items"]
                items = [
                    {
                        "record_id": r["id"],
                        "status": "submitted",
                        "values": {"label": {"value": frame.loc[int(r["external_id"]), "topic"]}},
                    }
                    for r in recs
                ]
                for lo in range(0, len(items), 100):
                    httpx.post(
                        f"{url}/api/v1/me/responses/bulk",
                        headers=ann,
                        json={"items": items[lo : lo + 100]},
                        timeout=120,
                    ).raise_for_status()
                t2 = time.perf_counter()
                summary = s.from_argilla(name, api_url=url, api_key=KEY)
                t3 = time.perf_counter()
                assert summary.merged == len(batch), summary
                s.close()
                if rep:
                    export_s.append(t1 - t0)
                    pull_s.append(t3 - t2)
                    print(f"rep {rep}: export {t1 - t0:.2f} s, pull {t3 - t2:.2f} s")
        print(f"export of a {args.n}-record batch: median {statistics.median(export_s):.2f} s")
        print(f"pull of {args.n} answers back:     median {statistics.median(pull_s):.2f} s")
        print(
            f"round trip (export + pull):        median "
            f"{statistics.median([a + b for a, b in zip(export_s, pull_s, strict=True)]):.2f} s"
        )
    finally:
        subprocess.run([script, "stop"], env=env, check=False)


if __name__ == "__main__":
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        main()
