"""Shared plumbing of the benchmark scripts (not a benchmark itself).

* :func:`header` prints the exact command line and the environment (versions, cores, load,
  BLAS thread pools), so that a pasted output says where it was measured;
* :func:`use_peers_venv` re-runs the calling script inside ``benchmarks/.venv-peers`` (made by
  ``peers.sh`` on first use) when a peer library is missing, so the peers never become
  dependencies of the project;
* :func:`shim_modal` makes modAL 0.4.2.1 work with scikit-learn >= 1.8 in this process only;
* :func:`rotated` yields the arms of a repetition in an order rotated every repetition.

Timing rules every script follows: all arms run in the same process on the same data, in an
order rotated every repetition, after one untimed warm-up repetition; reported figures are
medians, and ratios are medians of per-repetition ratios (robust to load drifting on a noisy
2-core machine). Timings never go into tests.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import platform
import shlex
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PEERS_VENV = HERE / ".venv-peers"
_REEXEC_FLAG = "JAL_BENCH_IN_PEERS_VENV"

T = TypeVar("T")


def use_peers_venv(module: str) -> None:
    """Make sure ``module`` (a peer library) can be imported, re-executing in the peers venv.

    When ``module`` is missing from the running interpreter, ``benchmarks/peers.sh`` creates
    ``benchmarks/.venv-peers`` (if needed) and the calling script is started again with that
    venv's python and the same arguments.
    """
    if importlib.util.find_spec(module) is not None:
        return
    python = PEERS_VENV / "bin" / "python"
    if os.environ.get(_REEXEC_FLAG):
        raise SystemExit(f"{module} is still missing in {PEERS_VENV}; run benchmarks/peers.sh")
    if not python.exists():
        print(f"{module} not found: creating {PEERS_VENV} with benchmarks/peers.sh", flush=True)
        subprocess.run(["bash", str(HERE / "peers.sh")], check=True)
    script = str(Path(sys.argv[0]).resolve())
    print(f"re-running with {python}", flush=True)
    os.execve(python, [str(python), script, *sys.argv[1:]], {**os.environ, _REEXEC_FLAG: "1"})


def _dist_version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "-"


def header(title: str) -> None:
    """Print the command, interpreter, library versions, cores, load and BLAS threads."""
    print(f"# {title}")
    print("$", shlex.join(sys.orig_argv))
    print(f"python {platform.python_version()} ({sys.executable}) on {platform.platform()}")
    dists = ("numpy", "scipy", "scikit-learn", "pandas", "jupyter_al", "modal-python")
    print("versions: " + ", ".join(f"{d} {_dist_version(d)}" for d in dists))
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"cores: os.cpu_count()={os.cpu_count()}, usable={affinity}; loadavg (1/5/15 min): {load}"
    )
    try:
        from threadpoolctl import threadpool_info

        pools = "; ".join(
            f"{p['internal_api']} {p.get('version') or ''} x{p['num_threads']}".replace("  ", " ")
            for p in threadpool_info()
        )
        print(f"thread pools: {pools or 'none loaded yet'}")
    except ImportError:
        pass
    blas_env = {k: v for k, v in os.environ.items() if k.startswith(("OPENBLAS", "OMP_", "MKL_"))}
    print(f"BLAS/OpenMP environment: {blas_env or 'none set'}")
    print(flush=True)


def load_line() -> str:
    """The 1-minute load average now, for the end of a run (load drifts during a run)."""
    return f"loadavg now: {', '.join(f'{x:.2f}' for x in os.getloadavg())}"


def shim_modal() -> str:
    """Let modAL 0.4.2.1 run on scikit-learn >= 1.8, in this process only; say what was done.

    modAL's ``ActiveLearner.teach`` calls ``sklearn.utils.check_X_y(..., force_all_finite=...)``;
    scikit-learn renamed that keyword ``ensure_all_finite`` (1.6) and removed the old name, so
    ``teach`` raises TypeError. The shim replaces the name ``check_X_y`` inside
    ``modAL.models.learners`` with a wrapper that renames the keyword and calls the real
    ``check_X_y`` unchanged. Nothing on disk is modified.
    """
    from modAL.models import learners
    from sklearn.utils import check_X_y

    if "force_all_finite" in inspect.signature(check_X_y).parameters:
        return "modAL shim: not needed (this scikit-learn still accepts force_all_finite=)"

    def check_x_y_renamed(*args: object, force_all_finite: bool = True, **kwargs: object) -> object:
        return check_X_y(*args, ensure_all_finite=force_all_finite, **kwargs)

    learners.check_X_y = check_x_y_renamed
    return (
        "modAL shim (this process only): modAL.models.learners.check_X_y now renames "
        "force_all_finite= to ensure_all_finite= before calling scikit-learn's check_X_y, "
        "which scikit-learn 1.9 no longer accepts; the check itself is unchanged"
    )


def rotated(items: Sequence[T], rep: int) -> Iterator[T]:
    """``items`` starting at position ``rep % len(items)`` (A B C, B C A, C A B, ...)."""
    shift = rep % len(items)
    yield from items[shift:]
    yield from items[:shift]
