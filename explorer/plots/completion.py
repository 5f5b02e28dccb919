"""Figures of the digit-completion page: φ drawn into the hidden pixels above the observed
ones, samples z ~ q(z; φ) composed with x, the SVI trace of the ELBO and its animation."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from explorer.plots.images import image_grid, image_heatmap, png_data_uri, tile_images

BOUNDARY = dict(color="#d62728", width=1, dash="dot")
OUTLINE = dict(color="#999999", width=1)  # a frame, so a white tile shows on the white page


def fill_hidden(image: np.ndarray, mask: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Images (N, D): `image` (D,) with its hidden pixels set to each row of `values` (N, n)."""
    values = np.atleast_2d(np.asarray(values, dtype=np.float64))
    out = np.repeat(np.asarray(image, dtype=np.float64)[None], len(values), axis=0)
    out[:, np.asarray(mask, dtype=bool)] = values
    return out


def _boundary_rows(mask: np.ndarray, image_shape: tuple[int, int]) -> int | None:
    """The row index where hidden rows end when the mask is a block of top rows, else None."""
    rows = np.asarray(mask, dtype=bool).reshape(image_shape)
    full = rows.all(1)
    n = int(full.sum())
    return n if 0 < n < image_shape[0] and full[:n].all() and not rows[n:].any() else None


def _mark_boundary(fig: go.Figure, mask, image_shape, present: Sequence[bool], ncols: int,
                   gap: int = 1, row_gap: int = 1):
    """A frame around every tile that holds an image (row-major) and a dotted line under its
    hidden rows (when they are a block of top rows)."""
    cut = _boundary_rows(mask, image_shape)
    h, w = image_shape
    for t, shown in enumerate(present):
        if shown:
            x0, y0 = (t % ncols) * (w + gap) - 0.5, (t // ncols) * (h + row_gap) - 0.5
            fig.add_shape(type="rect", x0=x0, x1=x0 + w, y0=y0, y1=y0 + h, line=OUTLINE)
            if cut is not None:
                fig.add_shape(type="line", x0=x0, x1=x0 + w, y0=y0 + cut, y1=y0 + cut,
                              line=BOUNDARY)
    return fig


def phi_images(image: np.ndarray, mask: np.ndarray, phis: Sequence[np.ndarray],
               image_shape: tuple[int, int], titles: Sequence[str],
               title: str = "φ_i = q(z_i = 1) drawn in the hidden pixels (above the dotted "
                            "line) over the observed x (below it)") -> go.Figure:
    """One tile per q: grey φ in the hidden pixels, the observed pixels as they are."""
    tiles = fill_hidden(image, mask, np.stack(phis))
    fig = image_grid(tiles, image_shape, ncols=len(tiles), titles=titles, title=title)
    return _mark_boundary(fig, mask, image_shape, [True] * len(tiles), len(tiles),
                          row_gap=max(1, image_shape[0] // 3))


def sample_grid(image: np.ndarray, mask: np.ndarray, samples: Mapping[str, np.ndarray],
                image_shape: tuple[int, int],
                title: str = "Images drawn from each q: z ~ q(z; φ) in the hidden pixels, x "
                             "below") -> go.Figure:
    """One row per q (its name as the first tile's caption), samples z (m, n) composed with x."""
    names = list(samples)
    m = max(len(v) for v in samples.values())
    tiles, captions, present = [], [], []
    for name in names:
        z = np.asarray(samples[name], dtype=np.float64)
        rows = fill_hidden(image, mask, z)
        pad = np.full((m - len(rows), rows.shape[1]), np.nan)
        tiles.append(np.concatenate([rows, pad]))
        captions += [name] + [""] * (m - 1)
        present += [True] * len(rows) + [False] * (m - len(rows))
    fig = image_grid(np.concatenate(tiles), image_shape, ncols=m, titles=captions, title=title)
    fig.update_annotations(xanchor="left", x=-0.5)
    return _mark_boundary(fig, mask, image_shape, present, m, row_gap=max(1, image_shape[0] // 3))


def elbo_trace(steps: np.ndarray, elbo: np.ndarray, references: Mapping[str, float] | None = None,
               title: str = "SVI: the ELBO estimate E_q[log p(x,z)] + H(q) at each step "
                            "(before its update)", smooth: int = 15) -> go.Figure:
    """Per-step ELBO estimates, their moving average, and horizontal reference values."""
    steps, elbo = np.asarray(steps), np.asarray(elbo, dtype=np.float64)
    fig = go.Figure(go.Scatter(x=steps, y=elbo, mode="lines", name="estimate at step t",
                               line=dict(color="#9ecae1", width=1)))
    w = max(1, min(smooth, len(elbo)))
    if len(elbo):
        avg = np.convolve(elbo, np.ones(w) / w, mode="valid")
        fig.add_trace(go.Scatter(x=steps[w - 1:], y=avg, mode="lines",
                                 name=f"moving average ({w} steps)", line=dict(color="#1f77b4")))
    palette = ["#d62728", "#2ca02c", "#9467bd", "#8c564b"]
    for j, (name, value) in enumerate((references or {}).items()):
        if value is not None and np.isfinite(value):
            fig.add_hline(y=float(value), line=dict(color=palette[j % 4], dash="dash"),
                          annotation_text=f"{name}: {value:.1f}",
                          annotation_position=("bottom right", "top left")[j % 2])
    finite = elbo[np.isfinite(elbo)]
    if len(finite):  # the first steps sit hundreds of nats below: show where it converges
        lo = np.percentile(finite, 5)
        hi = max([finite.max()] + [v for v in (references or {}).values()
                                   if v is not None and np.isfinite(v)])
        fig.update_yaxes(range=[lo - 0.05 * (hi - lo), hi + 0.1 * (hi - lo)])
    fig.update_layout(title=title, xaxis_title="SVI step t", yaxis_title="nats", height=380,
                      legend=dict(orientation="h", y=-0.25), margin=dict(t=60))
    return fig


def svi_animation(image: np.ndarray, mask: np.ndarray, snapshot_steps: Sequence[int],
                  snapshots: np.ndarray, image_shape: tuple[int, int],
                  elbo_at: Sequence[float] | None = None,
                  title: str = "SVI steps: φ moving from its start to the fitted q (press ▶ "
                               "or drag the slider)") -> go.Figure:
    """Plotly frames over stored φ snapshots (T, n), one PNG each, with a play button and slider."""
    pictures = [tile_images(t[None], image_shape, 1) for t in fill_hidden(image, mask, snapshots)]
    fig = image_heatmap(pictures[0], title, height=420)
    _mark_boundary(fig, mask, image_shape, [True], 1)
    label = [f"step {s}" + ("" if elbo_at is None else f" · ELBO ≈ {elbo_at[k]:.1f}")
             for k, s in enumerate(snapshot_steps)]
    fig.frames = [go.Frame(data=[go.Image(source=png_data_uri(p))], name=str(s),
                           layout=dict(title_text=f"{title}<br>{label[k]}"))
                  for k, (s, p) in enumerate(zip(snapshot_steps, pictures))]
    fig.update_layout(
        title_text=f"{title}<br>{label[0]}", margin=dict(t=80, b=80),
        updatemenus=[dict(type="buttons", showactive=False, x=0, y=-0.05, xanchor="left",
                          buttons=[dict(label="▶ play", method="animate", args=[None, dict(
                              frame=dict(duration=250, redraw=True), fromcurrent=True)]),
                              dict(label="❚❚", method="animate", args=[[None], dict(
                                  mode="immediate", frame=dict(duration=0, redraw=False))])])],
        sliders=[dict(x=0.15, len=0.85, y=-0.02, currentvalue=dict(prefix="SVI "),
                      steps=[dict(label=str(s), method="animate", args=[[str(s)], dict(
                          mode="immediate", frame=dict(duration=0, redraw=True))])
                             for s in snapshot_steps])])
    return fig
