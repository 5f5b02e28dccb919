"""Watching a run learn: its stored snapshots as plotly frames (a timeline the browser plays
and scrubs with no server round trip)."""
from __future__ import annotations

import base64
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from explorer.plots.images import png_data_uri, tile_images
from explorer.plots.style import DIGIT_COLORS, DIGIT_SYMBOLS, class_group

FRAME_MS = 300  # one snapshot per 0.3 s when playing


def _controls(names: Sequence[str], labels: Sequence[str], prefix: str, redraw: bool) -> dict:
    """Play / pause buttons and a slider over the frames, starting at the last frame."""
    return dict(
        updatemenus=[dict(type="buttons", showactive=False, x=0, y=-0.08, xanchor="left",
                          buttons=[dict(label="▶ play", method="animate", args=[None, dict(
                              frame=dict(duration=FRAME_MS, redraw=redraw), fromcurrent=True,
                              transition=dict(duration=0))]),
                              dict(label="❚❚ pause", method="animate", args=[[None], dict(
                                  mode="immediate", frame=dict(duration=0, redraw=False))])])],
        # The slider starts right of the two buttons, so its first tick stays clickable.
        sliders=[dict(x=0.3, len=0.7, y=-0.04, active=len(names) - 1,
                      currentvalue=dict(prefix=prefix),
                      steps=[dict(label=lab, method="animate", args=[[n], dict(
                          mode="immediate", frame=dict(duration=0, redraw=redraw))])
                             for n, lab in zip(names, labels)])])


def _typed(values: np.ndarray) -> dict:
    """A float32 array as plotly's typed-array spec (base64): what plotly itself sends, built
    without its per-array validation."""
    return dict(dtype="f4", bdata=base64.b64encode(np.ascontiguousarray(values, np.float32)
                                                    .tobytes()).decode())


def latent_timeline(snapshots: Sequence[dict], labels: np.ndarray | None, step_labels: Sequence[str],
                    title: str, frames: bool = True) -> go.Figure:
    """μ(x) of the snapshot test points at every snapshot: one trace per digit class, one
    frame per snapshot, fixed axes so the motion is the model's, not the camera's.
    frames=False: the newest snapshot alone (a live view's refresh), on the same axes."""
    mus = [np.asarray(s["mu"], dtype=float)[:, :2] for s in snapshots]
    one_d = mus[0].shape[1] == 1
    if one_d:  # d = 1: μ₁ across, the test point's index up, so the points do not overlap
        rank = np.arange(len(mus[0]), dtype=float)[:, None]
        mus = [np.hstack([m, rank]) for m in mus]
    allmu = np.concatenate(mus)
    lo, hi = np.percentile(allmu, 0.5, axis=0), np.percentile(allmu, 99.5, axis=0)
    pad = 0.05 * (hi - lo) + 1e-6
    classes = [None] if labels is None else sorted(set(np.asarray(labels).tolist()))
    digits = labels is not None and all(isinstance(c, int) and 0 <= c <= 9 for c in classes)

    groups = [slice(None) if c is None else np.asarray(labels) == c for c in classes]
    styles = [dict(name="data" if c is None else str(c),
                   marker=dict(size=5, opacity=0.75, color=DIGIT_COLORS[c] if digits else None,
                               symbol=DIGIT_SYMBOLS[c] if digits else "circle"),
                   **(class_group("label") if c is not None else {})) for c in classes]

    def traces(mu):
        # Plain dicts with typed arrays, validated once by go.Figure below: a go.Scatter per
        # class and frame of numpy arrays took 1.7 s for a 51-snapshot timeline (now ≈0.2 s).
        return [dict(type="scatter", x=_typed(mu[rows, 0]), y=_typed(mu[rows, 1]),
                     mode="markers", **style) for rows, style in zip(groups, styles)]

    names = [str(i) for i in range(len(snapshots))]
    fig = go.Figure(dict(data=traces(mus[-1]), frames=[
        dict(data=traces(m), name=n, layout=dict(title_text=f"{title}<br>{lab}"))
        for m, n, lab in zip(mus, names, step_labels)] if frames else []))
    fig.update_xaxes(title="z₁", range=[lo[0] - pad[0], hi[0] + pad[0]])
    fig.update_yaxes(title="test point" if one_d else "z₂", range=[lo[1] - pad[1], hi[1] + pad[1]])
    fig.update_layout(title_text=f"{title}<br>{step_labels[-1]}", height=560,
                      margin=dict(t=80, b=110 if frames else 50, l=50, r=10),
                      **(_controls(names, step_labels, "", redraw=False) if frames else {}))
    return fig


def manifold_timeline(snapshots: Sequence[dict], image_shape: tuple[int, int],
                      step_labels: Sequence[str], title: str, frames: bool = True) -> go.Figure:
    """The decoded manifold of each snapshot (a PNG per frame); frames=False: the newest."""
    pictures = []
    for s in snapshots if frames else snapshots[-1:]:
        m = np.asarray(s["manifold"], dtype=float)  # rows follow z₂ ascending
        n = m.shape[0]
        pictures.append(tile_images(m[::-1].reshape(n * n, -1), image_shape, n))
    names = [str(i) for i in range(len(snapshots))]
    fig = go.Figure(go.Image(source=png_data_uri(pictures[-1]), hoverinfo="skip"))
    if frames:
        fig.frames = [go.Frame(data=[go.Image(source=png_data_uri(p))], name=nm,
                               layout=dict(title_text=f"{title}<br>{lab}"))
                      for p, nm, lab in zip(pictures, names, step_labels)]
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    fig.update_layout(title_text=f"{title}<br>{step_labels[-1]}", height=560,
                      margin=dict(t=80, b=110 if frames else 50, l=10, r=10),
                      **(_controls(names, step_labels, "", redraw=True) if frames else {}))
    return fig


def reveal_timeline(fig: go.Figure, prefix: str = "epoch ") -> go.Figure:
    """Frames that draw every line of `fig` up to each x value in turn (the gap closing as
    training goes on); the slider starts at the end, showing the whole curves."""
    xs = sorted({float(v) for t in fig.data if t.x is not None for v in t.x})
    if len(xs) < 2:
        return fig
    y_all = [float(v) for t in fig.data if t.y is not None for v in t.y if v is not None]
    names = [f"{x:g}" for x in xs]

    def upto(t, x_max):
        keep = [i for i, v in enumerate(t.x) if float(v) <= x_max]
        return go.Scatter(x=[t.x[i] for i in keep], y=[t.y[i] for i in keep])

    fig.frames = [go.Frame(data=[upto(t, x) for t in fig.data], name=n) for x, n in zip(xs, names)]
    if y_all:
        lo, hi = min(y_all), max(y_all)
        pad = 0.05 * (hi - lo) + 1e-9
        fig.update_yaxes(range=[lo - pad, hi + pad])
    fig.update_xaxes(range=[xs[0], xs[-1]])
    fig.update_layout(margin=dict(b=110), **_controls(names, [f"{prefix}{n}" for n in names],
                                                      prefix, redraw=False))
    return fig
