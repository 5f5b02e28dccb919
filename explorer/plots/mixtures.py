"""Figures of the infinite-mixture page: log p(x) heat maps with the data, Gaussian components
as 1σ/2σ ellipses, stacked component densities along a slice, and the latent strip/plane.

Arrays in, `go.Figure` out; no Streamlit. Grids are (n2, n1) arrays indexed [i2, i1].
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.colors
import plotly.graph_objects as go

PALETTE = plotly.colors.qualitative.Plotly
FLOOR_NATS = 12.0  # heat maps show log p down to max − 12 nats (a factor e^12 ≈ 1.6e5)
MAX_DATA_POINTS = 600  # data points drawn over a heat map


def covariance_ellipse(mean, cov, k: float = 1.0, n: int = 60) -> tuple[np.ndarray, np.ndarray]:
    """x and y of the closed k-σ ellipse {x: (x − μ)ᵀ Σ⁻¹ (x − μ) = k²} of a 2-D Gaussian."""
    vals, vecs = np.linalg.eigh(np.asarray(cov, dtype=float))
    t = np.linspace(0.0, 2 * np.pi, n + 1)
    t[-1] = 0.0  # close the path exactly
    circle = np.stack([np.cos(t), np.sin(t)])
    path = np.asarray(mean, dtype=float)[:, None] + k * vecs @ (np.sqrt(np.maximum(vals, 0))[:, None] * circle)
    return path[0], path[1]


def _data_trace(points: np.ndarray) -> go.Scatter:
    step = max(1, len(points) // MAX_DATA_POINTS)
    p = np.asarray(points)[::step]
    return go.Scatter(x=p[:, 0], y=p[:, 1], mode="markers", name="data x (train)",
                      marker=dict(size=3, color="white", opacity=0.6,
                                  line=dict(color="black", width=0.5)), hoverinfo="skip")


def log_density_map(axes, log_p: np.ndarray, points: np.ndarray | None, title: str,
                    label: str = "log p(x)", floor: float | None = None) -> go.Figure:
    """Heat map of a log density on the (n2, n1) grid, clipped below at max − FLOOR_NATS (or
    `floor`, so several maps share one colour scale), with the data points on top."""
    log_p = np.asarray(log_p, dtype=float)
    top = float(np.max(log_p[np.isfinite(log_p)])) if np.isfinite(log_p).any() else 0.0
    lo = top - FLOOR_NATS if floor is None else floor
    fig = go.Figure(go.Heatmap(x=axes[0], y=axes[1], z=np.clip(np.nan_to_num(log_p, neginf=lo), lo, None),
                               colorscale="Viridis", zmin=lo, colorbar=dict(title=label),
                               hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}<br>" + label + " %{z:.2f}<extra></extra>"))
    if points is not None:
        fig.add_trace(_data_trace(points))
    fig.update_xaxes(title="x₁", range=[axes[0][0], axes[0][-1]], constrain="domain")
    fig.update_yaxes(title="x₂", range=[axes[1][0], axes[1][-1]], scaleanchor="x", scaleratio=1,
                     constrain="domain")
    fig.update_layout(title=title, height=520, margin=dict(l=50, r=10, t=60, b=50),
                      legend=dict(orientation="h", y=-0.15, bgcolor="#444", font=dict(color="white")))
    return fig


def add_ellipses(fig: go.Figure, means, covs, name: str, color: str = "white",
                 levels: Sequence[float] = (1.0, 2.0), texts: Sequence[str] | None = None,
                 width: float = 2.0) -> go.Figure:
    """1σ and 2σ ellipses of Gaussian components (means (K, 2), covs (K, 2, 2)); one legend entry."""
    for i, (m, c) in enumerate(zip(np.asarray(means), np.asarray(covs))):
        for j, k in enumerate(levels):
            x, y = covariance_ellipse(m, c, k)
            fig.add_trace(go.Scatter(x=x, y=y, mode="lines", name=name, legendgroup=name,
                                     showlegend=i == 0 and j == 0, hoverinfo="skip",
                                     line=dict(color=color, width=width, dash=None if j == 0 else "dot")))
    if texts is not None:
        m = np.asarray(means)
        fig.add_trace(go.Scatter(x=m[:, 0], y=m[:, 1], mode="markers+text", text=list(texts),
                                 textposition="top center", textfont=dict(color=color, size=10),
                                 marker=dict(color=color, size=7, symbol="x"), name=f"{name} means",
                                 legendgroup=name, showlegend=False, hoverinfo="text"))
    return fig


def mixture_figure(axes, log_p, points, weights, means, covs, title: str) -> go.Figure:
    """A K-component mixture: log p(x) heat map, data, and each component's 1σ/2σ ellipse
    labelled with its weight p(z=k)."""
    fig = log_density_map(axes, log_p, points, title)
    return add_ellipses(fig, means, covs, "components N(μ_k, Σ_k): 1σ, 2σ",
                        texts=[f"p(z={k + 1})={w:.2f}" for k, w in enumerate(weights)])


def add_curves(fig: go.Figure, curves: np.ndarray, name: str = "decoder means μ_θ(z)",
               color: str = "orange") -> go.Figure:
    """Lines through the decoded means (L, n, 2): the curve (d = 1) or mesh (d = 2) they lie on."""
    for i, c in enumerate(np.asarray(curves)):
        fig.add_trace(go.Scatter(x=c[:, 0], y=c[:, 1], mode="lines", name=name, legendgroup=name,
                                 showlegend=i == 0, hoverinfo="skip",
                                 line=dict(color=color, width=1.5 if len(curves) == 1 else 0.7)))
    return fig


def stacked_slice(x1: np.ndarray, log_parts: np.ndarray, log_total: np.ndarray, names: Sequence[str],
                  title: str, x2: float) -> go.Figure:
    """Weighted component densities along the slice x₂ = const, stacked: they add up to p(x)."""
    fig = go.Figure()
    for i, (lp, name) in enumerate(zip(np.asarray(log_parts), names)):
        fig.add_trace(go.Scatter(x=x1, y=np.exp(lp), name=name, mode="lines", stackgroup="parts",
                                 line=dict(width=0.5, color=PALETTE[i % len(PALETTE)])))
    fig.add_trace(go.Scatter(x=x1, y=np.exp(log_total), name="p(x) (the sum)", mode="lines",
                             line=dict(color="black", width=2, dash="dash")))
    fig.update_layout(title=title, height=380, xaxis_title=f"x₁ (at x₂ = {x2:.2f})",
                      yaxis_title="density", legend=dict(orientation="h", y=-0.25),
                      margin=dict(t=60))
    return fig


def latent_strip(z: np.ndarray, log_prior: np.ndarray, z_selected: float, interval, title: str) -> go.Figure:
    """d = 1: p(z) with the chosen z marked and the kept z-interval shaded."""
    z = np.asarray(z).ravel()
    dens = np.exp(np.asarray(log_prior))
    inside = (z >= interval[0]) & (z <= interval[1])
    fig = go.Figure([
        go.Scatter(x=z, y=dens, mode="lines", name="p(z) = N(0, 1)", line=dict(color="#1f77b4", width=2)),
        go.Scatter(x=z[inside], y=dens[inside], mode="lines", fill="tozeroy", name="kept components",
                   line=dict(color="#ff7f0e", width=0)),
    ])
    fig.add_vline(x=float(z_selected), line=dict(color="crimson", width=2),
                  annotation_text=f"z = {float(z_selected):.2f}")
    fig.update_xaxes(range=[-4, 4])
    fig.update_layout(title=title, height=230, xaxis_title="z", yaxis_title="p(z)",
                      margin=dict(t=50, b=40), showlegend=False)
    return fig


def latent_plane(z_kept: np.ndarray, z_selected, title: str, half: float = 3.5) -> go.Figure:
    """d = 2: contours of p(z) = N(0, I) (1, 2, 3σ), the kept nodes and the chosen z."""
    fig = go.Figure()
    for k in (1.0, 2.0, 3.0):
        x, y = covariance_ellipse([0, 0], np.eye(2), k)
        fig.add_trace(go.Scatter(x=x, y=y, mode="lines", line=dict(color="#1f77b4", width=1),
                                 name="p(z): 1, 2, 3σ", legendgroup="p", showlegend=k == 1.0,
                                 hoverinfo="skip"))
    z_kept = np.asarray(z_kept).reshape(-1, 2)
    step = max(1, len(z_kept) // 3000)
    fig.add_trace(go.Scatter(x=z_kept[::step, 0], y=z_kept[::step, 1], mode="markers",
                             name="kept nodes z_j", marker=dict(size=3, color="#ff7f0e")))
    fig.add_trace(go.Scatter(x=[z_selected[0]], y=[z_selected[1]], mode="markers", name="chosen z",
                             marker=dict(size=12, color="crimson", symbol="x")))
    fig.update_xaxes(title="z₁", range=[-half, half], constrain="domain")
    fig.update_yaxes(title="z₂", range=[-half, half], scaleanchor="x", scaleratio=1, constrain="domain")
    fig.update_layout(title=title, height=360, margin=dict(t=50, b=40),
                      legend=dict(orientation="h", y=-0.2))
    return fig


def loglik_by_k(ks: Sequence[int], train: Sequence[float], test: Sequence[float], title: str,
                vae: float | None = None) -> go.Figure:
    """Average log-likelihood of the K-component mixtures, train and test, against K."""
    fig = go.Figure([
        go.Scatter(x=list(ks), y=list(train), mode="lines+markers", name="train"),
        go.Scatter(x=list(ks), y=list(test), mode="lines+markers", name="test"),
    ])
    if vae is not None:
        fig.add_hline(y=vae, line=dict(color="crimson", dash="dash"),
                      annotation_text=f"VAE (test, quadrature) {vae:.3f}")
    fig.update_layout(title=title, height=330, xaxis_title="K (components)",
                      yaxis_title="nats per point", margin=dict(t=60))
    return fig
