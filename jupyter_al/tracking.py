"""Experiment tracking: each round's parameters, metrics and files, sent to a tracker.

The run folder is the record of a session (``events.jsonl``, ``results.tsv``, ``notes.md``,
the per-round files); a :class:`Tracker` copies what a round produced into an experiment
tracker as well. Three come built in (``docs/tracking.md``):

- :class:`RunFolderTracker` (``"run_folder"``, also what ``tracker=None`` means): the run
  folder already holds everything, so this tracker records nothing more;
- :class:`MLflowTracker` (``"mlflow"``, extra ``jupyter_al[mlflow]``): a SQLite store and
  an artifact folder inside the run folder, through ``mlflow.MlflowClient`` only (no
  fluent API, so nothing global and nothing in the working directory);
- :class:`WandbTracker` (``"wandb"``, extra ``jupyter_al[wandb]``): an offline W&B run
  whose directories all live inside the run folder; online only when asked for.

Metric names keep their families apart: held-out human-gold metrics as ``gold/<name>``,
judge-assisted metrics as ``judge/<name>``, every other number as ``run/<name>``; each is
logged with ``step`` equal to the round.

Tracking never loses or blocks labeling: :func:`make_tracker` returns a
:class:`TrackerGroup`, which catches what a tracker raises, warns once per tracker with a
:class:`TrackingWarning`, and carries on. The libraries are imported on first use, so
``import jupyter_al.tracking`` is cheap (importing ``mlflow`` takes seconds).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import re
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, get_args, runtime_checkable

from jupyter_al.exceptions import ConfigError

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from mlflow import MlflowClient
    from wandb import Run as WandbRun

__all__ = [
    "TRACKERS",
    "MLflowTracker",
    "RoundInfo",
    "RunFolderTracker",
    "RunInfo",
    "Tracker",
    "TrackerGroup",
    "TrackingWarning",
    "WandbTracker",
    "make_tracker",
    "metric_dict",
]

#: How a session ended: ``"finished"`` (a stopping rule fired or the budget is spent),
#: ``"stopped"`` (ended early by the user; it may be resumed), ``"failed"`` (an error).
Status = Literal["finished", "stopped", "failed"]
#: The names :func:`make_tracker` accepts.
TRACKERS: tuple[str, ...] = ("none", "run_folder", "mlflow", "wandb")
#: Prefix of the tags and summary keys jupyter_al sets in external trackers.
TAG_PREFIX = "jupyter_al."

ParamValue = str | int | float | bool | None


# ---------------------------------------------------------------------------------- records
@dataclass(frozen=True, slots=True)
class RunInfo:
    """What a tracker learns when a session starts or resumes.

    Parameters
    ----------
    run_dir : Path
        The session's run folder; local trackers keep everything inside it.
    session_id : str
        The session's id; external trackers derive their run's identity from it, so that a
        resumed session continues the same external run.
    name : str
        Run name shown by the tracker, e.g. the run folder's name.
    params : Mapping of str to str, int, float, bool or None
        The flattened configuration: ``task``, ``strategy``, ``batch_size``, ``budget.*``,
        ``seed`` ...
    resumed : bool
        True when a saved session was resumed.

    Examples
    --------
    >>> RunInfo(Path("runs/r1"), "3f2a", "r1", {"batch_size": 10}, resumed=False).name
    'r1'
    """

    run_dir: Path
    session_id: str
    name: str
    params: Mapping[str, ParamValue]
    resumed: bool


@dataclass(frozen=True, slots=True)
class RoundInfo:
    """What a tracker gets when a round closes.

    Parameters
    ----------
    round : int
        The round that closed; every metric is logged with this step.
    n_labeled : int
        Labeled items after the round (logged as ``run/n_labeled``).
    gold_metrics : Mapping of str to float
        Metrics against the human-gold held-out labels (logged as ``gold/<name>``).
    judge_metrics : Mapping of str to float
        Metrics computed with LLM-judge labels (logged as ``judge/<name>``); may be empty.
    values : Mapping of str to float
        Other numbers: ``n_batch_labeled``, ``cost``, ``seconds`` ... (``run/<name>``).
    artifacts : Sequence of Path
        Files to attach: ``selection_round_XX.jsonl``, ``annotation_round_XX.jsonl``,
        ``results.tsv``, ``notes.md``.

    Examples
    --------
    >>> info = RoundInfo(0, 20, {"macro_f1": 0.8}, {}, {"cost": 0.0}, ())
    >>> sorted(metric_dict(info))
    ['gold/macro_f1', 'run/cost', 'run/n_labeled']
    """

    round: int
    n_labeled: int
    gold_metrics: Mapping[str, float]
    judge_metrics: Mapping[str, float]
    values: Mapping[str, float]
    artifacts: Sequence[Path]


@runtime_checkable
class Tracker(Protocol):
    """Receives a session's start, each closed round, and its end.

    A tracker may raise; :class:`TrackerGroup` turns that into a warning, so labeling goes
    on. ``start`` is called once per session object (again on resume, with
    ``RunInfo.resumed`` set), ``log_round`` once per closed round, ``finish`` once at the end.
    """

    name: str

    def start(self, run: RunInfo) -> None:
        """Open (or, on resume, reopen) the tracker's run and record the parameters."""

    def log_round(self, info: RoundInfo) -> None:
        """Record a closed round's metrics (``step=info.round``) and files."""

    def finish(self, status: Status) -> None:
        """Close the tracker's run with the session's final status."""


# ------------------------------------------------------------------------------ pure helpers
def _clean_name(name: str) -> str:
    """Return ``name`` with only characters every tracker accepts in a key.

    MLflow allows alphanumerics, ``_ - . /`` and spaces, and refuses names that change under
    path normalisation; the family prefix supplies the only ``/``.
    """
    cleaned = re.sub(r"[^\w.\- ]", "_", str(name)).strip() or "_"
    return "_" if set(cleaned) == {"."} else cleaned


def metric_dict(info: RoundInfo) -> dict[str, float]:
    """Return one round's numbers under their family prefixes.

    Parameters
    ----------
    info : RoundInfo
        The closed round.

    Returns
    -------
    dict of str to float
        ``gold/<name>`` for human-gold metrics, ``judge/<name>`` for judge-assisted ones,
        ``run/<name>`` for every other value, and ``run/n_labeled``.

    Examples
    --------
    >>> info = RoundInfo(2, 30, {"macro_f1": 0.7}, {"macro_f1": 0.75}, {}, ())
    >>> metric_dict(info)
    {'gold/macro_f1': 0.7, 'judge/macro_f1': 0.75, 'run/n_labeled': 30.0}
    """
    out = {f"gold/{_clean_name(k)}": float(v) for k, v in info.gold_metrics.items()}
    out.update({f"judge/{_clean_name(k)}": float(v) for k, v in info.judge_metrics.items()})
    out.update({f"run/{_clean_name(k)}": float(v) for k, v in info.values.items()})
    out["run/n_labeled"] = float(info.n_labeled)
    return out


def _round_dir(round_: int) -> str:
    return f"round_{round_:02d}"


def _truncate(value: str, limit: int) -> str:
    """Return ``value`` cut to ``limit`` characters, ending with a note saying so."""
    if len(value) <= limit:
        return value
    note = f"... [truncated from {len(value)} characters]"
    return value[: limit - len(note)] + note


def _package_version() -> str:
    from jupyter_al import __version__  # why: imported late, jupyter_al imports this module

    return __version__


def _require(module: str, *, tracker: str, extra: str) -> None:
    """Raise a ConfigError naming the extra to install when ``module`` is missing."""
    if importlib.util.find_spec(module) is None:
        raise ConfigError(
            f'tracker="{tracker}" needs the {module!r} package, which is not installed: '
            f'pip install "jupyter_al[{extra}]"'
        )


@contextlib.contextmanager
def _scoped_env(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the duration of a block, then restore them."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


@contextlib.contextmanager
def _quiet_deprecations() -> Iterator[None]:
    """Ignore deprecation warnings the tracking libraries raise about their own code.

    MLflow 3.17's SQL store, for one, uses a loader SQLAlchemy 2.1 deprecates: not the
    user's concern, and an error under ``-W error``. Other warnings pass.
    """
    with warnings.catch_warnings():
        for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.filterwarnings(
                "ignore", category=category, module=r"(mlflow|sqlalchemy|alembic|wandb)(\.|$)"
            )
        yield


# --------------------------------------------------------------------------------- trackers
class RunFolderTracker:
    """The built-in record: the run folder itself; this tracker records nothing more.

    The session already writes ``events.jsonl`` (the truth), ``results.tsv`` (one line per
    round, every metric), ``notes.md`` and the per-round selection and annotation files.
    This no-op exists so that ``tracker=None`` names a concrete tracker.

    Examples
    --------
    >>> RunFolderTracker().name
    'run_folder'
    """

    name: str = "run_folder"

    def start(self, run: RunInfo) -> None:
        """Do nothing: the run folder is written by the session."""

    def log_round(self, info: RoundInfo) -> None:
        """Do nothing: ``results.tsv`` already holds the round."""

    def finish(self, status: Status) -> None:
        """Do nothing: ``events.jsonl`` already records how the session ended."""


class MLflowTracker:
    """Log a session as one MLflow run, by default into a SQLite store in the run folder.

    Uses ``mlflow.MlflowClient`` only (never the fluent ``mlflow.start_run``), so no global
    active run is set and nothing is written to the working directory.

    Parameters
    ----------
    tracking_uri : str or None
        Backend store. None: ``sqlite:///<run_dir>/mlflow/mlflow.db``, with the experiment's
        artifacts in ``<run_dir>/mlflow/artifacts``. ``MLFLOW_TRACKING_URI`` is not read:
        pass it explicitly to log to a server.
    experiment : str
        Experiment name; created when missing.
    run_name : str or None
        Run name; None uses ``RunInfo.name``.
    artifact_location : str or None
        Artifact location of a newly created experiment. None: ``<run_dir>/mlflow/artifacts``
        for the default store, the server's default otherwise.

    Raises
    ------
    ConfigError
        When ``mlflow`` (or, for a SQLite store, ``sqlalchemy``/``alembic``) is not
        installed, naming the extra ``jupyter_al[mlflow]``.

    Notes
    -----
    Parameters are logged once, stringified and cut to MLflow's 6,000-character limit (with
    a note at the end). The run carries the tags ``jupyter_al.session_id`` and
    ``jupyter_al.version``; a resumed session finds its run by the session id and continues
    it. Round files go under the artifact folder ``round_XX/``. The final status maps to
    FINISHED, KILLED (``"stopped"``) or FAILED, and is also the tag ``jupyter_al.status``.

    Examples
    --------
    >>> tracker = MLflowTracker(experiment="reviews")  # doctest: +SKIP
    >>> Session(df, text="review", labels=["pos", "neg"], tracker=tracker)  # doctest: +SKIP
    """

    #: MLflow's limits (``mlflow.utils.validation``): parameter value length, entries per batch.
    MAX_PARAM_LENGTH = 6000
    MAX_BATCH = 100

    def __init__(
        self,
        tracking_uri: str | None = None,
        experiment: str = "jupyter_al",
        run_name: str | None = None,
        *,
        artifact_location: str | None = None,
    ) -> None:
        _require("mlflow", tracker="mlflow", extra="mlflow")
        if tracking_uri is None or tracking_uri.startswith("sqlite:"):
            # why: mlflow-skinny leaves out the SQL store's dependencies
            _require("sqlalchemy", tracker="mlflow", extra="mlflow")
            _require("alembic", tracker="mlflow", extra="mlflow")
        if not experiment:
            raise ConfigError(f"experiment needs a non-empty name, got {experiment!r}")
        self.name = "mlflow"
        self.tracking_uri = tracking_uri
        self.experiment = experiment
        self.run_name = run_name
        self.artifact_location = artifact_location
        self.client_: MlflowClient | None = None
        self.run_id_: str | None = None
        self.tracking_uri_: str | None = None

    def __repr__(self) -> str:
        """Show the store and the run, once started."""
        uri = self.tracking_uri_ or self.tracking_uri or "<run folder>"
        return (
            f"MLflowTracker(tracking_uri={uri!r}, experiment={self.experiment!r}, "
            f"run_id={self.run_id_!r})"
        )

    @_quiet_deprecations()
    def start(self, run: RunInfo) -> None:
        """Create the store, the experiment and the run, or reopen the session's run."""
        from mlflow import MlflowClient
        from mlflow.entities import Param, RunStatus, RunTag

        uri = self.tracking_uri
        artifact_location = self.artifact_location
        if uri is None:
            root = (run.run_dir / "mlflow").resolve()
            root.mkdir(parents=True, exist_ok=True)
            uri = f"sqlite:///{root / 'mlflow.db'}"
            if artifact_location is None:
                artifact_location = str(root / "artifacts")
        client = MlflowClient(tracking_uri=uri)
        experiment_id = self._experiment_id(client, artifact_location)
        tags = {
            f"{TAG_PREFIX}session_id": run.session_id,
            f"{TAG_PREFIX}version": _package_version(),
            f"{TAG_PREFIX}run_dir": str(run.run_dir.resolve()),
        }
        found = client.search_runs(
            [experiment_id],
            filter_string=f"tags.`{TAG_PREFIX}session_id` = '{run.session_id}'",
            max_results=1,
        )
        if found:
            run_id: str = found[0].info.run_id
            client.update_run(run_id, status=RunStatus.to_string(RunStatus.RUNNING))
            logged = set(found[0].data.params)
        else:
            created = client.create_run(experiment_id, run_name=self.run_name or run.name)
            run_id = created.info.run_id
            logged = set()
        params = [
            Param(_clean_name(key), _truncate(str(value), self.MAX_PARAM_LENGTH))
            for key, value in run.params.items()
            if _clean_name(key) not in logged  # why: MLflow refuses to change a logged param
        ]
        tag_list = [RunTag(key, value) for key, value in tags.items()]
        for i in range(0, max(len(params), 1), self.MAX_BATCH):
            client.log_batch(run_id, params=params[i : i + self.MAX_BATCH], tags=tag_list)
            tag_list = []
        self.client_, self.run_id_, self.tracking_uri_ = client, run_id, uri

    def _experiment_id(self, client: MlflowClient, artifact_location: str | None) -> str:
        from mlflow.exceptions import MlflowException

        experiment = client.get_experiment_by_name(self.experiment)
        if experiment is None:
            try:
                return str(
                    client.create_experiment(self.experiment, artifact_location=artifact_location)
                )
            except MlflowException:
                # why: another session sharing the store may have created it meanwhile
                experiment = client.get_experiment_by_name(self.experiment)
                if experiment is None:
                    raise
        if experiment.lifecycle_stage == "deleted":
            client.restore_experiment(experiment.experiment_id)
        return str(experiment.experiment_id)

    def _started(self) -> tuple[MlflowClient, str]:
        if self.client_ is None or self.run_id_ is None:
            raise RuntimeError("MLflowTracker.start() has not been called")
        return self.client_, self.run_id_

    @_quiet_deprecations()
    def log_round(self, info: RoundInfo) -> None:
        """Log the round's metrics with ``step=round`` and its files under ``round_XX/``."""
        from mlflow.entities import Metric

        client, run_id = self._started()
        now = int(time.time() * 1000)
        metrics = [Metric(key, value, now, info.round) for key, value in metric_dict(info).items()]
        client.log_batch(run_id, metrics=metrics)
        for path in info.artifacts:
            client.log_artifact(run_id, str(path), artifact_path=_round_dir(info.round))

    @_quiet_deprecations()
    def finish(self, status: Status) -> None:
        """End the run: FINISHED, KILLED (``"stopped"``) or FAILED."""
        client, run_id = self._started()
        client.set_tag(run_id, f"{TAG_PREFIX}status", status)
        mlflow_status = {"finished": "FINISHED", "stopped": "KILLED", "failed": "FAILED"}[status]
        client.set_terminated(run_id, status=mlflow_status)


#: W&B's directory variables, each pointed at a folder inside ``<run_dir>/wandb``.
_WANDB_DIRS = {
    "WANDB_CACHE_DIR": "cache",
    "WANDB_DATA_DIR": "data",  # artifacts staged for upload: `wandb sync` reads them later
    "WANDB_ARTIFACT_DIR": "artifacts",
    "WANDB_CONFIG_DIR": "config",
}
WandbMode = Literal["offline", "online"]


def wandb_run_id(session_id: str) -> str:
    """Return the W&B run id of a session: stable, so a resumed session continues its run.

    Examples
    --------
    >>> wandb_run_id("3f2a9c01be7d")
    'jal-3f2a9c01be7d'
    """
    return "jal-" + re.sub(r"[^A-Za-z0-9_-]", "-", session_id)[:60]


class WandbTracker:
    """Log a session as one Weights & Biases run, offline unless asked otherwise.

    Parameters
    ----------
    project : str
        W&B project.
    mode : {"offline", "online"}
        ``"offline"`` (default) writes the run to ``<run_dir>/wandb/offline-run-*`` and
        never touches the network; upload it later with ``wandb sync``. ``"online"`` sends
        it to the W&B server the user is logged in to.
    entity : str or None
        W&B entity (user or team); None: the account's default.
    run_name : str or None
        Display name; None uses ``RunInfo.name``.

    Raises
    ------
    ConfigError
        When ``wandb`` is not installed (naming the extra ``jupyter_al[wandb]``), or for an
        unknown ``mode``.

    Notes
    -----
    Every W&B directory is kept inside ``<run_dir>/wandb``: the runs (``dir=``), and
    ``WANDB_CACHE_DIR``, ``WANDB_DATA_DIR`` (artifact staging), ``WANDB_ARTIFACT_DIR`` and,
    offline, ``WANDB_CONFIG_DIR``, set only while a W&B call runs. Online, the user's own
    config folder is kept because it holds the server they logged in to. The run id is
    derived from the session id (:func:`wandb_run_id`) with ``resume="allow"``, so a
    resumed session continues the same run (offline, each session object writes its own
    ``offline-run-*`` folder with that id; ``wandb sync`` uploads them in order into one
    run). ``reinit="create_new"`` leaves any W&B run of the user's own untouched.
    Each round's files are one version of the artifact ``jal-<session_id>`` (type
    ``round-files``) with the alias ``round_XX``.

    Examples
    --------
    >>> tracker = WandbTracker(project="reviews")  # doctest: +SKIP
    >>> Session(df, text="review", labels=["pos", "neg"], tracker=tracker)  # doctest: +SKIP
    """

    def __init__(
        self,
        project: str = "jupyter_al",
        mode: WandbMode = "offline",
        entity: str | None = None,
        run_name: str | None = None,
    ) -> None:
        _require("wandb", tracker="wandb", extra="wandb")
        if mode not in get_args(WandbMode):
            raise ConfigError(f"mode must be one of {get_args(WandbMode)}, got {mode!r}")
        if not project:
            raise ConfigError(f"project needs a non-empty name, got {project!r}")
        self.name = "wandb"
        self.project = project
        self.mode: WandbMode = mode
        self.entity = entity
        self.run_name = run_name
        self.run_: WandbRun | None = None
        self.env_: dict[str, str] = {}
        self.session_id_ = ""

    def __repr__(self) -> str:
        """Show the project, the mode and the run id, once started."""
        run_id = self.run_.id if self.run_ is not None else None
        return f"WandbTracker(project={self.project!r}, mode={self.mode!r}, run_id={run_id!r})"

    @_quiet_deprecations()
    def start(self, run: RunInfo) -> None:
        """Start (or resume) the W&B run with the parameters as its config."""
        import wandb

        root = (run.run_dir / "wandb").resolve()
        env: dict[str, str] = {}
        for var, sub in _WANDB_DIRS.items():
            if var == "WANDB_CONFIG_DIR" and self.mode == "online":
                continue  # why: the user's config folder knows the server they logged in to
            (root / sub).mkdir(parents=True, exist_ok=True)
            env[var] = str(root / sub)
        with _scoped_env(env):
            settings = wandb.Settings(
                mode=self.mode,
                silent=self.mode == "offline",
                console="off",  # why: never copy the notebook's output into the run
                save_code=False,
                disable_git=True,
                reinit="create_new",  # why: leave the user's own active runs alone
            )
            self.run_ = wandb.init(
                project=self.project,
                entity=self.entity,
                dir=str(root.parent),  # W&B adds the "wandb" folder itself
                id=wandb_run_id(run.session_id),
                name=self.run_name or run.name,
                resume="allow",
                config=dict(run.params),
                tags=["jupyter_al"],
                job_type="labeling",
                settings=settings,
            )
            self.run_.summary.update(
                {
                    f"{TAG_PREFIX}session_id": run.session_id,
                    f"{TAG_PREFIX}version": _package_version(),
                }
            )
        self.env_, self.session_id_ = env, run.session_id

    def _started(self) -> WandbRun:
        if self.run_ is None:
            raise RuntimeError("WandbTracker.start() has not been called")
        return self.run_

    @_quiet_deprecations()
    def log_round(self, info: RoundInfo) -> None:
        """Log the round's metrics with ``step=round`` and its files as an artifact version."""
        import wandb

        wb_run = self._started()
        with _scoped_env(self.env_):
            wb_run.log(metric_dict(info), step=info.round)
            if info.artifacts:
                artifact = wandb.Artifact(
                    wandb_run_id(self.session_id_),
                    type="round-files",
                    metadata={"round": info.round},
                )
                for path in info.artifacts:
                    artifact.add_file(str(path), name=Path(path).name)
                wb_run.log_artifact(artifact, aliases=[_round_dir(info.round)])

    @_quiet_deprecations()
    def finish(self, status: Status) -> None:
        """Record the status in the summary and finish the run (exit code 1 if failed)."""
        wb_run = self._started()
        with _scoped_env(self.env_):
            wb_run.summary[f"{TAG_PREFIX}status"] = status
            wb_run.finish(exit_code=1 if status == "failed" else 0)


# ---------------------------------------------------------------------------------- the group
class TrackingWarning(UserWarning):
    """A tracker failed; the session goes on and the run folder still has everything."""


class TrackerGroup:
    """Several trackers behind one, where a tracker's failure never reaches the session.

    Each call goes to every tracker. What a tracker raises (an ``Exception``) is caught and
    reported once per tracker as a :class:`TrackingWarning`; later failures of the same
    tracker are silent. A tracker whose ``start`` failed gets no further calls (it has no
    run to log into); one whose ``log_round`` failed is still called for later rounds.

    Parameters
    ----------
    trackers : Sequence of Tracker
        The trackers, called in this order.

    Examples
    --------
    >>> group = TrackerGroup([RunFolderTracker()])
    >>> group.names
    ('run_folder',)
    """

    name: str = "group"

    def __init__(self, trackers: Sequence[Tracker]) -> None:
        self.trackers: tuple[Tracker, ...] = tuple(trackers)
        self.failed_: dict[str, str] = {}  # tracker name -> first error, for display
        self._warned: set[int] = set()
        self._dead: set[int] = set()

    @property
    def names(self) -> tuple[str, ...]:
        """The trackers' names, in call order."""
        return tuple(t.name for t in self.trackers)

    def __repr__(self) -> str:
        """List the trackers."""
        return f"TrackerGroup({list(self.trackers)!r})"

    def _call(self, step: str, fn_name: str, arg: object) -> None:
        for i, tracker in enumerate(self.trackers):
            if i in self._dead:
                continue
            try:
                getattr(tracker, fn_name)(arg)
            except Exception as exc:  # noqa: BLE001  # why: tracking must never stop labeling
                if fn_name == "start":
                    self._dead.add(i)
                self._warn(i, tracker, step, exc)

    def _warn(self, i: int, tracker: Tracker, step: str, exc: Exception) -> None:
        name = getattr(tracker, "name", type(tracker).__name__)
        self.failed_.setdefault(name, f"{type(exc).__name__}: {exc}")
        if i in self._warned:
            return
        self._warned.add(i)
        warnings.warn(
            f"tracker {name!r} failed in {step} ({type(exc).__name__}: {exc}); labeling goes "
            "on and the run folder keeps every round; further errors of this tracker are "
            "not reported",
            TrackingWarning,
            stacklevel=4,
        )

    def start(self, run: RunInfo) -> None:
        """Start every tracker."""
        self._call("start", "start", run)

    def log_round(self, info: RoundInfo) -> None:
        """Log the round to every tracker that started."""
        self._call(f"log_round (round {info.round})", "log_round", info)

    def finish(self, status: Status) -> None:
        """Finish every tracker that started."""
        self._call(f"finish ({status})", "finish", status)


TrackerSpec = str | Tracker | None


def _one_tracker(spec: str | Tracker | None) -> Tracker:
    if spec is None:
        return RunFolderTracker()
    if isinstance(spec, str):
        key = spec.strip().lower()
        if key in {"none", "run_folder"}:
            return RunFolderTracker()
        if key == "mlflow":
            return MLflowTracker()
        if key == "wandb":
            return WandbTracker()
    elif isinstance(spec, Tracker) and not isinstance(spec, type):  # an instance, not a class
        return spec
    raise ConfigError(
        f"tracker must be None, one of {TRACKERS}, a Tracker (an object with name, start, "
        f"log_round and finish) or a list of those, got {spec!r}"
    )


def make_tracker(
    spec: TrackerSpec | list[TrackerSpec] | tuple[TrackerSpec, ...] = None,
) -> TrackerGroup:
    """Build the session's trackers from the ``tracker=`` argument.

    Parameters
    ----------
    spec : None, str, Tracker, or a list or tuple of those
        None, ``"none"`` or ``"run_folder"``: the run folder only; ``"mlflow"``:
        :class:`MLflowTracker` with its defaults; ``"wandb"``: :class:`WandbTracker`
        (offline); a Tracker instance as it is; a list: all of them.

    Returns
    -------
    TrackerGroup
        Always a group, which never lets a tracker's error through. The run folder tracker
        is always first.

    Raises
    ------
    ConfigError
        For an unknown value (naming ``tracker`` and the allowed values), or when the
        library of a named tracker is not installed (naming the extra to install).

    Examples
    --------
    >>> make_tracker(None).names
    ('run_folder',)
    >>> make_tracker(["none", RunFolderTracker()]).names
    ('run_folder',)
    """
    specs: list[TrackerSpec] = list(spec) if isinstance(spec, list | tuple) else [spec]
    trackers: list[Tracker] = [RunFolderTracker()]
    for item in specs:
        tracker = _one_tracker(item)
        if not isinstance(tracker, RunFolderTracker):
            trackers.append(tracker)
    return TrackerGroup(trackers)
