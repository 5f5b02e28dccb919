"""Figures of the Smoothing transformations page (third lecture text, §2.3 and its Figure 1;
Rolfe 2016; Vahdat et al. 2018).  Arrays and plain values in, `go.Figure` out; no Streamlit."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.plots.estimators import EXACT
from explorer.plots.frames import animate, frame, note_html

SHORT = {"spike_exponential": "f1 (spike-and-exponential)", "spike_power": "f2 (spike-and-power)",
         "symmetric_power": "f3 (symmetric power)"}
FUNC_COLORS = {"spike_exponential": "#1f77b4", "spike_power": "#ff7f0e",
               "symmetric_power": "#2ca02c"}
BETA_DASHES = ("dot", "solid", "dash")          # the text's Figure 1: dotted < solid < dashed
BETA_COLORS = ("#9467bd", "#1f77b4", "#d62728")
STEP = dict(color="#7f7f7f", width=2, dash="longdash")


def _finish(fig: go.Figure, title: str, height: int = 400, **layout) -> go.Figure:
    """The common layout: title, height, room for the title, legend below the plot."""
    fig.update_layout(title=title, height=height, margin=dict(t=70),
                      legend=dict(orientation="h", y=-0.2), **layout)
    return fig


def step_trace(p: float, showlegend: bool = True) -> go.Scatter:
    """The β → ∞ limit 1[ε ≥ 1 − p], the Bernoulli(p) bit, as a dashed grey step."""
    q = 1 - p
    return go.Scatter(x=[0, q, q, 1], y=[0, 0, 1, 1], mode="lines", name="step 1[ε ≥ 1−p]",
                      legendgroup="step", showlegend=showlegend, line=STEP)


def _add_curves(fig: go.Figure, eps: np.ndarray, zeta: np.ndarray, betas: Sequence[float],
                p: float, row=None, col=None, legend: bool = True) -> None:
    """ζ(ε) per β (rows of `zeta`) and the step, into one panel."""
    for i, (beta, z) in enumerate(zip(betas, zeta)):
        j = i % len(BETA_DASHES) if len(betas) > 1 else 1
        fig.add_trace(go.Scatter(x=eps, y=z, mode="lines", name=f"β = {beta:g}",
                                 legendgroup=f"β{i}", showlegend=legend,
                                 line=dict(color=BETA_COLORS[j], width=2.5, dash=BETA_DASHES[j])),
                      row=row, col=col)
    fig.add_trace(step_trace(p, legend), row=row, col=col)


def figure1(curves: Mapping[tuple[str, float], tuple[np.ndarray, np.ndarray]],
            betas: Sequence[float], title: str) -> go.Figure:
    """The text's Figure 1: rows f1, f2, f3, columns p; in each panel ζ = f(β, p, ε) against ε
    for each β, and the step.  curves: {(name, p): (ε grid, ζ with one row per β)}."""
    names = list(dict.fromkeys(n for n, _ in curves))
    ps = list(dict.fromkeys(p for _, p in curves))
    fig = make_subplots(rows=len(names), cols=len(ps), shared_xaxes=True, shared_yaxes=True,
                        vertical_spacing=0.07, horizontal_spacing=0.04,
                        subplot_titles=[f"{SHORT.get(n, n).split()[0]}, p = {p:g}"
                                        for n in names for p in ps])
    for r, name in enumerate(names, 1):
        for c, p in enumerate(ps, 1):
            eps, zeta = curves[(name, p)]
            _add_curves(fig, eps, zeta, betas, p, row=r, col=c, legend=(r, c) == (1, 1))
        fig.update_yaxes(title_text=f"ζ = {SHORT.get(name, name).split()[0]}", row=r, col=1)
    fig.update_xaxes(title_text="ε", row=len(names))
    fig.update_layout(title=title, height=760, margin=dict(t=100),
                      legend=dict(orientation="h", y=-0.08))
    return fig


def zeta_figure(eps: np.ndarray, zeta: np.ndarray, beta: float, p: float, title: str) -> go.Figure:
    """ζ = f(β, p, ε) against ε for one choice, with the step it approximates."""
    fig = go.Figure()
    _add_curves(fig, eps, np.atleast_2d(zeta), [beta], p)
    return _finish(fig, title, xaxis_title="ε ~ U(0, 1)", yaxis_title="ζ")


def density_figure(edges: np.ndarray, hist: np.ndarray, grid: np.ndarray, dens: np.ndarray,
                   spike_mass: float, spike_sampled: float, ymax: float, title: str) -> go.Figure:
    """Histogram of the continuous part of ζ (bars), the analytic density on top (black), and a
    spike at ζ = 0 of mass `spike_mass` drawn as a stem with its mass written on it.  The y-axis
    is cut at `ymax` (the power densities are infinite at the endpoints for β > 1)."""
    centres = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure(go.Bar(x=centres, y=hist, width=np.diff(edges), name="histogram of samples",
                           marker_color="#1f77b4", opacity=0.6))
    fig.add_trace(go.Scatter(x=grid, y=np.minimum(dens, 10 * ymax), mode="lines",
                             name="analytic density", line=dict(color=EXACT, width=2.5)))
    if spike_mass > 0:
        fig.add_trace(go.Scatter(x=[0, 0], y=[0, 0.92 * ymax], mode="lines+markers",
                                 name=f"spike at ζ = 0: mass 1 − p = {spike_mass:.3g}",
                                 line=dict(color="#d62728", width=6),
                                 marker=dict(size=[0, 12], symbol="triangle-up")))
        fig.add_annotation(x=0, y=0.92 * ymax, xanchor="left", showarrow=False,
                           text=f" P(ζ = 0) = {spike_mass:.3g} (sampled {spike_sampled:.3f})")
    return _finish(fig, title, xaxis_title="ζ", yaxis_title="density", bargap=0,
                   xaxis_range=[-0.03, 1.02], yaxis_range=[0, ymax])


def derivative_figure(eps: np.ndarray, grad: np.ndarray, p: float, title: str) -> go.Figure:
    """∂ζ/∂p against ε, with 1 − p (where the bit switches) dotted."""
    fig = go.Figure(go.Scatter(x=eps, y=grad, mode="lines", name="∂ζ/∂p (autograd)",
                               line=dict(color="#9467bd", width=3)))
    fig.add_vline(x=1 - p, line=dict(color=STEP["color"], width=2, dash="dot"),
                  annotation_text="ε = 1 − p")
    return _finish(fig, title, xaxis_title="ε", yaxis_title="∂ζ/∂p")


def l1_figure(betas: np.ndarray, l1: Mapping[str, np.ndarray], current: str, beta: float,
              title: str) -> go.Figure:
    """∫|f(β, p, ε) − 1[ε ≥ 1−p]| dε against β on log-log axes, one line per f (the chosen one
    thick; f2 dashed, as at p = ½ it equals f3), with the current β marked."""
    fig = go.Figure()
    betas = np.asarray(betas, dtype=float)
    for name, d in l1.items():
        fig.add_trace(go.Scatter(x=betas, y=d, mode="lines+markers", name=SHORT.get(name, name),
                                 line=dict(color=FUNC_COLORS.get(name), width=4 if name == current
                                           else 1.5, dash="dash" if name == "spike_power" else None)))
    if current in l1:
        y = float(np.interp(np.log(beta), np.log(betas), l1[current]))
        fig.add_trace(go.Scatter(x=[beta], y=[y], mode="markers", name=f"β = {beta:g}",
                                 marker=dict(color=EXACT, size=13, symbol="star")))
    return _finish(fig, title, xaxis=dict(type="log", title="β"),
                   yaxis=dict(type="log", title="L1 distance ∫|f − step| dε"))


def _padded(y: np.ndarray) -> list[float]:
    """An axis range around y and 0, with 8% to spare."""
    lo, hi = min(float(np.min(y)), 0.0), max(float(np.max(y)), 0.0)
    pad = 0.08 * max(hi - lo, 1e-9)
    return [lo - pad, hi + pad]


def smoothing_frames_figure(label: str, p: float, betas: Sequence[float], views: Sequence[dict],
                            l1: Mapping[str, np.ndarray], current: str, notes: Sequence[str],
                            active: int) -> go.Figure:
    """One smoothing f at one p, one frame per β (moved by the figure's own β slider in the
    browser): ζ(ε) and the step, the density of ζ (histogram, analytic curve, spike at 0), the
    pathwise gradient ∂ζ/∂p, and the L1 distance to the step against β with β marked.
    views[i]: eps, zeta, grad, edges, hist, spike, grid, dens, mass, ymax at betas[i]."""
    v0 = views[active]
    short = label.split()[0]
    fig = make_subplots(rows=2, cols=2, vertical_spacing=0.16, horizontal_spacing=0.08,
                        subplot_titles=(f"ζ = {short}(β, p, ε) against ε, and the step it smooths",
                                        f"density q(ζ): histogram of samples vs the analytic density",
                                        "pathwise gradient ∂ζ/∂p against ε (autograd)",
                                        "L1 distance ∫|f − step| dε against β (log–log)"))
    # Legend: at most ~5 entries on a projector, so a trace its panel's title names (ζ, ∂ζ/∂p),
    # the spike (annotated in every frame) and the L1 curves (named at their ends) stay out.
    fig.add_trace(go.Scatter(x=v0["eps"], mode="lines", name="ζ = f(β, p, ε)", showlegend=False,
                             line=dict(color=BETA_COLORS[1], width=2.5)), row=1, col=1)
    fig.add_trace(step_trace(p), row=1, col=1)
    centres = (v0["edges"][:-1] + v0["edges"][1:]) / 2
    fig.add_trace(go.Bar(x=centres, width=np.diff(v0["edges"]), name="histogram of samples",
                         marker_color="#1f77b4", opacity=0.6), row=1, col=2)
    fig.add_trace(go.Scatter(x=v0["grid"], mode="lines", name="analytic density",
                             line=dict(color=EXACT, width=2.5)), row=1, col=2)
    spiky = v0["mass"] > 0
    if spiky:
        fig.add_trace(go.Scatter(x=[0, 0], mode="lines+markers", line=dict(color="#d62728", width=6),
                                 name=f"spike at ζ = 0: mass 1 − p = {v0['mass']:.3g}",
                                 showlegend=False,
                                 marker=dict(size=[0, 12], symbol="triangle-up")), row=1, col=2)
    fig.add_trace(go.Scatter(x=v0["eps"], mode="lines", name="∂ζ/∂p (autograd)", showlegend=False,
                             line=dict(color="#9467bd", width=3)), row=2, col=1)
    fig.add_vline(x=1 - p, line=dict(color=STEP["color"], width=2, dash="dot"),
                  annotation_text="ε = 1 − p", row=2, col=1)
    betas = np.asarray(betas, dtype=float)
    for name, d in l1.items():
        short_name = SHORT.get(name, name)
        fig.add_trace(go.Scatter(x=betas, y=d, mode="lines+markers+text", name=short_name,
                                 showlegend=False, text=[""] * (len(betas) - 1) + [short_name],
                                 textposition="middle left", cliponaxis=False,
                                 textfont=dict(color=FUNC_COLORS.get(name)),
                                 line=dict(color=FUNC_COLORS.get(name), width=4 if name == current
                                           else 1.5, dash="dash" if name == "spike_power" else None)),
                      row=2, col=2)
    fig.add_trace(go.Scatter(mode="markers", name="current β", showlegend=False,
                             marker=dict(color=EXACT, size=13, symbol="star")), row=2, col=2)
    fig.update_xaxes(title_text="ε ~ U(0, 1)", row=1, col=1)
    fig.update_xaxes(title_text="ζ", range=[-0.03, 1.02], row=1, col=2)
    fig.update_xaxes(title_text="ε", row=2, col=1)
    fig.update_xaxes(title_text="β", type="log", row=2, col=2)
    fig.update_yaxes(title_text="ζ", range=[-0.05, 1.05], row=1, col=1)
    fig.update_yaxes(title_text="density", row=1, col=2)
    fig.update_yaxes(title_text="∂ζ/∂p", row=2, col=1)
    fig.update_yaxes(title_text="L1 distance", type="log", row=2, col=2)
    fig.update_layout(height=930, margin=dict(t=90, b=290), bargap=0,
                      legend=dict(orientation="h", y=-0.25))
    static = [a.to_plotly_json() for a in fig.layout.annotations]
    grad_idx = 5 if spiky else 4
    changing = [0, 2, 3] + ([4] if spiky else []) + [grad_idx, len(fig.data) - 1]
    frames = []
    for beta, v, note in zip(betas, views, notes):
        ymax = v["ymax"]
        data = [dict(y=v["zeta"], name=f"ζ = {short}(β = {beta:g}, p = {p:g}, ε)"),
                dict(y=v["hist"]), dict(y=np.minimum(v["dens"], 10 * ymax))]
        spike_text = []
        if spiky:
            data.append(dict(y=[0, 0.92 * ymax]))
            spike_text = [dict(x=0, y=0.92 * ymax, xref="x2", yref="y2", xanchor="left",
                               showarrow=False, text=f" P(ζ = 0) = {v['mass']:.3g} "
                                                     f"(sampled {v['spike']:.3f})")]
        data += [dict(y=v["grad"]), dict(x=[beta], y=[float(np.interp(np.log(beta), np.log(betas),
                                                                       l1[current]))])]
        frames.append(frame(f"{beta:g}", changing, data, dict(
            title=dict(text=f"{label} at β = {beta:g}, p = {p:g}: the smoothed bit ζ, its density, "
                            "its gradient in p, and its distance to the step"),
            yaxis2=dict(range=[0, ymax]), yaxis3=dict(range=_padded(v["grad"])),
            annotations=static + spike_text + [dict(
                text=note_html(note), x=0, y=-0.37, xref="paper", yref="paper", xanchor="left",
                yanchor="top", align="left", showarrow=False)])))
    return animate(fig, frames, active, "β = ", chars=110, slider_y=-0.08)
