"""Pure plotly figure builders. The widget draws the same figures.

Every function takes plain data (a rounds table, counts) and returns a new
``plotly.graph_objects.Figure``; nothing here reads or changes a session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import plotly.graph_objects as go

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["class_distribution", "compare_curves", "learning_curve"]

_LAYOUT = {
    "template": "plotly_white",
    "margin": {"l": 50, "r": 20, "t": 50, "b": 45},
    "height": 360,
}


def learning_curve(
    rounds: pd.DataFrame,
    *,
    stop_reason: str | None = None,
    reference: float | None = None,
    title: str | None = None,
) -> go.Figure:
    """Plot the held-out (human-gold) metric against the number of labels.

    When the rounds carry judge-assisted values (``judge:<metric>``: the model scored against
    an LLM judge's labels), they are drawn as their own dashed series, never merged with the
    human-gold one.

    Parameters
    ----------
    rounds : DataFrame
        One row per closed round with columns ``round``, ``n_labeled``, ``metric`` and
        ``value`` (``Session.rounds``). Rounds without a value are left out.
    stop_reason : str, optional
        Marks the last point with the stopping rule that fired.
    reference : float, optional
        A horizontal line (e.g. the full-data score in a simulation).
    title : str, optional

    Returns
    -------
    plotly.graph_objects.Figure

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"round": [1, 2], "n_labeled": [10, 20],
    ...                    "metric": ["f1_macro"] * 2, "value": [0.5, 0.7]})
    >>> list(learning_curve(df).data[0].y)
    [0.5, 0.7]
    """
    fig = go.Figure()
    metric = str(rounds["metric"].iloc[-1]) if len(rounds) else "metric"
    done = rounds.dropna(subset=["value"]) if len(rounds) else rounds
    fig.add_trace(
        go.Scatter(
            x=list(done["n_labeled"]) if len(done) else [],
            y=list(done["value"]) if len(done) else [],
            mode="lines+markers",
            name=f"{metric} (human gold)",
            customdata=list(done["round"]) if len(done) else [],
            hovertemplate="round %{customdata}<br>%{x} labels<br>"
            + metric
            + " %{y:.4f}<extra></extra>",
        )
    )
    judge_col = f"judge:{metric}"
    if judge_col in rounds.columns:
        judged = rounds.dropna(subset=[judge_col])
        if len(judged):
            fig.add_trace(
                go.Scatter(
                    x=list(judged["n_labeled"]),
                    y=list(judged[judge_col]),
                    mode="lines+markers",
                    name=f"{metric} (LLM judge, not gold)",
                    line={"dash": "dash"},
                    marker={"symbol": "diamond-open"},
                    customdata=list(judged["round"]),
                    hovertemplate="round %{customdata}<br>%{x} labels<br>judge-assisted "
                    + metric
                    + " %{y:.4f}<extra></extra>",
                )
            )
    if reference is not None:
        fig.add_hline(
            y=reference,
            line_dash="dot",
            annotation_text=f"full data {reference:.3f}",
            annotation_position="bottom right",
        )
    if stop_reason is not None and len(done):
        x, y = done["n_labeled"].iloc[-1], done["value"].iloc[-1]
        fig.add_trace(
            go.Scatter(
                x=[x],
                y=[y],
                mode="markers",
                marker={"symbol": "x", "size": 12, "color": "crimson"},
                name="stopped",
                hovertext=[stop_reason],
                hoverinfo="text",
            )
        )
        fig.add_annotation(x=x, y=y, text=f"stopped: {stop_reason}", showarrow=True, ay=-40)
    fig.update_layout(
        title=title or "Learning curve (held-out set)",
        xaxis_title="labels",
        yaxis_title=metric,
        **_LAYOUT,
    )
    return fig


def class_distribution(counts: Mapping[str, int], *, title: str | None = None) -> go.Figure:
    """Plot how many labeled items each class has.

    Examples
    --------
    >>> list(class_distribution({"ham": 8, "spam": 2}).data[0].y)
    [8, 2]
    """
    fig = go.Figure(go.Bar(x=list(counts), y=list(counts.values()), name="labels"))
    fig.update_layout(
        title=title or "Labeled items per class",
        xaxis_title="class",
        yaxis_title="labels",
        **_LAYOUT,
    )
    return fig


def compare_curves(
    curves: Mapping[str, Sequence[pd.DataFrame]],
    *,
    reference: float | None = None,
    title: str | None = None,
) -> go.Figure:
    """Plot learning curves of several strategies, each over several seeds.

    Parameters
    ----------
    curves : mapping of str to sequence of DataFrame
        Strategy name -> one rounds table per seed.
    reference : float, optional
        A horizontal line (the full-data score).

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"round": [1], "n_labeled": [10], "metric": ["acc"], "value": [0.5]})
    >>> len(compare_curves({"random": [r, r]}).data)
    3
    """
    fig = go.Figure()
    palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b"]
    metric = "metric"
    for i, (name, runs) in enumerate(curves.items()):
        color = palette[i % len(palette)]
        frames = [r.dropna(subset=["value"]) for r in runs if len(r)]
        for j, r in enumerate(frames):
            metric = str(r["metric"].iloc[-1]) if len(r) else metric
            fig.add_trace(
                go.Scatter(
                    x=list(r["n_labeled"]),
                    y=list(r["value"]),
                    mode="lines",
                    line={"color": color, "width": 1},
                    opacity=0.3,
                    legendgroup=name,
                    showlegend=False,
                    name=f"{name} seed {j}",
                )
            )
        if frames:
            mean = pd.concat(frames).groupby("n_labeled")["value"].mean()
            fig.add_trace(
                go.Scatter(
                    x=list(mean.index),
                    y=list(mean.to_numpy()),
                    mode="lines+markers",
                    line={"color": color, "width": 3},
                    legendgroup=name,
                    name=f"{name} (mean of {len(frames)})",
                )
            )
    if reference is not None:
        fig.add_hline(y=reference, line_dash="dot", annotation_text=f"full data {reference:.3f}")
    fig.update_layout(
        title=title or "Learning curves by strategy",
        xaxis_title="labels",
        yaxis_title=metric,
        **_LAYOUT,
    )
    return fig
