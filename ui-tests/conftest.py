"""Browser-test fixtures: JupyterLab or Notebook 7 on a free loopback port, and Debian's
chromium driven by Playwright (never Playwright's own browser download)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))
from tests.conftest import free_port, make_text_frame  # noqa: E402  # why: shared helpers

CHROMIUM = os.environ.get("JAL_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# the flags of ../shared/recipes/ui: no sandbox as root, and no background network calls
CHROME_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HOSTILE = [
    '<img src=x onerror="window.__pwned = 1">',
    "<script>window.__pwned = 1</script> hello",
    "a very long line " + "without a break " * 200,
    "مرحبا بالعالم، هذا نص من اليمين إلى اليسار",  # right-to-left text
    "emoji 🎉🔥 and zero-width\u200b joiner 👩‍💻",
]


def notebook(cells: list[str]) -> Any:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    return nb


def write_root(root: Path) -> None:
    """The server's folder: a pool, a hostile pool, and the notebooks the tests run."""
    make_text_frame(200, 5).to_csv(root / "pool.csv")
    hostile = make_text_frame(12, 6)
    hostile.loc[: len(HOSTILE) - 1, "text"] = HOSTILE
    hostile.to_csv(root / "hostile.csv")
    setup = (
        "import pandas as pd\nfrom jupyter_al import Session\n"
        "df = pd.read_csv({csv!r}, index_col=0)\n"
        "s = Session(df, text='text', labels=['sports', 'tech', 'food'], holdout={holdout},\n"
        "            holdout_label_column='topic', batch_size={batch}, random_state=0,\n"
        "            store={store!r}, strategy={strategy!r})\n"
        "s"
    )
    for name, store in (("label_lab", "run_lab"), ("label_nb7", "run_nb7")):
        nbformat.write(
            notebook(
                [
                    setup.format(
                        csv="pool.csv", holdout=0.2, batch=5, store=store, strategy="default"
                    )
                ]
            ),
            root / f"{name}.ipynb",
        )
    nbformat.write(
        notebook(
            [
                setup.format(
                    csv="hostile.csv",
                    holdout=None,
                    batch=12,
                    store="run_hostile",
                    strategy="random",
                )
            ]
        ),
        root / "hostile.ipynb",
    )
    interview = (
        "import pandas as pd\nfrom jupyter_al import Session\n"
        "df = pd.read_csv('pool.csv', index_col=0)\n"
        "s = Session(df, store={store!r}, random_state=0)\n"
        "s"
    )
    for kind in ("lab", "notebook"):
        nbformat.write(
            notebook([interview.format(store=f"run_interview_{kind}")]),
            root / f"interview_{kind}.ipynb",
        )


TASK_SETUP = "import pandas as pd\nfrom jupyter_al import Session\n"


def write_task_notebooks(root: Path) -> None:
    """Notebooks of the other tasks and of sentence units (tests/test_tasks_in_browser.py)."""
    import pandas as pd

    hours = ["7 pm", "noon", "8:30", "9 am", "6 pm", "midnight"]
    texts = [
        f"a table for {2 + i % 5} people at {hours[i % len(hours)]} please, booking {i}"
        for i in range(40)
    ]
    pd.DataFrame({"text": texts}).to_csv(root / "utterances.csv")
    nbformat.write(
        notebook(
            [
                TASK_SETUP + "df = pd.read_csv('utterances.csv', index_col=0)\n"
                "s = Session(df, text='text', task='extraction', labels=['time', 'people'],\n"
                "            batch_size=3, random_state=0, store='run_extract')\n"
                "s"
            ]
        ),
        root / "extract.ipynb",
    )
    queries = ["cheap flights to rome", "python list sort", "banana bread recipe"]
    docs = [
        "rome flights on a budget with cheap fares",
        "sorting a list in python with sorted and list.sort",
        "a moist banana bread recipe with walnuts",
        "the history of the roman empire",
        "python snakes of the amazon",
        "bread baking basics for beginners",
    ]
    rows = [{"query_id": qi, "query": q, "doc": d} for qi, q in enumerate(queries) for d in docs]
    pd.DataFrame(rows * 2).to_csv(root / "pairs.csv")
    nbformat.write(
        notebook(
            [
                TASK_SETUP + "df = pd.read_csv('pairs.csv', index_col=0)\n"
                "s = Session(df, task='ranking', query='query', query_id='query_id', text='doc',\n"
                "            labels=['bad', 'fair', 'good'], batch_size=3, holdout=None,\n"
                "            random_state=0, store='run_rank')\n"
                "s"
            ]
        ),
        root / "rank.ipynb",
    )
    body = (
        "The refund arrived late. Support was slow, e.g. two days per reply. "
        "I paid 3.50 dollars in fees. Dr. Smith finally helped."
    )
    pd.DataFrame({"body": [body] * 6}, index=[f"doc{i}" for i in range(6)]).to_csv(
        root / "docs.csv"
    )
    nbformat.write(
        notebook(
            [
                TASK_SETUP + "df = pd.read_csv('docs.csv', index_col=0)\n"
                "s = Session(df, text='body', labels=['complaint', 'other'],\n"
                "            prediction_unit='sentence', holdout=None, batch_size=3,\n"
                "            strategy='random', random_state=0, store='run_units')\n"
                "s"
            ]
        ),
        root / "units.ipynb",
    )


class Server:
    def __init__(self, kind: str, root: Path) -> None:
        self.kind, self.root = kind, root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, JAL_UI_PORT=str(self.port), JAL_UI_ROOT=str(root))
        module = "jupyterlab" if kind == "lab" else "notebook"
        self.log = root / f"{kind}.log"
        self._log_file = self.log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, "--config", str(HERE / "jupyter_server_test_config.py")],
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(self.url + "/api/status", timeout=1)  # loopback
                break
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{kind} did not start:\n{self.log.read_text()}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._log_file.close()


@pytest.fixture(scope="session")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ui-root")
    write_root(path)
    write_task_notebooks(path)
    return path


@pytest.fixture(scope="session")
def lab(root: Path) -> Iterator[Server]:
    server = Server("lab", root)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def nb7(root: Path) -> Iterator[Server]:
    server = Server("notebook", root)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROME_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 1000})
    pg = ctx.new_page()
    yield pg
    ctx.close()


def events(store: Path) -> list[dict[str, Any]]:
    """The run's log as the kernel wrote it (header line excluded)."""
    path = store / "events.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()[1:] if line.strip()]
