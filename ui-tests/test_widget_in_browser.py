"""The widget in a real browser: JupyterLab 4 and Notebook 7, Debian's chromium.

Each test acts as a user (clicks, keys), then checks the kernel side through the run folder
the kernel writes (events.jsonl, results.tsv, annotation files).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import HOSTILE, Server, events
from playwright.sync_api import Page, expect

EXAMPLE = "[data-testid=jal-example]"
ROOT = "[data-testid=jal-root]"


def wait_for(check: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Poll ``check`` until it returns something truthy (the kernel writes asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def run_notebook(page: Page, server: Server, name: str) -> None:
    if server.kind == "lab":
        # a fresh workspace per test: tabs of other tests are not restored
        page.goto(f"{server.url}/lab/workspaces/{uuid.uuid4().hex}/tree/{name}?reset")
    else:
        page.goto(f"{server.url}/notebooks/{name}")
    page.wait_for_function(
        "() => { const w = window.jupyterapp?.shell?.currentWidget;"
        " return !!w && w.sessionContext?.session?.kernel?.status === 'idle'; }",
        timeout=120_000,
    )
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector(EXAMPLE, timeout=120_000)


def shut_down(page: Page) -> None:
    page.evaluate("window.jupyterapp.serviceManager.sessions.shutdownAll()")


def current_id(page: Page) -> str:
    value = page.locator(EXAMPLE).get_attribute("data-item-id")
    assert value is not None
    return value


def labeled(store: Path) -> dict[str, dict[str, Any]]:
    """Effective label events per item id (undone ones removed), as the kernel logged them."""
    evs = events(store)
    undone = {e["target_seq"] for e in evs if e["type"] == "undone"}
    return {str(e["item_id"]): e for e in evs if e["type"] == "labeled" and e["seq"] not in undone}


def cell_kinds(page: Page) -> list[str]:
    return page.evaluate(
        "[...document.querySelectorAll('.jp-Notebook .jp-Cell')]"
        ".map(c => c.classList.contains('jp-CodeCell') ? 'code' : 'other')"
    )


def curve_points(page: Page) -> int:
    return int(
        page.evaluate(
            "() => { const d = document.querySelector('[data-testid=jal-curve]')?.data || [];"
            " const t = d.find(t => t.mode === 'lines+markers'); return t ? t.x.length : 0; }"
        )
    )


def walk_a_batch(page: Page, store: Path) -> None:
    """Click, key, skip, undo, then finish the batch: the round closes and the curve grows."""
    # a click on a label button
    first = current_id(page)
    page.locator("[data-testid=jal-label-button][data-label=food]").click()
    expect(page.locator(EXAMPLE)).not_to_have_attribute("data-item-id", first)
    event = wait_for(lambda: labeled(store).get(first), "the click's label in the log")
    assert ("food", "widget:click") == (event["label"], event["source"])

    # a key press on the focused widget; the notebook's own shortcuts must not fire
    kinds = cell_kinds(page)
    second = current_id(page)
    page.locator(ROOT).focus()
    page.keyboard.press("1")
    expect(page.locator(EXAMPLE)).not_to_have_attribute("data-item-id", second)
    event = wait_for(lambda: labeled(store).get(second), "the key's label in the log")
    assert ("sports", "widget:key") == (event["label"], event["source"])
    assert kinds == cell_kinds(page)

    # skip, then undo it: the same example comes back
    third = current_id(page)
    page.locator("[data-testid=jal-skip]").click()
    expect(page.locator(EXAMPLE)).not_to_have_attribute("data-item-id", third)
    wait_for(lambda: any(e["type"] == "skipped" for e in events(store)), "the skip in the log")
    page.locator("[data-testid=jal-undo]").click()
    expect(page.locator(EXAMPLE)).to_have_attribute("data-item-id", third)
    wait_for(lambda: any(e["type"] == "undone" for e in events(store)), "the undo in the log")

    # finish the batch by clicking: the last label submits the round
    assert 0 == curve_points(page)
    for _ in range(3):
        item = current_id(page)
        page.locator("[data-testid=jal-label-button][data-label=tech]").click()
        wait_for(lambda item=item: labeled(store).get(item), "a label in the log")
    wait_for(
        lambda: (
            (store / "results.tsv").exists()
            and len(pd.read_csv(store / "results.tsv", sep="\t")) == 1
        ),
        "round 1 in results.tsv",
    )
    wait_for(lambda: curve_points(page) == 1, "the learning curve's first point")
    annotations = [
        json.loads(x) for x in (store / "annotation_round_01.jsonl").read_text().splitlines()
    ]
    assert 5 == len(annotations)
    assert {"widget:click", "widget:key"} == {a["source"] for a in annotations}
    # the next batch is shown
    expect(page.locator("[data-testid=jal-round]")).to_contain_text("2")
    assert (store / "selection_round_02.jsonl").exists()


def test_jupyterlab_labeling(page: Page, lab: Server, root: Path):
    run_notebook(page, lab, "label_lab.ipynb")
    walk_a_batch(page, root / "run_lab")
    shut_down(page)


def test_notebook7_labeling(page: Page, nb7: Server, root: Path):
    run_notebook(page, nb7, "label_nb7.ipynb")
    walk_a_batch(page, root / "run_nb7")
    shut_down(page)


def test_hostile_examples_are_inert_text(page: Page, lab: Server, root: Path):
    page.add_init_script("window.__pwned = 0")
    run_notebook(page, lab, "hostile.ipynb")
    seen = set()
    for _ in range(12):
        item = page.locator(EXAMPLE).get_attribute("data-item-id")
        if item is None:
            break
        seen.add(page.locator(EXAMPLE).inner_text().strip()[:60])
        assert 0 == page.locator(f"{ROOT} img, {ROOT} script").count()
        page.locator("[data-testid=jal-skip]").click()
        page.wait_for_function(
            "id => { const e = document.querySelector('[data-testid=jal-example]');"
            " return !e || e.dataset.itemId !== id; }",
            arg=item,
        )
    shown = " ".join(seen)

    assert "<img src=x onerror" in shown
    assert "<script>window.__pwned" in shown
    assert 0 == page.evaluate("window.__pwned")
    assert any(
        "\u0645\u0631\u062d\u0628\u0627" in s for s in seen
    )  # right-to-left text shown as is
    assert HOSTILE[4][:10] in shown
    shut_down(page)


@pytest.mark.parametrize("front_end", ["lab", "nb7"])
def test_interview_then_labeling(
    page: Page, request: pytest.FixtureRequest, root: Path, front_end: str
):
    """Walk the interview: errors next to fields, copy as code, submit, then label."""
    server: Server = request.getfixturevalue(front_end)
    # the interview notebook runs Session(df) without text=: the form shows
    name = f"interview_{server.kind}.ipynb"
    if server.kind == "lab":
        page.goto(f"{server.url}/lab/workspaces/{uuid.uuid4().hex}/tree/{name}?reset")
    else:
        page.goto(f"{server.url}/notebooks/{name}")
    page.wait_for_function(
        "() => { const w = window.jupyterapp?.shell?.currentWidget;"
        " return !!w && w.sessionContext?.session?.kernel?.status === 'idle'; }",
        timeout=120_000,
    )
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_selector("[data-testid=jal-interview]", timeout=120_000)
    # nothing chosen yet: the missing text column is explained next to its field
    expect(page.locator("[data-testid=jal-error-text]")).to_contain_text("choose the column")
    expect(page.locator("[data-testid=jal-iv-submit]")).to_be_disabled()

    page.locator("[data-testid=jal-iv-text]").select_option("text")
    for i, name in enumerate(["sports", "tech", "food"]):
        page.locator("[data-testid=jal-iv-label-add]").click()
        page.locator(f"[data-testid=jal-iv-label-name-{i}]").fill(name)
    page.locator("[data-testid=jal-iv-holdout-label-column]").select_option("topic")
    page.locator("[data-testid=jal-iv-batch-size]").fill("6")
    expect(page.locator("[data-testid=jal-iv-code]")).to_contain_text("text='text'", timeout=10_000)
    expect(page.locator("[data-testid=jal-iv-code]")).to_contain_text("batch_size=6")
    expect(page.locator("[data-testid=jal-iv-submit]")).to_be_enabled(timeout=10_000)
    page.locator("[data-testid=jal-iv-submit]").click()

    page.wait_for_selector(EXAMPLE, timeout=60_000)
    store = root / f"run_interview_{server.kind}"
    configured = wait_for(
        lambda: [e for e in events(store) if e["type"] == "configured"], "configured"
    )
    config = configured[0]["config"]
    assert ("text", ["sports", "tech", "food"], 6) == (
        config["text"],
        config["labels"],
        config["batch_size"],
    )
    first = current_id(page)
    page.locator("[data-testid=jal-label-button][data-label=tech]").click()
    event = wait_for(lambda: labeled(store).get(first), "the first label after the interview")
    assert "tech" == event["label"]
    shut_down(page)
