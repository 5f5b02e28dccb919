"""Figures of the bounds lab: the ladder ELBO ≤ L_1 ≤ … ≤ L_K ≤ log p(x), gap histograms,
the Rényi family, the gap decomposition and the exact posterior under q."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.colors
import plotly.graph_objects as go

from explorer.plots.latent import ellipse_path

COLORS = plotly.colors.qualitative.Plotly
EXACT_COLOR = "black"


def bound_ladder(ks: Sequence[int], means: Sequence[float], ses: Sequence[float],
                 exact: float | None = None, elbo: float | None = None,
                 title: str = "IWAE bounds L_k (Burda et al. 2015) climb towards log p(x) as k grows"
                 ) -> go.Figure:
    """Mean L_k ± 2 standard errors against k on a log axis, with log p(x) and the ELBO as lines."""
    ks, means, ses = np.asarray(ks), np.asarray(means), np.asarray(ses)
    fig = go.Figure(go.Scatter(
        x=ks, y=means, mode="lines+markers", name="L_k (mean of repeats)",
        error_y=dict(type="data", array=2 * ses, visible=True),
        hovertemplate="k = %{x}<br>L_k = %{y:.3f} nats<extra></extra>"))
    if elbo is not None:
        fig.add_hline(y=elbo, line=dict(color=COLORS[1], dash="dot"),
                      annotation_text=f"ELBO {elbo:.2f}", annotation_position="bottom right")
    if exact is not None:
        fig.add_hline(y=exact, line=dict(color=EXACT_COLOR, dash="dash"),
                      annotation_text=f"log p(x) = {exact:.2f} (exact)",
                      annotation_position="top left")
    fig.update_xaxes(type="log", title="number of importance samples k")
    fig.update_yaxes(title="nats")
    fig.update_layout(title=title, height=420, margin=dict(l=60, r=10, t=60, b=50))
    return fig


def gap_histogram(gaps: Mapping[str, np.ndarray],
                  title: str = "Per-example gaps over the test set (nats)") -> go.Figure:
    """Overlaid histograms, one per named gap (e.g. log p(x) − ELBO, log p(x) − L_k)."""
    fig = go.Figure()
    for i, (name, values) in enumerate(gaps.items()):
        values = np.asarray(values, dtype=float)
        fig.add_trace(go.Histogram(x=values, name=f"{name} (mean {values.mean():.2f})",
                                   opacity=0.6, marker_color=COLORS[i % len(COLORS)]))
    fig.update_layout(barmode="overlay", title=title, height=380,
                      margin=dict(l=60, r=10, t=60, b=50))
    fig.update_xaxes(title="gap (nats)")
    fig.update_yaxes(title="test examples")
    return fig


def renyi_curve(alphas: Sequence[float], values: Sequence[float], alpha: float,
                exact: float | None = None,
                title: str = "Rényi bound L_α (Li & Turner 2016): α = 0 is IWAE, α = 1 the ELBO"
                ) -> go.Figure:
    """L_α over α on the same importance samples, the chosen α marked."""
    alphas, values = np.asarray(alphas), np.asarray(values)
    fig = go.Figure(go.Scatter(x=alphas, y=values, mode="lines", name="L_α"))
    j = int(np.argmin(np.abs(alphas - alpha)))
    fig.add_trace(go.Scatter(x=[alphas[j]], y=[values[j]], mode="markers", name=f"α = {alpha:g}",
                             marker=dict(size=12, color=COLORS[1])))
    if exact is not None:
        fig.add_hline(y=exact, line=dict(color=EXACT_COLOR, dash="dash"),
                      annotation_text="log p(x) (exact)")
    fig.update_xaxes(title="α")
    fig.update_yaxes(title="nats")
    fig.update_layout(title=title, height=380, margin=dict(l=60, r=10, t=60, b=50))
    return fig


def gap_bars(labels: Sequence[str], approximation: Sequence[float],
             amortization: Sequence[float],
             title: str = "Inference gap = approximation gap + amortization gap (Cremer et al. 2018)"
             ) -> go.Figure:
    """Stacked bars per data point: what the Gaussian family loses, and what the encoder adds."""
    fig = go.Figure([
        go.Bar(x=list(labels), y=list(approximation), name="approximation gap  log p(x) − ELBO(q*)",
               marker_color=COLORS[0]),
        go.Bar(x=list(labels), y=list(amortization), name="amortization gap  ELBO(q*) − ELBO(q_φ)",
               marker_color=COLORS[2]),
    ])
    fig.update_layout(barmode="stack", title=title, height=380, margin=dict(l=60, r=10, t=60, b=50),
                      legend=dict(orientation="h", y=-0.2))
    fig.update_yaxes(title="nats")
    return fig


def posterior_contours(z1: np.ndarray, z2: np.ndarray, log_post: np.ndarray,
                       q_mean: Sequence[float], q_std: Sequence[float],
                       q_star: tuple[Sequence[float], Sequence[float]] | None = None,
                       title: str = "Exact posterior p(z|x) (contours) and q(z|x): 1σ, 2σ ellipses"
                       ) -> go.Figure:
    """Filled contours of p(z|x) on a grid (log_post[i2, i1]) with q's ellipses on top."""
    dens = np.exp(np.asarray(log_post) - np.max(log_post))
    fig = go.Figure(go.Contour(x=z1, y=z2, z=dens, colorscale="Blues", showscale=False,
                               contours=dict(coloring="heatmap"), name="p(z|x)",
                               hovertemplate="z₁ %{x:.2f}, z₂ %{y:.2f}<extra></extra>"))
    ellipses = [((q_mean, q_std), "encoder q_φ(z|x)", COLORS[1])]
    if q_star is not None:
        ellipses.append((q_star, "per-point optimum q*", COLORS[2]))
    for (mean, std), name, color in ellipses:
        for r, dash in ((1, "solid"), (2, "dot")):
            ex, ey = ellipse_path(mean, np.asarray(std) * r)
            fig.add_trace(go.Scatter(x=ex, y=ey, mode="lines", name=f"{name} {r}σ",
                                     line=dict(color=color, dash=dash, width=2)))
    fig.update_xaxes(title="z₁")
    fig.update_yaxes(title="z₂", scaleanchor="x", scaleratio=1)
    fig.update_layout(title=title, height=460, margin=dict(l=60, r=10, t=60, b=50))
    return fig


def posterior_q_contours(z1: np.ndarray, z2: np.ndarray, log_post: np.ndarray,
                         log_q: Mapping[str, np.ndarray],
                         ellipses: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
                         title: str = "Exact posterior p(z|x) (shaded) and q(z|x) contours"
                         ) -> go.Figure:
    """p(z|x) shaded on its grid (log_post[i2, i1]) and, for each named q, the contours where
    its density falls to e^{−1/2} and e^{−2} of its peak — a Gaussian's 1σ and 2σ ellipses,
    and the same level sets for a full-covariance or flow q. `ellipses`: diagonal Gaussians
    given by mean and std, drawn as 1σ/2σ ellipses."""
    fig = posterior_contours(z1, z2, log_post, (0.0, 0.0), (0.0, 0.0), title=title)
    fig.data = fig.data[:1]  # keep p(z|x); the q's follow
    for i, (name, grid) in enumerate(log_q.items()):
        color = COLORS[(i + 1) % len(COLORS)]
        rel = np.asarray(grid, dtype=float) - np.max(grid)
        fig.add_trace(go.Contour(
            x=z1, y=z2, z=rel, name=f"{name} (e^−½, e^−2 of its peak)", showlegend=True,
            showscale=False, colorscale=[[0, color], [1, color]], line=dict(width=2),
            contours=dict(coloring="lines", start=-2.0, end=-0.5, size=1.5),
            hovertemplate=f"{name}<br>log q − max %{{z:.2f}}<extra></extra>"))
    for j, (name, (mean, std)) in enumerate((ellipses or {}).items()):
        for r, dash in ((1, "solid"), (2, "dot")):
            ex, ey = ellipse_path(mean, np.asarray(std) * r)
            fig.add_trace(go.Scatter(x=ex, y=ey, mode="lines", name=f"{name} {r}σ",
                                     line=dict(color=COLORS[(len(log_q) + j + 1) % len(COLORS)],
                                               dash=dash, width=2)))
    fig.update_layout(legend=dict(orientation="h", y=-0.15))
    return fig


def family_gap_bars(families: Sequence[str], gaps: Sequence[float], ses: Sequence[float],
                    title: str = "Approximation gap log p(x) − ELBO(q*) by family of q "
                                 "(Cremer et al. 2018)") -> go.Figure:
    """One bar per family of q* with ± 2 standard errors of its ELBO estimate."""
    fig = go.Figure(go.Bar(x=list(families), y=list(gaps), marker_color=COLORS[0],
                           error_y=dict(type="data", array=2 * np.asarray(ses), visible=True),
                           hovertemplate="%{x}: %{y:.3f} nats<extra></extra>"))
    fig.update_layout(title=title, height=360, margin=dict(l=60, r=10, t=60, b=50))
    fig.update_yaxes(title="nats", rangemode="tozero")
    return fig


def bounds_over_training(epochs: Mapping[str, Sequence[int]], values: Mapping[str, Sequence[float]],
                         title: str = "Bounds on the mean test log-likelihood during training"
                         ) -> go.Figure:
    """One line per recorded bound (ELBO, L_k, exact log p(x)) against epoch."""
    fig = go.Figure()
    for i, name in enumerate(values):
        fig.add_trace(go.Scatter(x=list(epochs[name]), y=list(values[name]), name=name,
                                 mode="lines+markers", line=dict(color=COLORS[i % len(COLORS)])))
    fig.update_xaxes(title="epoch")
    fig.update_yaxes(title="nats per example")
    fig.update_layout(title=title, height=400, margin=dict(l=60, r=10, t=60, b=50),
                      hovermode="x unified")
    return fig

