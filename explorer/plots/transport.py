"""Figures of the Reparameterizable families page: the transport map z = g(φ, ε), the change
of variables density over a histogram, and pathwise vs score-function variance.

Arrays and plain numbers in, `go.Figure` out; no Streamlit.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from explorer.plots.estimators import COLORS

MAP, SAMPLE = "#444444", "#1f77b4"
VARIANCE_COLORS = {"pathwise": COLORS["reparam"], "score function": COLORS["reinforce"],
                   "score function (b: loo)": "#ff9896"}


def transport_figure(eps_curve, z_curve, eps, z, title: str, eps_title: str = "ε",
                     max_pairs: int = 40) -> go.Figure:
    """The map g as a curve in the (ε, z) plane; each sampled pair is a dot on the curve joined
    to its ε on the horizontal axis and its z on the vertical axis."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=eps_curve, y=z_curve, mode="lines", name="z = g(φ, ε)",
                             line=dict(color=MAP, width=3)))
    idx = np.unique(np.linspace(0, len(eps) - 1, min(max_pairs, len(eps))).astype(int))
    e, zz = np.asarray(eps)[idx], np.asarray(z)[idx]
    x0, y0 = float(np.min(eps_curve)), float(np.min(z_curve))
    xs, ys = [], []
    for a, b in zip(e, zz):
        xs += [a, a, x0, None]
        ys += [y0, b, b, None]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name="sample ε → z", opacity=0.35,
                             line=dict(color=SAMPLE, width=1)))
    fig.add_trace(go.Scatter(x=e, y=zz, mode="markers", name="pairs (ε, z)",
                             marker=dict(color=SAMPLE, size=6)))
    fig.update_layout(title=title, xaxis_title=eps_title, yaxis_title="z", height=440,
                      margin=dict(t=70), legend=dict(orientation="h", y=-0.2))
    return fig


def density_figure(samples, z_grid, cov_log_q, torch_log_q, title: str, bins: int = 60) -> go.Figure:
    """Histogram of z samples; the change-of-variables density (solid) and torch's log_prob
    density (dashed) on top."""
    z_grid = np.asarray(z_grid, dtype=float)
    lo, hi = float(z_grid[0]), float(z_grid[-1])
    s = np.asarray(samples, dtype=float)
    fig = go.Figure()
    width = (hi - lo) / bins
    fig.add_trace(go.Histogram(x=s[(s >= lo) & (s <= hi)], name="samples z = g(φ, ε)",
                               histnorm="probability density", opacity=0.45, marker_color=SAMPLE,
                               xbins=dict(start=lo, end=hi + width, size=width)))
    fig.add_trace(go.Scatter(x=z_grid, y=np.exp(cov_log_q), mode="lines", name="p(ε) / |∂z/∂ε|",
                             line=dict(color="black", width=3)))
    fig.add_trace(go.Scatter(x=z_grid, y=np.exp(torch_log_q), mode="lines",
                             name="exp(log_prob) (torch)", line=dict(color="#ff7f0e", width=2, dash="dash")))
    fig.update_layout(title=title, xaxis_title="z", yaxis_title="density", height=440,
                      margin=dict(t=70), legend=dict(orientation="h", y=-0.2), barmode="overlay")
    return fig


def variance_figure(params: Sequence[str], variance: Mapping[str, Sequence[float]], title: str) -> go.Figure:
    """Grouped bars: variance of one estimate per parameter and estimator, log y axis."""
    fig = go.Figure()
    for name, v in variance.items():
        fig.add_trace(go.Bar(x=[f"∂/∂{p}" for p in params], y=list(v), name=name,
                             marker_color=VARIANCE_COLORS.get(name, "#7f7f7f"),
                             text=[f"{x:.3g}" for x in v], textposition="outside"))
    fig.update_layout(title=title, barmode="group", yaxis_type="log", yaxis_title="variance",
                      height=440, margin=dict(t=70), legend=dict(orientation="h", y=-0.2))
    return fig
