"""Plot builders are pure and draw what they are given."""

from __future__ import annotations

import pandas as pd

from jupyter_al import plots


def test_learning_curve_marks_the_stop():
    rounds = pd.DataFrame(
        {
            "round": [1, 2, 3],
            "n_labeled": [10, 20, 30],
            "metric": ["f1_macro"] * 3,
            "value": [0.4, float("nan"), 0.6],
        }
    )
    fig = plots.learning_curve(rounds, stop_reason="round limit reached")

    assert [10, 30] == list(fig.data[0].x)
    assert "stopped" == fig.data[1].name
    assert "round limit reached" in fig.layout.annotations[0].text
    assert "f1_macro" == fig.layout.yaxis.title.text


def test_empty_curve_is_a_figure():
    empty = pd.DataFrame(columns=["round", "n_labeled", "metric", "value"])

    assert [] == list(plots.learning_curve(empty).data[0].x)


def test_compare_curves_means_per_strategy():
    a = pd.DataFrame(
        {"round": [1, 2], "n_labeled": [10, 20], "metric": ["acc"] * 2, "value": [0.2, 0.4]}
    )
    b = pd.DataFrame(
        {"round": [1, 2], "n_labeled": [10, 20], "metric": ["acc"] * 2, "value": [0.4, 0.6]}
    )
    fig = plots.compare_curves({"margin": [a, b]}, reference=0.9)

    mean = next(t for t in fig.data if t.name.startswith("margin (mean"))
    assert [0.3, 0.5] == [round(v, 6) for v in mean.y]
