"""The widget builds under marimo's mo.ui.anywidget (marimo hosts anywidgets natively)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from jupyter_al import Session


def test_widget_builds_under_marimo(pool: pd.DataFrame, tmp_path: Path):
    import marimo as mo

    s = Session(
        pool,
        text="text",
        labels=["sports", "tech", "food"],
        holdout=0.2,
        holdout_label_column="topic",
        batch_size=5,
        random_state=0,
        store=tmp_path / "m",
    )
    element = mo.ui.anywidget(s.widget)

    assert "marimo-anywidget" in element.text
    assert s.widget.model_id in element.text
    value = element.value
    assert "label" == value["mode"]
    assert 5 == len(value["items"])
    assert ["sports", "tech", "food"] == [c["name"] for c in value["classes"]]
    s.close()
