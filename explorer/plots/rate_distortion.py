"""Rate against distortion for a β sweep (Alemi et al. 2018, "Fixing a broken ELBO"): the
ELBO is −(D + R), so runs on one line D + R = c have the same ELBO however differently they
split it between using the latent code (rate) and reconstructing (distortion)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

LINE_COLOR = "#9a9a9a"


def _point_label(row: dict, label: str) -> str:
    return f"β={row['beta']:g}" if label == "beta" else str(row[label])


def _is_current(row: dict, label: str, current) -> bool:
    if current is None:
        return False
    value = row[label]
    return bool(np.isclose(value, current)) if label == "beta" else value == current


def rate_distortion_figure(rows: Sequence[dict], current=None, label: str = "beta") -> go.Figure:
    """Each run at (R, D), labelled by its β (or by the row's `label` column, e.g. "decoder"),
    with the iso-ELBO line D + R = −ELBO through it; the `current` run drawn larger."""
    rate = np.array([r["rate"] for r in rows], dtype=float)
    dist = np.array([r["distortion"] for r in rows], dtype=float)
    fig = go.Figure()
    lo, hi = 0.0, float(np.nanmax(rate + dist)) if len(rows) else 1.0
    for r, d in zip(rate, dist):
        c = r + d  # −ELBO of this run: the line R + D = c holds every split of the same ELBO
        fig.add_trace(go.Scatter(x=[lo, c], y=[c, lo], mode="lines", showlegend=False,
                                 line=dict(color=LINE_COLOR, dash="dot", width=1),
                                 hoverinfo="skip"))
    size = [16 if _is_current(x, label, current) else 10 for x in rows]
    what = "β" if label == "beta" else label
    fig.add_trace(go.Scatter(
        x=rate, y=dist, mode="lines+markers+text", name=f"runs ({what})",
        text=[_point_label(x, label) for x in rows], textposition="top right",
        marker=dict(size=size, color="#1f77b4"), line=dict(color="#1f77b4"),
        customdata=[[x["elbo"]] for x in rows],
        hovertemplate="R %{x:.2f} nats<br>D %{y:.2f} nats<br>ELBO %{customdata[0]:.2f}"
                      "<extra>%{text}</extra>"))
    if len(rows):  # zoom on the runs: the iso-ELBO lines run on beyond the frame
        pad = 0.05 * max(1.0, hi)
        fig.update_xaxes(range=[0, float(np.nanmax(rate)) * 1.15 + pad])
        fig.update_yaxes(range=[float(np.nanmin(dist)) - pad, float(np.nanmax(dist)) + pad])
    fig.update_xaxes(title="rate R = KL(q(z|x) ‖ p(z)), nats")
    fig.update_yaxes(title="distortion D = −E_q log p(x|z), nats")
    fig.update_layout(title=f"Rate against distortion, one point per {what}; dotted: the lines "
                            "D + R = −ELBO through each run", height=460)
    return fig


def collapse_figure(rows: Sequence[dict]) -> go.Figure:
    """Active units and the rate against β (log axis): posterior collapse as β grows."""
    beta = [r["beta"] for r in rows]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=beta, y=[r["active_units"] for r in rows], mode="lines+markers",
                             name="active units (KL_j > 0.01 nats)"))
    fig.add_trace(go.Scatter(x=beta, y=[r["rate"] for r in rows], mode="lines+markers",
                             name="rate R (nats)", yaxis="y2"))
    d = rows[0]["latent_dim"] if rows else 1
    fig.update_layout(
        title="Posterior collapse: active latent units and the rate as β grows", height=380,
        xaxis=dict(title="β (KL weight)", type="log", tickvals=beta,
                   ticktext=[f"{b:g}" for b in beta]),
        yaxis=dict(title="active units", range=[-0.2, d + 0.2], dtick=max(1, d // 10)),
        yaxis2=dict(title="rate R (nats)", overlaying="y", side="right", rangemode="tozero"),
        legend=dict(orientation="h", yref="container", y=0.01, yanchor="bottom"),
        margin=dict(b=90))
    return fig


def decoder_collapse_figure(rows: Sequence[dict]) -> go.Figure:
    """Active units (bars) and the rate (markers) per decoder, weakest first: posterior
    collapse as p(x|z) gets more powerful (Bowman et al. 2016; Chen et al. 2017)."""
    names = [r["decoder"] for r in rows]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=names, y=[r["active_units"] for r in rows],
                         name="active units (KL_j > 0.01 nats)", marker_color="#1f77b4"))
    fig.add_trace(go.Scatter(x=names, y=[r["rate"] for r in rows], mode="markers",
                             marker=dict(size=12, symbol="diamond", color="#d55e00"),
                             name="rate R (nats)", yaxis="y2"))
    d = rows[0]["latent_dim"] if rows else 1
    fig.update_layout(
        title="Posterior collapse: active latent units and the rate per decoder p(x|z)",
        height=380, xaxis=dict(title="decoder (hidden sizes from z to x)", type="category"),
        yaxis=dict(title="active units", range=[0, d + 0.2], dtick=max(1, d // 10)),
        yaxis2=dict(title="rate R (nats)", overlaying="y", side="right", rangemode="tozero"),
        legend=dict(orientation="h", yref="container", y=0.01, yanchor="bottom"),
        margin=dict(b=90))
    return fig


def decoder_toy_figure(rows: Sequence[dict], truth: float, references: dict) -> go.Figure:
    """Left: the rate R per decoder against reference code lengths log n (`references`:
    what → n). Right: the test ELBO per decoder against the data's exact log-likelihood (−H)."""
    from plotly.subplots import make_subplots

    names = [r["decoder"] for r in rows]
    fig = make_subplots(1, 2, subplot_titles=("rate R = KL(q(z|x) ‖ p(z)), nats",
                                              "test ELBO against the true log p(x), nats"))
    fig.add_trace(go.Bar(x=names, y=[r["rate"] for r in rows], name="rate R",
                         marker_color="#1f77b4"), 1, 1)
    for (what, n), dash in zip(references.items(), ("dash", "dot")):
        fig.add_hline(y=float(np.log(n)), line=dict(color=LINE_COLOR, dash=dash), row=1, col=1,
                      annotation_text=f"log {n}: {what}",
                      annotation_position="top left")
    fig.add_trace(go.Bar(x=names, y=[r["elbo"] for r in rows], name="test ELBO",
                         marker_color="#009e73"), 1, 2)
    fig.add_hline(y=truth, line=dict(color="#d55e00", dash="dash"), row=1, col=2,
                  annotation_text=f"data's own E log p(x) = {truth:.2f}",
                  annotation_position="bottom left")
    lo = min([truth, *[r["elbo"] for r in rows]])
    fig.update_yaxes(range=[lo - 1.0, 0], row=1, col=2)
    fig.update_xaxes(type="category")
    fig.update_layout(title="Bars and stripes: what z carries with a factorised and an "
                            "autoregressive decoder", height=400, showlegend=False)
    return fig
