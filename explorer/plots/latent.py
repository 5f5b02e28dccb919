"""Latent-space figures: posterior means with their q(z|x) ellipses, the decoded manifold of a
2-D latent space, and (for 2-D toy data) the model's view of data space.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.colors
import plotly.graph_objects as go

from explorer.views.latent import dimension_label
from explorer.plots.images import image_heatmap, tile_images
from explorer.plots.style import DIGIT_COLORS, DIGIT_SYMBOLS, class_group

PALETTE = plotly.colors.qualitative.Plotly + plotly.colors.qualitative.Dark24


def _is_digits(labels: np.ndarray) -> bool:
    values = np.unique(labels)
    return labels.dtype.kind in "iu" and values.min() >= 0 and values.max() <= 9


def _label_colors(labels: np.ndarray) -> dict:
    """Digit classes get the colour-blind-safe digit palette (explorer.plots.style)."""
    if _is_digits(labels):
        return {c: DIGIT_COLORS[int(c)] for c in np.unique(labels)}
    return {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(np.unique(labels))}


def _label_symbol(labels: np.ndarray, c) -> str:
    return DIGIT_SYMBOLS[int(c)] if _is_digits(labels) else "circle"


def ellipse_path(
    center: Sequence[float], radii: Sequence[float], n: int = 60
) -> tuple[np.ndarray, np.ndarray]:
    """x and y of a closed axis-aligned ellipse (first point repeated at the end), n + 1 points."""
    angles = np.linspace(0.0, 2.0 * np.pi, n + 1)
    angles[-1] = 0.0  # close the path exactly
    return center[0] + radii[0] * np.cos(angles), center[1] + radii[1] * np.sin(angles)


def _hover_text(
    coords: np.ndarray,
    indices: np.ndarray,
    labels: np.ndarray | None,
    sigma: np.ndarray | None,
    hover_text: Sequence[str] | None,
    point_name: str,
) -> list[str]:
    lines = []
    for i, (a, b) in enumerate(coords):
        parts = [f"index {indices[i]}"]
        if labels is not None:
            parts.append(f"label {labels[i]}")
        parts.append(f"{point_name} = ({a:.2f}, {b:.2f})")
        if sigma is not None:
            parts.append(f"σ = ({sigma[i, 0]:.2f}, {sigma[i, 1]:.2f})")
        if hover_text is not None:
            parts.append(str(hover_text[i]))
        lines.append("<br>".join(parts))
    return lines


def latent_scatter(
    coords: np.ndarray,
    labels: np.ndarray | None = None,
    sigma: np.ndarray | None = None,
    selected: Sequence[int] = (),
    hover_text: Sequence[str] | None = None,
    title: str = "Posterior means μ(x) of q(z|x)",
    point_name: str = "μ",
    axis_titles: tuple[str, str] = (dimension_label(0), dimension_label(1)),
    indices: np.ndarray | None = None,
) -> go.Figure:
    """2-D codes (N, 2), a trace per label, with 1σ and 2σ ellipses of q(z|x) at selected points.

    labels, sigma and hover_text are aligned with the rows of `coords`. `indices` (default
    0..N−1) is each row's index in the data set, e.g. the indices returned by `project`; every
    marker's `customdata` is that index, so a selection callback maps a picked point back to
    the data with `point["customdata"]`, and `selected` lists data-set indices too.
    `sigma` (N, 2) is the posterior standard deviation; pass it only when `coords` are the
    latent means themselves (d = 2), since σ does not carry over to PCA or t-SNE coordinates.
    `point_name` names the coordinates in the hover text (e.g. "PCA of μ").
    """
    coords = np.asarray(coords, dtype=np.float64)
    indices = np.arange(len(coords)) if indices is None else np.asarray(indices, dtype=int)
    labels = None if labels is None else np.asarray(labels)
    sigma = None if sigma is None else np.asarray(sigma, dtype=np.float64)
    text = np.array(
        _hover_text(coords, indices, labels, sigma, hover_text, point_name), dtype=object
    )
    row_of = {int(k): row for row, k in enumerate(indices)}
    selected_rows = [row_of[int(i)] for i in selected if int(i) in row_of]
    rows = np.arange(len(coords))
    marker = dict(size=5, opacity=0.7)
    fig = go.Figure()
    if labels is None:
        groups = [("data", rows, PALETTE[0])]
    else:
        groups = [(str(c), rows[labels == c], color, _label_symbol(labels, c))
                  for c, color in _label_colors(labels).items()]
    groups = [g if len(g) == 4 else (*g, "circle") for g in groups]
    # The label classes are one titled legend group: ten digits read as one legend entry.
    grouping = class_group("label") if labels is not None else {}
    for name, members, color, symbol in groups:
        fig.add_trace(
            go.Scatter(
                x=coords[members, 0],
                y=coords[members, 1],
                mode="markers",
                name=name,
                marker=dict(marker, color=color, symbol=symbol),
                customdata=indices[members],
                text=text[members],
                hovertemplate="%{text}<extra></extra>",
                **grouping,
            )
        )
    for row in selected_rows if sigma is not None else ():
        i = indices[row]
        for k, dash in ((1, "solid"), (2, "dot")):
            ex, ey = ellipse_path(coords[row], k * sigma[row])
            fig.add_trace(
                go.Scatter(
                    x=ex,
                    y=ey,
                    mode="lines",
                    name=f"1σ and 2σ (dotted) of q(z|x), point {i}",
                    legendgroup=f"selected {i}",
                    showlegend=k == 1,  # one entry for both ellipses of a point
                    line=dict(color="black", width=1.5, dash=dash),
                    hoverinfo="skip",
                )
            )
    if selected_rows:
        chosen = np.asarray(selected_rows, dtype=int)
        fig.add_trace(
            go.Scatter(
                x=coords[chosen, 0],
                y=coords[chosen, 1],
                mode="markers",
                name="selected",
                marker=dict(
                    size=14, symbol="star", color="gold", line=dict(color="black", width=1.5)
                ),
                customdata=indices[chosen],
                text=text[chosen],
                hovertemplate="%{text}<extra></extra>",
            )
        )
    fig.update_xaxes(title=axis_titles[0])
    fig.update_yaxes(title=axis_titles[1], scaleanchor="x", scaleratio=1)
    fig.update_layout(
        title=title,
        height=600,
        margin=dict(l=50, r=10, t=50, b=50),
    )
    return fig


MANIFOLD_TITLE = "Learned manifold: decoder mean of p(x|z) on a grid of z (Kingma & Welling 2013, Fig. 4)"


def manifold_picture(decoded: np.ndarray, image_shape: tuple[int, int], z1: Sequence[float],
                     z2: Sequence[float]) -> tuple[np.ndarray, dict]:
    """The (n, n, D) output of manifold_grid as one tiled array (z₂ ascending bottom to top,
    tiles touching) and the axes that label it: {"xaxis": …, "yaxis": …} with ticks at the
    tile centres giving the z values. manifold_figure draws exactly this."""
    decoded = np.asarray(decoded)
    n_rows, n_cols, _ = decoded.shape
    h, w = image_shape
    top_row_first = decoded[::-1].reshape(n_rows * n_cols, -1)  # largest z₂ on top, as in a scatter
    tiled = tile_images(top_row_first, image_shape, ncols=n_cols, gap=0)
    axes = {"xaxis": dict(visible=True, showgrid=False, zeroline=False, title=dimension_label(0),
                          tickvals=[j * w + (w - 1) / 2 for j in range(n_cols)],
                          ticktext=[f"{v:.2f}" for v in z1]),
            "yaxis": dict(visible=True, showgrid=False, zeroline=False, title=dimension_label(1),
                          tickvals=[r * h + (h - 1) / 2 for r in range(n_rows)],
                          ticktext=[f"{v:.2f}" for v in z2[::-1]])}
    return tiled, axes


def manifold_figure(
    decoded: np.ndarray,
    image_shape: tuple[int, int],
    z1: Sequence[float],
    z2: Sequence[float],
    title: str = MANIFOLD_TITLE,
) -> go.Figure:
    """The (n, n, D) output of manifold_grid as one image, z₁ left to right and z₂ bottom to top.

    decoded[i, j] is the decoding of (z1[j], z2[i]); tiles touch (no gaps), ticks give z values.
    """
    tiled, axes = manifold_picture(decoded, image_shape, z1, z2)
    fig = image_heatmap(tiled, title)
    fig.update_xaxes(**axes["xaxis"])
    fig.update_yaxes(**axes["yaxis"])
    fig.update_layout(margin=dict(l=60, r=10, t=50, b=50))
    return fig


def data_space_figure(
    x_data: np.ndarray,
    labels: np.ndarray | None = None,
    x_recon: np.ndarray | None = None,
    x_samples: np.ndarray | None = None,
    title: str = (
        "Data space: data x, reconstructions decode(μ(x)) and decoded prior samples z ~ p(z)"
    ),
) -> go.Figure:
    """2-D data (N, 2), its reconstructions and generated points overlaid; legend toggles each."""
    x_data = np.asarray(x_data)
    color = PALETTE[0]
    if labels is not None:
        colors = _label_colors(np.asarray(labels))
        color = [colors[c] for c in np.asarray(labels)]
    fig = go.Figure(
        go.Scatter(
            x=x_data[:, 0],
            y=x_data[:, 1],
            mode="markers",
            name="data x",
            marker=dict(size=5, opacity=0.6, color=color),
            customdata=np.arange(len(x_data)),
            hovertemplate="data point %{customdata}<extra></extra>",
        )
    )
    overlays = (
        (x_recon, "reconstructions decode(μ(x)).mean", dict(symbol="x", color="black")),
        (x_samples, "decoded prior samples z ~ p(z)", dict(symbol="diamond", color="crimson")),
    )
    for points, name, style in overlays:
        if points is not None:
            points = np.asarray(points)
            fig.add_trace(
                go.Scatter(
                    x=points[:, 0],
                    y=points[:, 1],
                    mode="markers",
                    name=name,
                    marker=dict(size=5, opacity=0.6, **style),
                    hoverinfo="skip",
                )
            )
    fig.update_xaxes(title="x₁")
    fig.update_yaxes(title="x₂", scaleanchor="x", scaleratio=1)
    fig.update_layout(title=title, height=550, margin=dict(l=50, r=10, t=50, b=50))
    return fig
