"""Aggregate posterior against the prior: histograms of z_j ~ q(z) over the N(0, 1) density
(explorer.views.prior_match)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.views.latent import dimension_label

PRIOR_COLOR, Q_COLOR = "#d62728", "#1f77b4"


def standard_normal_pdf(z: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * z**2) / np.sqrt(2 * np.pi)


def marginal_histograms(z: np.ndarray, dims: Sequence[int],
                        title: str = "Aggregate posterior q(z_j) = mean over test x of "
                                     "q(z_j|x) (histogram) against the prior N(0, 1) (line)",
                        ) -> go.Figure:
    """One panel per latent coordinate j in `dims` (0-based): a density histogram of the
    samples z[:, j] of q(z) and the prior density N(z_j; 0, 1)."""
    z = np.asarray(z, dtype=np.float64)
    dims = list(dims)
    fig = make_subplots(rows=1, cols=max(1, len(dims)),
                        subplot_titles=[dimension_label(j) for j in dims])
    grid = np.linspace(-4.0, 4.0, 161)
    for col, j in enumerate(dims, start=1):
        lo, hi = min(-4.0, float(z[:, j].min())), max(4.0, float(z[:, j].max()))
        fig.add_trace(go.Histogram(x=z[:, j], histnorm="probability density", name="q(z_j)",
                                   marker_color=Q_COLOR, opacity=0.6, showlegend=col == 1,
                                   xbins=dict(start=lo, end=hi, size=(hi - lo) / 60)),
                      row=1, col=col)
        fig.add_trace(go.Scatter(x=grid, y=standard_normal_pdf(grid), mode="lines",
                                 name="p(z_j) = N(0, 1)", line=dict(color=PRIOR_COLOR),
                                 showlegend=col == 1), row=1, col=col)
        fig.update_xaxes(title_text="z_j", row=1, col=col)
    fig.update_yaxes(title_text="density", row=1, col=1)
    fig.update_layout(title=title, height=340, bargap=0, margin=dict(l=10, r=10, t=80, b=40),
                      legend=dict(orientation="h", y=-0.25))
    return fig
