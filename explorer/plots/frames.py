"""Figures that step through precomputed frames in the browser: a plotly `sliders` control
moves through the figure's `frames`, so moving it needs no server round trip — thirty students
can slide at once on a two-core server (issue 11 §5).  No Streamlit."""
from __future__ import annotations

import re
import textwrap
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from _plotly_utils.utils import convert_to_base64

LINE = 18  # pixels per extra title line


def wrap(text: str, chars: int) -> str:
    """`text` wrapped at `chars` characters with <br> (plotly never wraps)."""
    return "<br>".join(textwrap.wrap(text, chars)) if len(text) > chars else text


def wrap_title(fig: go.Figure, chars: int) -> go.Figure:
    """The title wrapped at `chars`, with the top margin and height grown to fit (as
    ui.figures.show does), for figures cached and shared between sessions: never mutated later."""
    title = fig.layout.title.text
    if title and "<br>" not in title and len(title) > chars:
        text = wrap(title, chars)
        extra = LINE * text.count("<br>")
        fig.update_layout(title_text=text, margin_t=(fig.layout.margin.t or 50) + extra,
                          height=(fig.layout.height or 450) + extra)
    return fig


def note_html(notes: Sequence[str], chars: int = 130) -> str:
    """Page notes (markdown **bold**) as the text of a plotly annotation."""
    return "<br>".join(wrap(re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", n), chars) for n in notes)


def frame(name: str, traces: Sequence[int], data: Sequence[dict], layout: dict) -> dict:
    """One frame: `data[j]` updates trace `traces[j]`; `layout` updates the layout."""
    return {"name": name, "traces": list(traces), "data": list(data), "layout": layout}


class FramedFigure(go.Figure):
    """A go.Figure whose frames are kept as plain dicts: validating dozens of frames as plotly
    objects costs ≈0.3 s per figure, and they go to the browser unchanged anyway."""

    raw_frames: list = []

    def to_dict(self):
        return {**super().to_dict(), "frames": self.raw_frames}


def animate(fig: go.Figure, frames: Sequence[dict], active: int, prefix: str,
            chars: int = 100, slider_y: float = -0.12, redraw: bool = True) -> go.Figure:
    """`fig` showing frames[active], with every frame attached and a slider (labelled by the
    frame names, `prefix` before the current one) that animates between them in the browser.
    Frame titles are wrapped at `chars`; the top margin makes room for the longest. Frame
    arrays are sent as float32. The margins do not grow to fit (give room for what sits in
    them). `redraw=False` only restyles the traces (3–5× faster) but
    recomputes no autorange and, next to a waterfall, left titles and legend names one frame
    behind in Chromium: every figure here redraws."""
    titles = []
    for f in frames:
        title = f["layout"].get("title")
        if title:
            title["text"] = wrap(title["text"], chars)
            titles.append(title["text"])
    for f in frames:  # float32 halves what travels: plenty for a plot
        f["data"] = [{k: v.astype(np.float32) if isinstance(v, np.ndarray) and v.dtype == np.float64
                      else v for k, v in d.items()} for d in f["data"]]
    now = frames[active]
    for idx, d in zip(now["traces"], now["data"]):
        fig.data[idx].update(d)
    fig.update_layout(now["layout"])
    extra = LINE * max((t.count("<br>") for t in titles), default=0)
    fig.update_layout(margin_t=(fig.layout.margin.t or 50) + extra,
                      height=(fig.layout.height or 450) + extra)
    # The slider, legend and notes sit in margins sized here. With autoexpand, every step redraws
    # the slider, which pushes the margins again, and plotly's doAutoMargin then often replots
    # the whole figure: 1–5 s for the 2×2 smoothing figure in Chromium (CPU profile), 0.15–0.3 s
    # without (bench/ui_latency.py).
    # Streamlit's theme leaves l/r to autoexpand, so they are set here (room for tick labels).
    fig.update_layout(margin=dict(l=fig.layout.margin.l or 75, r=fig.layout.margin.r or 30,
                                  autoexpand=False))
    fig = FramedFigure(fig)
    convert_to_base64(frames)  # numpy arrays as typed arrays, as plotly's own to_dict does
    fig.raw_frames = list(frames)
    step_args = dict(mode="immediate", frame=dict(duration=0, redraw=redraw),
                     transition=dict(duration=0))
    fig.update_layout(sliders=[dict(
        active=active, x=0.0, len=1.0, y=slider_y, yanchor="top", pad=dict(t=10, b=10),
        currentvalue=dict(prefix=prefix, font=dict(size=15)),
        steps=[dict(label=f["name"], method="animate", args=[[f["name"]], step_args])
               for f in frames])])
    return fig
