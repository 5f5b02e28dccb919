"""Image figures: grids of decoded or data images tiled into a single picture.

Convention for every image figure in the app: white ink on black (0 = black, 1 = white),
intensities clipped to [0, 1] so contrast is comparable between figures, and one image
trace per figure however many images it shows. The picture travels as a PNG (a 15 × 15
MNIST manifold is ~60 kB instead of ~1.2 MB of heatmap JSON), which keeps sliders
responsive for a whole classroom. Gaps between tiles are transparent (NaN in the tiling)
and show the white background.
"""

from __future__ import annotations

from collections.abc import Sequence

import base64
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from explorer.views.latent import dimension_label

BLACK_TO_WHITE = [[0.0, "black"], [1.0, "white"]]
TARGET_WIDTH_PX = 720  # a typical Streamlit main column


def tile_images(
    images: np.ndarray,
    image_shape: tuple[int, int],
    ncols: int,
    gap: int = 1,
    row_gap: int | None = None,
) -> np.ndarray:
    """Arrange images (N, D) row by row into one 2-D array, NaN in gaps and empty cells.

    Image k sits in tile row k // ncols, column k % ncols; the result has shape
    (rows·h + (rows−1)·row_gap, ncols·w + (ncols−1)·gap) with rows = ceil(N / ncols).
    """
    h, w = image_shape
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 2 or images.shape[1] != h * w:
        raise ValueError(
            f"images must have shape (N, {h * w}) for image_shape {image_shape}, got {images.shape}"
        )
    row_gap = gap if row_gap is None else row_gap
    rows = max(1, -(-len(images) // ncols))
    tiled = np.full((rows * h + (rows - 1) * row_gap, ncols * w + (ncols - 1) * gap), np.nan)
    for k, image in enumerate(images.reshape(-1, h, w)):
        top, left = (k // ncols) * (h + row_gap), (k % ncols) * (w + gap)
        tiled[top : top + h, left : left + w] = image
    return tiled


def png_bytes(tiled: np.ndarray) -> bytes:
    """Greyscale PNG of a [0, 1] array; NaN cells are transparent (an alpha channel only where
    there are some)."""
    grey = np.round(np.clip(np.nan_to_num(tiled, nan=1.0), 0.0, 1.0) * 255).astype(np.uint8)
    missing = np.isnan(tiled)
    image = (Image.fromarray(np.stack([grey, np.where(missing, 0, 255).astype(np.uint8)], -1),
                             mode="LA") if missing.any() else Image.fromarray(grey, mode="L"))
    buffer = io.BytesIO()
    # zlib level 1: a 25 × 25 manifold encodes 4× faster than at the default 6, ≈10 % larger
    image.save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def png_data_uri(tiled: np.ndarray) -> str:
    """png_bytes as a data URI, as a figure's image trace carries it."""
    return "data:image/png;base64," + base64.b64encode(png_bytes(tiled)).decode()


def picture_height(tiled_shape: tuple[int, int]) -> int:
    """image_heatmap's figure height for a tiling: square pixels of 1–12 px across a column of
    TARGET_WIDTH_PX, the picture kept between 120 and 600 px, plus 60 px for the title."""
    tiled_height, tiled_width = tiled_shape
    pixel_px = float(np.clip(TARGET_WIDTH_PX / tiled_width, 1.0, 12.0))
    return int(np.clip(tiled_height * pixel_px, 120, 600)) + 60


def slider_frames(pictures: Sequence[tuple[np.ndarray, dict]], reference_height: int,
           at: int) -> list[tuple[bytes, dict]]:
    """The frames of an image figure's slider: for each (tiled array, layout patch) of
    `pictures`, its PNG and the patch with the figure's height — image_heatmap's for that
    picture, plus the room the figure drawn at `pictures[at]` (`reference_height` tall) keeps
    above its picture for a wrapped title."""
    extra = reference_height - picture_height(pictures[at][0].shape)
    return [(png_bytes(tiled), {"height": picture_height(tiled.shape) + extra, **patch})
            for tiled, patch in pictures]


def image_heatmap(tiled: np.ndarray, title: str, height: int | None = None) -> go.Figure:
    """One greyscale picture of a tiled image array, row 0 at the top, square pixels, no axes.

    Pixel (r, c) of the tiling covers x ∈ [c − ½, c + ½], y ∈ [r − ½, r + ½], as in a heatmap,
    so tick positions and annotations can be placed in tiling coordinates.
    """
    if height is None:
        height = picture_height(tiled.shape)
    fig = go.Figure(
        go.Image(source=png_data_uri(tiled), x0=0, y0=0, dx=1, dy=1, hoverinfo="skip")
    )
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(
        visible=False, autorange="reversed", scaleanchor="x", scaleratio=1, constrain="domain"
    )
    fig.update_layout(
        title=title,
        height=height,
        margin=dict(l=10, r=10, t=50, b=10),
        plot_bgcolor="white",
    )
    return fig


def image_grid_picture(
    images: np.ndarray,
    image_shape: tuple[int, int],
    ncols: int,
    titles: Sequence[str] | None = None,
    gap: int = 1,
) -> tuple[np.ndarray, dict]:
    """What image_grid draws: the tiled array, and the layout that goes with it as plotly
    paths ("annotations", "yaxis.range", …; empty without titles)."""
    h, w = image_shape
    # Captions need a taller gap between tile rows to sit in.
    row_gap = gap if titles is None else max(gap, h // 3)
    tiled = tile_images(images, image_shape, ncols, gap=gap, row_gap=row_gap)
    if titles is None:
        return tiled, {}
    notes = [dict(x=(k % ncols) * (w + gap) + (w - 1) / 2, y=(k // ncols) * (h + row_gap) - 0.5,
                  text=text, showarrow=False, yanchor="bottom", font=dict(size=10))
             for k, text in enumerate(titles)]
    return tiled, {"yaxis.range": [tiled.shape[0] - 0.5, -row_gap - 0.5],
                   "yaxis.autorange": False, "annotations": notes}


def image_grid(
    images: np.ndarray,
    image_shape: tuple[int, int],
    ncols: int,
    titles: Sequence[str] | None = None,
    title: str = "Images (pixel intensity: 0 = black, 1 = white)",
    gap: int = 1,
) -> go.Figure:
    """Images (N, D) in a grid with `ncols` columns; optional small caption above each tile."""
    tiled, layout = image_grid_picture(images, image_shape, ncols, titles, gap)
    fig = image_heatmap(tiled, title)
    if titles is not None:
        fig.update_yaxes(range=layout["yaxis.range"], autorange=False)
        for note in layout["annotations"]:
            fig.add_annotation(**note)
    return fig


def image_row(
    images: np.ndarray,
    image_shape: tuple[int, int],
    titles: Sequence[str] | None = None,
    title: str = "Images (pixel intensity: 0 = black, 1 = white)",
) -> go.Figure:
    """Images (N, D) side by side in one row, e.g. an interpolation path or posterior samples."""
    return image_grid(images, image_shape, ncols=len(images), titles=titles, title=title)


def image_row_picture(images: np.ndarray, image_shape: tuple[int, int],
                      titles: Sequence[str] | None = None) -> tuple[np.ndarray, dict]:
    """What image_row draws (image_grid_picture)."""
    return image_grid_picture(images, image_shape, ncols=len(images), titles=titles)


def traversal_picture(decoded: np.ndarray, image_shape: tuple[int, int], values: Sequence[float],
                      dims: Sequence[int] | None = None) -> tuple[np.ndarray, dict]:
    """What traversal_figure draws: the tiled array and its axes' ticks ({"xaxis": …,
    "yaxis": …}): a column per value on top, a row per dimension."""
    decoded = np.asarray(decoded)
    n_rows, m, _ = decoded.shape
    dims = range(n_rows) if dims is None else dims
    if len(dims) != n_rows or len(values) != m:
        raise ValueError(f"need {n_rows} dims and {m} values for decoded of shape {decoded.shape}")
    h, w = image_shape
    gap = 1
    tiled = tile_images(decoded.reshape(n_rows * m, -1), image_shape, ncols=m, gap=gap)
    axes = {"xaxis": dict(tickvals=[j * (w + gap) + (w - 1) / 2 for j in range(m)],
                          ticktext=[f"{v:.2g}" for v in values]),
            "yaxis": dict(tickvals=[i * (h + gap) + (h - 1) / 2 for i in range(n_rows)],
                          ticktext=[dimension_label(j) for j in dims])}
    return tiled, axes


def traversal_figure(
    decoded: np.ndarray,
    image_shape: tuple[int, int],
    values: Sequence[float],
    dims: Sequence[int] | None = None,
    title: str = "Latent traversals: decoder mean of p(x|z) as one z_j varies, the others fixed",
    xaxis_title: str = "value of z_j",
) -> go.Figure:
    """Traversal grid (rows, m, D) from traversal_grid: row = dimension z_j, column = its value.

    `dims` names the 0-based dimension of each row (default 0..rows−1), so a subset such as the
    active units can be shown; column labels (`values`) sit on top like table headers.
    """
    tiled, axes = traversal_picture(decoded, image_shape, values, dims)
    fig = image_heatmap(tiled, title)
    fig.update_xaxes(visible=True, showgrid=False, zeroline=False, title=xaxis_title, side="top",
                     **axes["xaxis"])
    fig.update_yaxes(visible=True, showgrid=False, zeroline=False, **axes["yaxis"])
    # The column labels now sit above the images: pin the title to the very top, clear of them.
    fig.update_layout(
        title=dict(yref="container", y=0.99, yanchor="top"), margin=dict(l=50, r=10, t=110, b=10)
    )
    return fig
