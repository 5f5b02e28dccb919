"""Training figures: loss / ELBO curves over optimisation steps and the KL per latent dimension."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.colors
import plotly.graph_objects as go

from explorer.views.latent import dimension_label

SERIES_COLORS = plotly.colors.qualitative.Plotly
ACTIVE_COLOR, INACTIVE_COLOR = "#1f77b4", "#c7c7c7"


def training_curves(
    steps: Sequence[float],
    series: Mapping[str, Sequence[float]],
    title: str,
    yaxis_title: str,
    test_steps: Sequence[float] | None = None,
    test_series: Mapping[str, Sequence[float]] | None = None,
    xaxis_title: str = "training step",
) -> go.Figure:
    """A line per training metric against `steps`; per-epoch test metrics as markers + dashes.

    A test metric with the same name as a training metric gets the same colour.
    """
    names = list(series) + [name for name in (test_series or {}) if name not in series]
    color = {name: SERIES_COLORS[i % len(SERIES_COLORS)] for i, name in enumerate(names)}
    fig = go.Figure()
    for name, values in series.items():
        fig.add_trace(
            go.Scatter(
                x=np.asarray(steps),
                y=np.asarray(values),
                mode="lines",
                name=f"{name} (train)",
                line=dict(color=color[name]),
            )
        )
    if test_series:
        if test_steps is None:
            raise ValueError(
                "test_series needs test_steps (the step at which each test evaluation ran)"
            )
        for name, values in test_series.items():
            fig.add_trace(
                go.Scatter(
                    x=np.asarray(test_steps),
                    y=np.asarray(values),
                    mode="markers+lines",
                    name=f"{name} (test)",
                    line=dict(color=color[name], dash="dash"),
                )
            )
    fig.update_xaxes(title=xaxis_title)
    fig.update_yaxes(title=yaxis_title)
    fig.update_layout(
        title=title, height=400, margin=dict(l=60, r=10, t=50, b=50), hovermode="x unified"
    )
    return fig


def kl_bars(
    kl_dim: np.ndarray,
    active_mask: np.ndarray,
    threshold: float | None = 0.01,
    title: str = (
        "KL(q(z|x) ‖ p(z)) per dimension (eq. 22), averaged over data; active units highlighted"
    ),
    yaxis_title: str = "mean KL (nats)",
) -> go.Figure:
    """A bar per latent dimension z_j (kl_per_dimension output); active coloured, inactive grey.

    `threshold` draws the activity cut-off as a horizontal line; pass None when the mask came
    from a different statistic (e.g. unit_activity) so the line would mislead.
    """
    kl_dim, active_mask = np.asarray(kl_dim, dtype=np.float64), np.asarray(active_mask, dtype=bool)
    labels = np.array([dimension_label(j) for j in range(len(kl_dim))])
    fig = go.Figure()
    for name, members, color in (
        (f"active ({active_mask.sum()})", active_mask, ACTIVE_COLOR),
        (f"inactive ({(~active_mask).sum()})", ~active_mask, INACTIVE_COLOR),
    ):
        fig.add_trace(
            go.Bar(
                x=labels[members],
                y=kl_dim[members],
                name=name,
                marker_color=color,
                hovertemplate="%{x}: %{y:.3f} nats<extra></extra>",
            )
        )
    if threshold is not None:
        fig.add_hline(
            y=threshold,
            line=dict(color="crimson", dash="dash"),
            annotation_text=f"threshold {threshold:g}",
            annotation_position="top left",
        )
    # Keep dimensions in z_1..z_d order although they are split over two traces.
    fig.update_xaxes(title="latent dimension", categoryorder="array", categoryarray=labels)
    fig.update_yaxes(title=yaxis_title)
    fig.update_layout(
        title=title, height=380, margin=dict(l=60, r=10, t=50, b=50), barmode="overlay"
    )
    return fig


def compare_curves(curves: Mapping[str, tuple[Sequence[float], Sequence[float]]], title: str,
                   yaxis_title: str = "nats", xaxis_title: str = "training step") -> go.Figure:
    """One line per named run, each with its own x values (runs may be at different steps)."""
    fig = go.Figure()
    for i, (name, (xs, ys)) in enumerate(curves.items()):
        fig.add_trace(go.Scatter(x=np.asarray(xs), y=np.asarray(ys), mode="lines", name=name,
                                 line=dict(color=SERIES_COLORS[i % len(SERIES_COLORS)])))
    fig.update_xaxes(title=xaxis_title)
    fig.update_yaxes(title=yaxis_title)
    fig.update_layout(title=title, height=400, margin=dict(l=60, r=10, t=50, b=50), hovermode="x unified")
    return fig
