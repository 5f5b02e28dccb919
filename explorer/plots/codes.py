"""Figures of the Categorical & binary codes page (third lecture text §2.2 and §2.3; Jang et al.
2017; Rolfe 2016). Arrays in, plotly figures out, no Streamlit. Variable n (0-based) is shown as
z_{n+1} and category j as k = j + 1, as in the text (1-based).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from explorer.views.latent import dimension_label
from explorer.plots.images import image_grid, image_row, traversal_figure

Q_COLOR, ON_COLOR, PRIOR_COLOR, UNUSED_COLOR = "#1f77b4", "#ff7f0e", "crimson", "#7f7f7f"


def _labels(n: int) -> list[str]:
    return [dimension_label(i) for i in range(n)]


def _table_heatmap(values: np.ndarray, row_labels: Sequence[str], title: str, colorbar: str,
                   hover: str) -> go.Figure:
    """An N × K table of values in [0, 1], variable z₁ on top, category k = 1 … K across."""
    values = np.asarray(values, dtype=float)
    n, k = values.shape
    fig = go.Figure(go.Heatmap(
        z=values, x=[str(j + 1) for j in range(k)], y=list(row_labels), zmin=0, zmax=1,
        colorscale="Blues", colorbar=dict(title=colorbar), xgap=1, ygap=1,
        hovertemplate=hover + "<extra></extra>"))
    fig.update_xaxes(title="category k", type="category", showticklabels=k <= 64)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_layout(title=title, height=int(np.clip(60 + 22 * n, 260, 900)),
                      margin=dict(l=10, r=10, t=60, b=50))
    return fig


def posterior_heatmap(probs: np.ndarray, code: Sequence[int]) -> go.Figure:
    """q(z_n = k | x) for one x (N, K), the most probable category of each variable ringed."""
    n = len(probs)
    labels = _labels(n)
    fig = _table_heatmap(probs, labels, "Posterior q(z|x) = Π_n Cat(z_n; softmax ℓ_n(x)) of the "
                         "selected image (§2.2); ○ = most probable category, the code decoded",
                         "q(z_n=k|x)", "%{y}, k = %{x}: q = %{z:.3f}")
    fig.add_trace(go.Scatter(x=[str(int(j) + 1) for j in code], y=labels, mode="markers",
                             marker=dict(symbol="circle-open", size=12, color=PRIOR_COLOR,
                                         line=dict(width=2)),
                             name="argmax_k q(z_n = k|x)", hoverinfo="skip", showlegend=False))
    return fig


def bit_posterior_figure(q: np.ndarray, prior: np.ndarray) -> go.Figure:
    """q(z_i = 1 | x) per bit for one x, the learned prior σ(b_i) as markers."""
    labels = _labels(len(q))
    fig = go.Figure(go.Bar(x=labels, y=q, name="q(z_i = 1 | x) = σ(ℓ_i(x))", marker_color=Q_COLOR,
                           hovertemplate="%{x}: q = %{y:.3f}<extra></extra>"))
    fig.add_trace(go.Scatter(x=labels, y=prior, mode="markers", name="prior σ(b_i)",
                             marker=dict(symbol="line-ew-open", size=18, color=PRIOR_COLOR,
                                         line=dict(width=3)),
                             hovertemplate="%{x}: prior %{y:.3f}<extra></extra>"))
    fig.add_hline(y=0.5, line=dict(color="black", dash="dot", width=1))
    fig.update_xaxes(title="bit", type="category")
    fig.update_yaxes(title="probability of z_i = 1", range=[0, 1.02])
    fig.update_layout(title="Posterior q(z|x) = Π_i Bern(z_i; σ(ℓ_i(x))) of the selected image "
                            "against the learned prior p(z_i=1) = σ(b_i) (§2.3); bits above the "
                            "dotted ½ are on in the code decoded",
                      height=380, margin=dict(l=60, r=10, t=70, b=50),
                      legend=dict(orientation="h", y=-0.2))
    return fig


def usage_heatmap(fraction: np.ndarray, perplexity: np.ndarray, unused: np.ndarray) -> go.Figure:
    """How often each category is the argmax on the test set (N, K); each row's perplexity
    exp(H) in its label, unused variables (perplexity ≈ 1) marked ✕."""
    k = fraction.shape[1]
    rows = [f"{dimension_label(n)} · exp(H) = {p:.2f}{' ✕' if u else ''}"
            for n, (p, u) in enumerate(zip(perplexity, unused))]
    return _table_heatmap(fraction, rows, "Category usage on the test set: fraction of images whose "
                          f"most probable z_n is k, with exp(H) per variable (K = {k} if all "
                          "used evenly, 1 if one category always wins; ✕ = unused, collapsed)",
                          "fraction", "%{y}<br>k = %{x}: %{z:.3f} of images")


def bit_usage_figure(mean_q: np.ndarray, fraction_on: np.ndarray, prior: np.ndarray,
                     unused: np.ndarray) -> go.Figure:
    """Per bit: mean q(z_i=1|x) and the fraction of images with the bit on, beside σ(b_i)."""
    labels = [f"{lab}{' ✕' if u else ''}" for lab, u in zip(_labels(len(mean_q)), unused)]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=labels, y=mean_q, name="mean over x of q(z_i = 1 | x)",
                         marker_color=Q_COLOR))
    fig.add_trace(go.Bar(x=labels, y=fraction_on, name="fraction of images with bit on (q > ½)",
                         marker_color=ON_COLOR))
    fig.add_trace(go.Scatter(x=labels, y=prior, mode="markers", name="learned prior σ(b_i)",
                             marker=dict(symbol="diamond", size=10, color=PRIOR_COLOR)))
    fig.update_xaxes(title="bit (✕ = constant on the test set: unused, collapsed)", type="category")
    fig.update_yaxes(title="probability / fraction", range=[0, 1.02])
    fig.update_layout(title="Bit usage on the test set: the aggregate posterior E_x q(z_i=1|x), how "
                            "often each bit is on, and the learned factorial prior σ(b_i) (§2.3)",
                      barmode="group", height=400, margin=dict(l=60, r=10, t=70, b=50),
                      legend=dict(orientation="h", y=-0.3))
    return fig


def code_images(x: np.ndarray, recon: np.ndarray, shape, dvae: bool) -> go.Figure:
    """The selected image and its reconstruction from the most probable code."""
    how = "bits with q > ½, read as ζ = E[ζ|z]" if dvae else "argmax_k q(z_n=k|x) per variable"
    return image_row(np.stack([x, recon]), shape, titles=["input x", "decode(code)"],
                     title=f"Selected test image and decoder mean of p(x|z) at its most probable "
                           f"code ({how})")


def edit_figure(x: np.ndarray, original: np.ndarray, edited: np.ndarray, shape, change: str
                ) -> go.Figure:
    """Input, decoded original code and decoded edited code, side by side."""
    return image_row(np.stack([x, original, edited]), shape,
                     titles=["input x", "original code", "edited code"],
                     title=f"Changing one code by hand: {change}; decoder means of p(x|z)")


def category_sweep_figure(decoded: np.ndarray, shape, variable: int, current: int) -> go.Figure:
    """Decodings with variable z_n set to each of its K categories (the code's own one marked)."""
    titles = [f"k={j + 1}{'*' if j == current else ''}" for j in range(len(decoded))]
    name = dimension_label(variable)
    return image_grid(decoded, shape, ncols=min(16, len(decoded)), titles=titles,
                      title=f"Discrete traversal: {name} set to each category k, the other "
                            f"variables at the most probable code (* = the code's own k; §2.2)")


def zeta_sweep_figure(decoded: np.ndarray, shape, bit: int, values: Sequence[float]) -> go.Figure:
    """Decodings with ζ_i swept over [0, 1], the other bits held (DVAE)."""
    name = dimension_label(bit)
    return traversal_figure(decoded[None], shape, values, dims=[bit],
                            title=f"Traversal of a smoothed bit: ζ of {name} from 0 to 1, other bits "
                                  "at E[ζ|z]; the decoder reads ζ (§2.3)",
                            xaxis_title=f"ζ of {name}")


def prior_grid(decoded: np.ndarray, shape, dvae: bool) -> go.Figure:
    """Decodings of codes drawn from the prior."""
    how = ("z ~ Π_i Bern(σ(b_i)), then ζ ~ r(ζ|z) (§2.3)" if dvae
           else "z ~ p(z) = Π_n Cat(1/K), one-hot (§2.2)")
    return image_grid(decoded, shape, ncols=min(16, len(decoded)),
                      title=f"New data: decoder means of p(x|z) for {how}")
