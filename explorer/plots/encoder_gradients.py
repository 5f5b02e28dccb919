"""Figures of encoder-gradient noise on a real VAE."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.colors
import plotly.graph_objects as go

COLORS = plotly.colors.qualitative.Plotly


def snr_histogram(snr: Mapping[str, np.ndarray],
                  title: str = "Signal-to-noise ratio |E[ĝ]| / std(ĝ) of each encoder weight's "
                               "gradient (Rainforth et al. 2018): higher is better") -> go.Figure:
    """Histograms of per-coordinate SNR on a log axis, one per estimator."""
    fig = go.Figure()
    for i, (name, values) in enumerate(snr.items()):
        values = np.asarray(values, dtype=float)
        values = values[np.isfinite(values) & (values > 0)]
        fig.add_trace(go.Histogram(x=np.log10(values), name=name, opacity=0.6,
                                   marker_color=COLORS[i % len(COLORS)], nbinsx=60))
    fig.update_layout(barmode="overlay", title=title, height=380, margin=dict(l=60, r=10, t=60, b=50))
    fig.update_xaxes(title="log₁₀ SNR")
    fig.update_yaxes(title="encoder parameters")
    return fig
