"""jupyter_al: active-learning labeling in the notebook.

One stateful :class:`Session` owns the loop (select, label, retrain, evaluate, repeat) and an
append-only log in its run folder, so every round can be resumed and replayed exactly.

Examples
--------
>>> from jupyter_al import Session, replay, simulate
>>> callable(replay) and callable(simulate) and Session.resume is not None
True
"""

from __future__ import annotations

from jupyter_al._config import Budget, Config
from jupyter_al._replay import ReplayReport, replay
from jupyter_al._session import RoundResult, Session
from jupyter_al._simulate import compare_strategies, simulate

__version__ = "0.1.0.dev0"

__all__ = [
    "Budget",
    "Config",
    "ReplayReport",
    "RoundResult",
    "Session",
    "__version__",
    "compare_strategies",
    "replay",
    "simulate",
]
