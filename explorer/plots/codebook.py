"""VQ-VAE figures: encoder outputs against the codebook, code usage, and the effect of the
commitment weight β_c (third lecture text §2.4, loss (∗∗); van den Oord et al. 2017).

Arrays in, plotly out. Code k keeps one colour in every figure (a 48-colour palette, cycled).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.colors
import plotly.graph_objects as go
from plotly.subplots import make_subplots

CODE_COLORS = plotly.colors.qualitative.Dark24 + plotly.colors.qualitative.Light24
DEAD_COLOR = "black"


def code_color(k) -> list[str] | str:
    """The colour of code k (or of each code in an array)."""
    if np.ndim(k):
        return [CODE_COLORS[int(i) % len(CODE_COLORS)] for i in np.asarray(k).ravel()]
    return CODE_COLORS[int(k) % len(CODE_COLORS)]


def codebook_scatter(points: np.ndarray, point_codes: np.ndarray, codebook: np.ndarray,
                     dead: np.ndarray, explained: Sequence[float], subtitle: str = "") -> go.Figure:
    """z_e points (M, 2) coloured by their nearest code; codebook vectors (K, 2) as large
    markers, dead ones (boolean mask (K,)) as black crosses. `explained`: variance fraction
    of the two axes."""
    points, codebook = np.asarray(points), np.asarray(codebook)
    dead = np.asarray(dead, dtype=bool)
    ks = np.arange(len(codebook))
    fig = go.Figure()
    fig.add_trace(go.Scattergl(
        x=points[:, 0], y=points[:, 1], mode="markers", name="z_e(x), coloured by its code",
        marker=dict(size=4, opacity=0.35, color=code_color(point_codes)),
        text=[f"k = {int(k)}" for k in point_codes], hovertemplate="z_e · %{text}<extra></extra>"))
    live = ~dead  # WebGL traces draw above SVG ones: the codebook must be WebGL too to show
    fig.add_trace(go.Scattergl(
        x=codebook[live, 0], y=codebook[live, 1], mode="markers+text", name="codebook vector e_k",
        marker=dict(size=17, symbol="diamond", color=code_color(ks[live]),
                    line=dict(width=2.5, color="black")),
        text=[str(k) for k in ks[live]], textposition="top right",
        textfont=dict(size=13, color="black"), hovertemplate="e_%{text}<extra></extra>"))
    fig.add_trace(go.Scattergl(
        x=codebook[dead, 0], y=codebook[dead, 1], mode="markers",
        name="dead code (never chosen on the test set)",
        marker=dict(size=13, symbol="x", color=DEAD_COLOR, line=dict(width=1)),
        text=[f"e_{k} (dead)" for k in ks[dead]], hovertemplate="%{text}<extra></extra>"))
    fig.update_xaxes(title=f"PC1 ({100 * explained[0]:.0f}% of the variance of z_e)")
    fig.update_yaxes(title=f"PC2 ({100 * explained[1]:.0f}%)")
    title = ("Encoder outputs z_e(x) (dots, coloured by k = argmin_j ‖z_e − e_j‖²) and codebook "
             "vectors e_k (diamonds; ✕ = dead), PCA of the test-set z_e" + subtitle)
    fig.update_layout(title=title, height=520, margin=dict(l=60, r=10, t=60, b=50),
                      legend=dict(orientation="h", y=-0.15))
    return fig


def usage_bars(counts: np.ndarray, order: np.ndarray, perplexity: float, n_dead: int) -> go.Figure:
    """Counts per code on the test set, most used first."""
    counts, order = np.asarray(counts), np.asarray(order)
    fig = go.Figure(go.Bar(x=[f"k={k}" for k in order], y=counts[order],
                           marker_color=code_color(order),
                           hovertemplate="%{x}: %{y} times<extra></extra>"))
    fig.update_xaxes(title="code (sorted by use)", type="category",
                     showticklabels=len(order) <= 64)
    fig.update_yaxes(title="times chosen (all examples × N positions)")
    fig.update_layout(
        title=(f"Code usage on the test set: counts of k = argmin_j ‖z_e − e_j‖², sorted; "
               f"perplexity exp(H(usage)) = {perplexity:.1f} of K = {len(counts)}, "
               f"{n_dead} dead codes"),
        height=400, margin=dict(l=60, r=10, t=60, b=50))
    return fig


BETA_PANELS = (
    ("test_reconstruction", "test reconstruction log p(x|z_q(x)) (nats)"),
    ("test_perplexity", "test code perplexity exp(H)"),
    ("test_dead_codes", "dead codes on the test set"),
    ("commitment_loss", "‖z_e − sg[e]‖² (commitment loss, last epoch)"),
)


def commitment_effect(rows: list[dict], current: float | None = None) -> go.Figure:
    """The final numbers of runs that differ only in β_c (trainer.families.commitment_table
    rows), one panel per quantity; β_c on a category axis so 0 sits next to 0.05."""
    fig = make_subplots(rows=2, cols=2, subplot_titles=[label for _, label in BETA_PANELS],
                        horizontal_spacing=0.12, vertical_spacing=0.2)
    xs = [f"{r['commitment']:g}" for r in rows]
    for i, (key, label) in enumerate(BETA_PANELS):
        ys = [r[key] for r in rows]
        colors = ["crimson" if current is not None and r["commitment"] == current else "#1f77b4"
                  for r in rows]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", name=label, showlegend=False,
                                 line=dict(color="#1f77b4"), marker=dict(size=10, color=colors)),
                      row=i // 2 + 1, col=i % 2 + 1)
    fig.update_xaxes(type="category", title="commitment weight β_c")
    fig.update_layout(
        title=("Runs that differ only in β_c in  −log p(x|z_q) + ‖sg[z_e] − e‖² + β_c‖z_e − sg[e]‖²"
               " (∗∗): final test numbers (red: the selected run)"),
        height=620, margin=dict(l=60, r=10, t=90, b=50))
    return fig
