"""Widget latency in a real browser: click -> next example rendered, vs a bare anywidget echo.

Starts JupyterLab on a free loopback port (the ui-tests harness) and Debian's chromium, then
in the same page and run:

* **floor**: a bare anywidget whose button sends a message; Python sets a trait; the page
  renders the new value. Click -> rendered, N times.
* **ours**: the labeling widget on a 2,000-item text pool, batch 20, labeling >= 100 items by
  clicks (so several batch boundaries, each with a retrain), click -> next example rendered,
  measured in the page (``window.__jal_latency``).
* **interactive**: from "run the cell" to the first example visible and its buttons enabled.

Prints medians, 95th percentiles and the ratios to the floor. Usage:
    .venv/bin/python benchmarks/bench_widget.py [--labels 120]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "ui-tests"))
sys.path.insert(0, str(ROOT))

from conftest import CHROME_ARGS, CHROMIUM, Server, notebook  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from tests.conftest import make_text_frame  # noqa: E402

ECHO = '''
import anywidget, traitlets
class Echo(anywidget.AnyWidget):
    _esm = """
    export default { render({ model, el }) {
      const b = document.createElement("button"); b.textContent = "echo"; b.id = "echo";
      const out = document.createElement("span"); out.id = "echo-out";
      b.onclick = () => {
        window.__echo_t = performance.now();
        model.send({ n: model.get("n") + 1 });
      };
      model.on("change:n", () => {
        out.textContent = String(model.get("n"));
        (window.__echo_lat ||= []).push(performance.now() - window.__echo_t);
      });
      el.append(b, out);
    } };
    """
    n = traitlets.Int(0).tag(sync=True)
    def __init__(self):
        super().__init__()
        self.on_msg(lambda w, c, b: setattr(self, "n", c["n"]))
echo = Echo()
echo
'''

IMPORTS = """
import time
t_imports = time.perf_counter()
import pandas as pd
from jupyter_al import Session
t_imports = time.perf_counter() - t_imports
"""
SESSION = """
df = pd.read_csv("pool.csv", index_col=0)
s = Session(df, text="text", labels=["sports", "tech", "food"], holdout=0.2,
            holdout_label_column="topic", batch_size=20, random_state=0, store="run")
s
"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--labels", type=int, default=120)
    parser.add_argument("--echo", type=int, default=100)
    args = parser.parse_args()
    print("command: python " + " ".join(sys.argv))
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, load {os.getloadavg()}")
    root = Path(tempfile.mkdtemp(prefix="jal-bench-widget-"))
    make_text_frame(2000, 7).to_csv(root / "pool.csv")
    nbformat.write(notebook([ECHO]), root / "echo.ipynb")
    nbformat.write(notebook([IMPORTS, SESSION]), root / "session.ipynb")
    server = Server("lab", root)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROME_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1000})

            def open_nb(name: str) -> None:
                page.goto(f"{server.url}/lab/workspaces/{name}/tree/{name}.ipynb?reset")
                page.wait_for_function(
                    "() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session"
                    "?.kernel?.status === 'idle'",
                    timeout=120_000,
                )

            # floor: the bare echo widget
            open_nb("echo")
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            page.wait_for_selector("#echo", timeout=60_000)
            for i in range(args.echo):
                page.click("#echo")
                page.wait_for_function(
                    f"document.getElementById('echo-out').textContent === '{i + 1}'"
                )
            floor = page.evaluate("window.__echo_lat")
            page.evaluate("window.jupyterapp.serviceManager.sessions.shutdownAll()")

            # ours: imports (once per kernel), then session cell -> interactive
            open_nb("session")
            page.evaluate("window.__jal_debug = true; window.__jal_latency = []")
            t0 = time.perf_counter()
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-cell-and-select-next')")
            page.wait_for_timeout(300)  # the kernel goes busy first
            page.wait_for_function(
                "() => window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                ".status === 'idle' && window.jupyterapp.shell.currentWidget.content"
                ".activeCellIndex === 1",
                timeout=120_000,
            )
            imports = time.perf_counter() - t0
            t0 = time.perf_counter()
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-cell')")
            page.wait_for_selector(
                "[data-testid=jal-label-button]:not([disabled])", timeout=120_000
            )
            interactive = time.perf_counter() - t0
            labels = ["sports", "tech", "food"]
            done = 0
            wall: list[float] = []
            boundary: list[float] = []
            while done < args.labels:
                example = page.locator("[data-testid=jal-example]")
                item = example.get_attribute("data-item-id")
                if item is None:
                    page.wait_for_selector(
                        "[data-testid=jal-example][data-item-id]", timeout=60_000
                    )
                    continue
                last_of_batch = done % 20 == 19  # batches of 20: the 20th label submits
                t_click = time.perf_counter()
                page.locator(
                    f"[data-testid=jal-label-button][data-label={labels[done % 3]}]"
                ).click()
                page.wait_for_function(
                    "id => { const e = document.querySelector('[data-testid=jal-example]');"
                    " return !!e?.dataset.itemId && e.dataset.itemId !== id; }",
                    arg=item,
                    timeout=60_000,
                )
                (boundary if last_of_batch else wall).append((time.perf_counter() - t_click) * 1e3)
                done += 1
            ours = page.evaluate("window.__jal_latency")
            acks = page.evaluate("window.__jal_ack_latency || []")
            page.evaluate("window.jupyterapp.serviceManager.sessions.shutdownAll()")
            browser.close()
    finally:
        server.stop()
    fm, f95 = statistics.median(floor), pct(floor, 0.95)
    om, o95 = statistics.median(ours), pct(ours, 0.95)
    print(f"\nbare anywidget echo (floor): n={len(floor)}  median {fm:.1f} ms  p95 {f95:.1f} ms")
    print(f"label click -> next example:  n={len(ours)}  median {om:.1f} ms  p95 {o95:.1f} ms")
    print(
        f"ratio median ours/floor {om / fm:.2f} (target <= 1.3); p95 ours/floor-median "
        f"{o95 / fm:.2f} (target <= 3)"
    )
    if acks:
        am, a95 = statistics.median(acks), pct(acks, 0.95)
        print(
            f"label click -> Python's ack (label fsync'd, traits back): n={len(acks)}  median "
            f"{am:.1f} ms  p95 {a95:.1f} ms  ratio median/floor {am / fm:.2f}"
        )
    print(
        f"Playwright wall clock per click (adds CDP overhead): within a batch median "
        f"{statistics.median(wall):.0f} ms p95 {pct(wall, 0.95):.0f} ms (n={len(wall)}); at a "
        f"batch boundary (retrain + new batch) median {statistics.median(boundary):.0f} ms "
        f"(n={len(boundary)})"
        if boundary
        else ""
    )
    print(f"imports (pandas + jupyter_al, once per kernel): {imports:.2f} s")
    print(
        f"session cell run -> widget interactive: {interactive:.2f} s (target <= 3 s; the "
        "Session's setup: 2,000 rows, TF-IDF, the diverse seed batch, first render)"
    )


if __name__ == "__main__":
    main()
