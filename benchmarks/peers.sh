#!/usr/bin/env bash
# Create (or refresh) benchmarks/.venv-peers: a venv for the peer libraries the benchmarks
# compare against, kept out of the project's own dependencies (no `bench` extra on purpose).
#
#   bash benchmarks/peers.sh            # create if missing, install, print versions
#   PYTHON=python3.12 bash benchmarks/peers.sh
#
# Installs modal-python 0.4.2.1 (modAL), small-text 1.4.1, scikit-activeml 1.0.1 and this
# project (editable, so the benchmarks always measure the checkout's code). The benchmark
# scripts call this script on demand. small-text is installed without extras (no torch: its
# scikit-learn classifiers and query strategies are what the benchmarks use).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
venv="$here/.venv-peers"
python="${PYTHON:-python3}"

if [[ ! -x "$venv/bin/python" ]]; then
    echo "creating $venv with $("$python" --version 2>&1)"
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet \
    "modal-python==0.4.2.1" "small-text==1.4.1" "scikit-activeml==1.0.1" -e "$root"
"$venv/bin/python" - <<'PY'
import sys
from importlib.metadata import version

print(f"python {sys.version.split()[0]} at {sys.executable}")
for dist in ("modal-python", "small-text", "scikit-activeml", "jupyter_al", "scikit-learn",
             "numpy", "scipy", "pandas"):
    print(f"{dist} {version(dist)}")
PY
