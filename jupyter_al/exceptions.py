"""Errors raised by jupyter_al.

Every error names the argument or the file it is about, what was expected and what was
received. The tree::

    JupyterALError
    ├── ConfigError (also ValueError)         bad argument, bad data, unknown strategy name
    │   └── LabelError                        a label outside the schema, an unknown item id
    ├── PoolExhaustedError                    nothing left to select
    ├── StoreError                            the run folder
    │   ├── RunLockedError                    another session holds the run folder
    │   ├── StoreCorruptedError               a damaged log line that is not the last one
    │   └── SessionExistsError                a new session pointed at a folder that has one
    ├── SessionStoppedError                   label/submit after a stopping rule fired
    ├── ReplayMismatchError                   replay did not reproduce the run, or the pool differs
    ├── ArgillaError                          a call to the Argilla server failed (names the step)
    │   ├── ArgillaUnavailableError           down, timed out or 5xx after the retries
    │   ├── ArgillaDatasetMissingError        the dataset was deleted on the server
    │   └── ArgillaSchemaError                its fields or question no longer fit the session
    └── JudgeError                            an LLM judge's endpoint refused the request

For a model that is not fitted yet, scikit-learn's ``NotFittedError`` is reused.
"""

from __future__ import annotations

__all__ = [
    "ArgillaDatasetMissingError",
    "ArgillaError",
    "ArgillaSchemaError",
    "ArgillaUnavailableError",
    "ConfigError",
    "JudgeError",
    "JupyterALError",
    "LabelError",
    "PoolExhaustedError",
    "ReplayMismatchError",
    "RunLockedError",
    "SessionExistsError",
    "SessionStoppedError",
    "StoreCorruptedError",
    "StoreError",
]


class JupyterALError(Exception):
    """Base class of every error raised on purpose by jupyter_al."""


class ConfigError(JupyterALError, ValueError):
    """An argument, a configuration value or the data does not fit what was expected."""


class LabelError(ConfigError):
    """A label outside the schema, or an item id that is not in the pool."""


class PoolExhaustedError(JupyterALError):
    """The pool holds no unlabeled item left to select."""


class StoreError(JupyterALError):
    """The run folder cannot be used as asked."""


class RunLockedError(StoreError):
    """Another session (in this or another process) is writing the run folder."""


class StoreCorruptedError(StoreError):
    """The event log is damaged somewhere other than its last line."""


class SessionExistsError(StoreError):
    """A new session was pointed at a run folder that already holds one."""


class SessionStoppedError(JupyterALError):
    """The session has stopped: a stopping rule fired or ``stop()`` was called."""


class ReplayMismatchError(JupyterALError):
    """Replaying the log did not reproduce the recorded batches or metrics."""


class ArgillaError(JupyterALError):
    """Talking to the Argilla server failed; the message names the step that failed."""


class ArgillaUnavailableError(ArgillaError):
    """The server did not answer (down, timed out, or answered 5xx) after the retries."""


class ArgillaDatasetMissingError(ArgillaError):
    """The dataset this session sent records to is no longer on the server."""


class ArgillaSchemaError(ArgillaError):
    """The dataset on the server no longer has the fields or the question this session needs."""


class JudgeError(JupyterALError):
    """An LLM judge's endpoint refused the request (a wrong model, URL or key).

    Transient failures (rate limits, 5xx, timeouts) are retried and, when they last, are
    recorded in the judge's records instead of raised.
    """
