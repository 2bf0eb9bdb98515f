"""The other tasks' labeling views in a real browser (JupyterLab): spans by mouse and by
keyboard, a ranking pair's grade, a sentence unit inside its document. Each test acts as a
user, then checks what the kernel logged in the run folder."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
from conftest import Server
from playwright.sync_api import Page, expect
from test_widget_in_browser import (
    EXAMPLE,
    ROOT,
    current_id,
    labeled,
    run_notebook,
    shut_down,
    wait_for,
)

SPAN = "[data-testid=jal-span]"


def annotations(store: Path, round_: int) -> list[dict[str, Any]]:
    path = store / f"annotation_round_{round_:02d}.jsonl"
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def select_chars(page: Page, start: int, end: int) -> None:
    """Select characters [start, end) of the example's text with a DOM Range, as a drag does."""
    page.evaluate(
        """([start, end]) => {
          const root = document.querySelector('[data-testid=jal-span-text]')
            || document.querySelector('[data-testid=jal-example]');
          const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
          let pos = 0, a = null, b = null, node;
          while ((node = walker.nextNode())) {
            const n = node.textContent.length;
            if (!a && start < pos + n) a = [node, start - pos];
            if (!b && end <= pos + n) { b = [node, end - pos]; break; }
            pos += n;
          }
          const range = document.createRange();
          range.setStart(a[0], a[1]);
          range.setEnd(b[0], b[1]);
          const sel = window.getSelection();
          sel.removeAllRanges();
          sel.addRange(range);
          root.dispatchEvent(new MouseEvent('mouseup', {bubbles: true}));
        }""",
        [start, end],
    )


def test_label_spans_with_mouse_and_keyboard(page: Page, lab: Server, root: Path):
    store = root / "run_extract"
    texts = pd.read_csv(root / "utterances.csv", index_col=0)["text"]
    run_notebook(page, lab, "extract.ipynb")

    # mouse: select "people" words' number and the time, pick their types, confirm
    first = current_id(page)
    text = texts.loc[int(first)]
    time_at = re.search(r"at (.+?) please", text)
    assert time_at is not None
    a, b = time_at.span(1)
    select_chars(page, a, b)
    page.locator("[data-testid=jal-label-button][data-label=time]").click()
    expect(page.locator(SPAN)).to_have_count(1)
    people = re.search(r"for (\d+) people", text)
    assert people is not None
    select_chars(page, *people.span(1))
    page.locator("[data-testid=jal-label-button][data-label=people]").click()
    expect(page.locator(SPAN)).to_have_count(2)
    page.locator("[data-testid=jal-confirm]").click()
    event = wait_for(lambda: labeled(store).get(first), "the mouse's spans in the log")
    assert sorted(map(tuple, event["label"])) == sorted(
        [(a, b, "time"), (*people.span(1), "people")]
    )
    assert event["source"] == "widget:click"

    # keyboard: the token cursor walks to "for <n>", shift extends, the type's key adds it
    second = current_id(page)
    assert second != first
    text2 = texts.loc[int(second)]
    page.locator(ROOT).focus()
    # tokens: a | table | for | <n> | people ...: the 4th token is the number of people
    for _ in range(4):
        page.keyboard.press("ArrowRight")
    expect(page.locator("[data-testid=jal-token-cursor]")).to_have_count(1)
    page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("2")  # "people" is the second type
    expect(page.locator(SPAN)).to_have_count(1)
    page.keyboard.press("Enter")
    event = wait_for(lambda: labeled(store).get(second), "the keyboard's span in the log")
    [(s, e, kind)] = event["label"]
    assert kind == "people"
    n = re.search(r"for (\d+) people", text2)
    assert n is not None
    assert text2[s:e] == f"{n.group(1)} people"
    assert event["source"] == "widget:key"

    # the third item with no span: the round closes and its file holds all three
    third = current_id(page)
    page.locator("[data-testid=jal-confirm]").click()
    wait_for(lambda: len(annotations(store, 1)) == 3, "annotation_round_01.jsonl")
    rows = {str(r["id"]): r for r in annotations(store, 1)}
    assert rows[third]["label"] == []
    assert rows[first]["label"] == event_label(labeled(store)[first])
    shut_down(page)


def event_label(event: dict[str, Any]) -> list[list[Any]]:
    return [list(x) for x in event["label"]]


def test_grade_a_ranking_pair(page: Page, lab: Server, root: Path):
    store = root / "run_rank"
    pairs = pd.read_csv(root / "pairs.csv", index_col=0)
    run_notebook(page, lab, "rank.ipynb")
    first = current_id(page)
    expect(page.locator("[data-testid=jal-query]")).to_have_text(pairs.loc[int(first), "query"])
    expect(page.locator(EXAMPLE)).to_contain_text(pairs.loc[int(first), "doc"])
    page.locator("[data-testid=jal-label-button][data-label=good]").click()
    event = wait_for(lambda: labeled(store).get(first), "the grade in the log")
    assert event["label"] == 2  # "good" is grade 2 of bad, fair, good
    second = current_id(page)
    page.locator(ROOT).focus()
    page.keyboard.press("1")  # "bad": grade 0
    event = wait_for(lambda: labeled(store).get(second), "the key's grade in the log")
    assert event["label"] == 0
    shut_down(page)


def test_label_a_sentence_in_its_document(page: Page, lab: Server, root: Path):
    store = root / "run_units"
    docs = pd.read_csv(root / "docs.csv", index_col=0)["body"]
    run_notebook(page, lab, "units.ipynb")
    unit = current_id(page)
    parent, _, pos = unit.rpartition("#s")
    expect(page.locator("[data-testid=jal-unit-where]")).to_contain_text(f"{int(pos) + 1} of 4")
    expect(page.locator("[data-testid=jal-unit-where]")).to_contain_text(parent)
    sentences = [
        "The refund arrived late.",
        "Support was slow, e.g. two days per reply.",
        "I paid 3.50 dollars in fees.",
        "Dr. Smith finally helped.",
    ]
    k = int(pos)
    expect(page.locator(EXAMPLE)).to_contain_text(sentences[k])
    if k > 0:
        expect(page.locator("[data-testid=jal-context-before]")).to_contain_text(sentences[k - 1])
    if k < 3:
        expect(page.locator("[data-testid=jal-context-after]")).to_contain_text(sentences[k + 1])
    page.locator("[data-testid=jal-label-button][data-label=complaint]").click()
    event = wait_for(lambda: labeled(store).get(unit), "the unit's label in the log")
    assert event["label"] == "complaint"
    for _ in range(2):
        item = current_id(page)
        page.locator("[data-testid=jal-label-button][data-label=other]").click()
        wait_for(lambda item=item: labeled(store).get(item), "a label in the log")
    wait_for(lambda: len(annotations(store, 1)) == 3, "annotation_round_01.jsonl")
    row = next(r for r in annotations(store, 1) if r["id"] == unit)
    assert row["parent_id"] == parent
    assert row["unit"] == "sentence"
    assert docs.loc[parent][row["start"] : row["end"]] == sentences[k]
    shut_down(page)
