"""Figures of the Gumbel-max & softmax page (third lecture text, §2.2; Jang et al. 2017;
Maddison et al. 2017).  Arrays and plain values in, `go.Figure` out; no Streamlit.
Category c keeps one colour in every figure (`CATEGORY_COLORS`)."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.plots.estimators import EXACT, relaxed_samples_figure
from explorer.plots.frames import animate, frame, note_html

CATEGORY_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd")
GREY = "#7f7f7f"


def _color(c: int) -> str:
    return CATEGORY_COLORS[c % len(CATEGORY_COLORS)]


def gumbel_max_figure(freq: np.ndarray, probs: np.ndarray, se: np.ndarray,
                      labels: Sequence[str], title: str) -> go.Figure:
    """Frequencies of argmax_c(ℓ_c + g_c) with ±2 SE error bars beside softmax(ℓ)."""
    fig = go.Figure()
    fig.add_trace(go.Bar(x=list(labels), y=freq, name="frequency of argmax(ℓ + g)",
                         marker_color=[_color(c) for c in range(len(freq))],
                         error_y=dict(type="data", array=2 * np.asarray(se), color=EXACT)))
    fig.add_trace(go.Bar(x=list(labels), y=probs, name="softmax(ℓ) (exact)",
                         marker=dict(color="white", line=dict(color=EXACT, width=2))))
    fig.update_layout(title=title, barmode="group", yaxis_title="probability", height=400,
                      margin=dict(t=70), legend=dict(orientation="h", y=-0.2))
    fig.update_yaxes(range=[0, 1.05])
    return fig


def simplex_figure(y: np.ndarray, probs: np.ndarray, mean: np.ndarray, labels: Sequence[str],
                   title: str) -> go.Figure:
    """Relaxed samples in the ternary simplex (corners = one-hot z), with softmax(ℓ) and the
    sample mean E[y] marked."""
    fig = relaxed_samples_figure(y, title=title, labels=labels)
    for point, name, symbol in ((probs, "softmax(ℓ) = P(z)", "x"),
                                (mean, "mean of the relaxed samples", "circle-open")):
        fig.add_trace(go.Scatterternary(a=[point[0]], b=[point[1]], c=[point[2]], mode="markers",
                                        name=name, marker=dict(color="#d62728", size=14,
                                                               symbol=symbol, line_width=3)))
    fig.update_layout(height=440)
    return fig


def sample_bars_figure(y: np.ndarray, labels: Sequence[str], title: str) -> go.Figure:
    """A few relaxed samples y, one bar chart each (the simplex coordinates y_c)."""
    m = len(y)
    fig = make_subplots(rows=1, cols=m, subplot_titles=[f"sample {i + 1}" for i in range(m)],
                        shared_yaxes=True)
    for i, row in enumerate(y):
        fig.add_trace(go.Bar(x=list(labels), y=row, showlegend=False,
                             marker_color=[_color(c) for c in range(len(row))],
                             text=[f"{v:.2f}" for v in row], textposition="outside"),
                      row=1, col=i + 1)
    fig.update_yaxes(range=[0, 1.15])
    fig.update_yaxes(title="y_c", row=1, col=1)
    fig.update_layout(title=title, height=300, margin=dict(t=90))
    return fig


def relaxation_figure(ys: Sequence[np.ndarray], means: np.ndarray, probs: np.ndarray,
                      taus: Sequence[float], notes: Sequence[Sequence[str]], labels: Sequence[str],
                      active: int, bars: int = 4) -> go.Figure:
    """Relaxed samples y = softmax((ℓ + g)/τ) in the simplex (with softmax(ℓ) and their mean) and
    the first `bars` samples as bars, one frame per τ (ys[i], means[i], notes[i]) moved by the
    figure's own τ slider in the browser; it opens at taus[active]."""
    k = len(labels)
    fig = make_subplots(rows=1, cols=2, specs=[[{"type": "ternary"}, {"type": "xy"}]],
                        column_widths=[0.55, 0.45], horizontal_spacing=0.1,
                        subplot_titles=("samples y on the simplex (corners: one-hot z)",
                                        f"the first {bars} samples y: bars y_c"))
    fig.add_trace(go.Scatterternary(mode="markers", name="relaxed samples y", opacity=0.5,
                                    marker=dict(color=_color(0), size=5)))
    fig.add_trace(go.Scatterternary(a=[1, 0, 0], b=[0, 1, 0], c=[0, 0, 1], mode="markers",
                                    name="one-hot corners (discrete z)",
                                    marker=dict(color=EXACT, size=12, symbol="diamond")))
    for point, name, symbol in ((probs, "softmax(ℓ) = P(z)", "x"),
                                (probs, "mean of the relaxed samples", "circle-open")):
        fig.add_trace(go.Scatterternary(a=[point[0]], b=[point[1]], c=[point[2]], mode="markers",
                                        name=name, marker=dict(color="#d62728", size=14,
                                                               symbol=symbol, line_width=3)))
    x = [[f"sample {i + 1}" for i in range(bars) for _ in range(k)], list(labels) * bars]
    fig.add_trace(go.Bar(x=x, name="y_c of a sample", showlegend=False, textposition="outside",
                         marker_color=[_color(c) for _ in range(bars) for c in range(k)]),
                  row=1, col=2)
    fig.update_layout(ternary=dict(aaxis_title=labels[0], baxis_title=labels[1],
                                   caxis_title=labels[2]),
                      height=700, margin=dict(t=90, b=300), legend=dict(orientation="h", y=-0.4))
    fig.update_yaxes(range=[0, 1.15], title="y_c", row=1, col=2)
    frames = []
    for tau, y, mean, note in zip(taus, ys, means, notes):
        top = np.asarray(y[:bars], dtype=float).ravel()
        frames.append(frame(f"{tau:g}", (0, 3, 4), [
            dict(a=y[:, 0], b=y[:, 1], c=y[:, 2]), dict(a=[mean[0]], b=[mean[1]], c=[mean[2]]),
            dict(y=top, text=[f"{v:.2f}" for v in top])],
            dict(title=dict(text=f"Gumbel-softmax samples y = softmax((ℓ + g)/τ) at τ = {tau:g}: "
                                 "small τ pushes y to the corners, large τ to the centre"),
                 annotations=[*(a.to_plotly_json() for a in fig.layout.annotations[:2]),
                              dict(text=note_html(note), x=0, y=-0.55, xref="paper", yref="paper",
                                   xanchor="left", yanchor="top", align="left", showarrow=False)])))
    return animate(fig, frames, active, "τ = ", chars=110, slider_y=-0.1)


def moments_figure(taus: np.ndarray, mean: np.ndarray, var: np.ndarray, se: np.ndarray,
                   probs: np.ndarray, labels: Sequence[str], current_tau: float | None,
                   title: str) -> go.Figure:
    """E[y_c] (left, ±2 SE) and Var[y_c] and Σ_c Var[y_c] (right) against τ on a log axis; dotted
    lines at the limits softmax(ℓ) (τ → 0) and 1/K (τ → ∞); the current τ dashed (if given)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("mean E[y_c]", "variance Var[y_c]"))
    taus = np.asarray(taus, dtype=float)
    k = mean.shape[1]
    for c in range(k):
        kw = dict(legendgroup=labels[c], line=dict(color=_color(c), width=3))
        fig.add_trace(go.Scatter(x=taus, y=mean[:, c], mode="lines+markers", name=labels[c],
                                 error_y=dict(type="data", array=2 * se[:, c], visible=True),
                                 **kw), row=1, col=1)
        fig.add_trace(go.Scatter(x=taus, y=var[:, c], mode="lines+markers", showlegend=False,
                                 name=f"Var {labels[c]}", **kw), row=1, col=2)
        fig.add_trace(go.Scatter(x=[taus[0], taus[-1]], y=[probs[c]] * 2, mode="lines",
                                 name=f"softmax(ℓ)_{c + 1}", showlegend=False,
                                 line=dict(color=_color(c), width=1, dash="dot")), row=1, col=1)
    fig.add_trace(go.Scatter(x=[taus[0], taus[-1]], y=[1 / k] * 2, mode="lines",
                             name=f"uniform 1/K = 1/{k}", line=dict(color=GREY, width=2, dash="dot")),
                  row=1, col=1)
    fig.add_trace(go.Scatter(x=taus, y=var.sum(1), mode="lines+markers",
                             name="total variance Σ_c Var[y_c]",
                             line=dict(color=EXACT, width=2)), row=1, col=2)
    for col in (1, 2) if current_tau is not None else ():
        fig.add_vline(x=float(current_tau), line=dict(color=EXACT, width=2, dash="dash"),
                      row=1, col=col)
    fig.update_xaxes(type="log", title="temperature τ")
    fig.update_layout(title=title, height=440, margin=dict(t=90),
                      legend=dict(orientation="h", y=-0.25))
    return fig


def schedule_figure(steps: np.ndarray, curves: Mapping[float, np.ndarray], tau_min: float,
                    hits: Mapping[float, float], title: str) -> go.Figure:
    """τ_t = max(τ_min, τ_0 e^{−r t}) against the step t, one line per rate r, with τ_min dotted
    and a marker where each line reaches it."""
    fig = go.Figure()
    for i, (rate, tau) in enumerate(curves.items()):
        color = CATEGORY_COLORS[i % len(CATEGORY_COLORS)]
        fig.add_trace(go.Scatter(x=steps, y=tau, mode="lines", name=f"r = {rate:g}",
                                 line=dict(color=color, width=3)))
        hit = hits.get(rate, math.inf)
        if math.isfinite(hit) and hit <= steps[-1]:
            fig.add_trace(go.Scatter(x=[hit], y=[tau_min], mode="markers+text", showlegend=False,
                                     name=f"τ_min reached, r = {rate:g}",
                                     text=[f"t = {hit:,.0f}"], textposition="top right",
                                     marker=dict(color=color, size=11, symbol="diamond")))
    fig.add_hline(y=float(tau_min), line=dict(color=GREY, width=2, dash="dot"),
                  annotation_text=f"τ_min = {tau_min:g}", annotation_position="bottom left")
    fig.update_layout(title=title, xaxis_title="training step t", yaxis_title="temperature τ_t",
                      height=400, margin=dict(t=70), legend=dict(orientation="h", y=-0.2))
    return fig
