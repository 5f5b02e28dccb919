"""House style applied to every figure: readable axes, and a projector preset.

- Axes never use SI prefixes: "100μ" reads as a mean on a page about μ and σ; exponents are
  written as powers of ten instead.
- Log axes get clean ticks: one per decade when the data span two decades or more, else the
  1-2-5 sequence, all labelled plainly (plotly's default labels minor ticks "5, 0.1, 2, 5…").
- `present` is the presentation preset for a projector: large fonts (ticks ≥ 16 px), a taller
  figure, thicker lines and markers.
"""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go

# Okabe & Ito (2008) colours plus a wine and a dark green: distinguishable with the common
# colour-vision deficiencies; digits that look alike (4/9, 1/6, 3/8) get far-apart colours,
# and digits 5–9 a second marker symbol as well.
DIGIT_COLORS = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7",
                "#56B4E9", "#000000", "#999999", "#882255", "#117733")
DIGIT_SYMBOLS = ("circle",) * 5 + ("diamond",) * 5
PRESENT_FONT, PRESENT_TICKS, PRESENT_TITLE = 18, 16, 22


def _axis_values(fig: go.Figure, axis: str, name: str) -> np.ndarray:
    """Every finite positive value the traces put on one axis (e.g. axis "x", name "xaxis2")."""
    ref = axis + name[len(axis) + 4:]  # xaxis2 → x2
    out = []
    for trace in fig.data:
        if getattr(trace, f"{axis}axis", None) not in (ref, None if ref == axis else ref):
            continue
        vals = getattr(trace, axis, None)
        if vals is None:
            continue
        try:
            arr = np.asarray(vals, dtype=float).ravel()
        except (TypeError, ValueError):
            continue
        out.append(arr[np.isfinite(arr) & (arr > 0)])
    return np.concatenate(out) if out else np.empty(0)


def log_ticks(lo: float, hi: float) -> tuple[list[float], list[str]] | None:
    """Tick values and labels for a log axis spanning [lo, hi]: the 1-2-5 sequence below two
    decades, else None (one tick per decade, plotly's dtick=1)."""
    if not (lo > 0 and hi > lo) or math.log10(hi / lo) >= 2:
        return None
    vals = [m * 10.0 ** e for e in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1)
            for m in (1, 2, 5)]
    vals = [v for v in vals if lo / 1.5 <= v <= hi * 1.5]
    return vals, [f"{v:g}" for v in vals]


def tidy_axes(fig: go.Figure) -> go.Figure:
    """No SI prefixes anywhere; clean log ticks (see the module docstring)."""
    for axis in ("x", "y"):
        for name in [k for k in fig.layout if k.startswith(f"{axis}axis")] or [f"{axis}axis"]:
            ax = fig.layout[name]
            ax.exponentformat = "power"
            if ax.type != "log" or ax.tickvals is not None or ax.dtick is not None:
                continue
            vals = _axis_values(fig, axis, name)
            ticks = log_ticks(vals.min(), vals.max()) if vals.size else None
            if ticks is None:
                ax.dtick = 1
            else:
                ax.tickvals, ax.ticktext = ticks
    return fig


def present(fig: go.Figure) -> go.Figure:
    """The projector preset: large fonts, taller figures, bolder marks."""
    fig.update_layout(font=dict(size=PRESENT_FONT), title_font=dict(size=PRESENT_TITLE),
                      legend=dict(font=dict(size=PRESENT_TICKS)),
                      height=int((fig.layout.height or 450) * 1.25))
    fig.update_xaxes(tickfont=dict(size=PRESENT_TICKS), title_font=dict(size=PRESENT_FONT))
    fig.update_yaxes(tickfont=dict(size=PRESENT_TICKS), title_font=dict(size=PRESENT_FONT))
    for trace in fig.data:
        if isinstance(trace, go.Scatter):
            if trace.line is not None and trace.line.width is not None:
                trace.line.width = max(trace.line.width, 3)
            if trace.marker is not None and trace.marker.size is not None and \
                    np.isscalar(trace.marker.size):
                trace.marker.size = max(trace.marker.size, 8)
    return fig


LEGEND_CAP = 5  # legend entries a figure may show (issue 12): more cannot be read from the back


def legend_entries(fig: go.Figure | dict) -> int:
    """How many entries the legend shows: each trace in it, except that a legend group with a
    title (the digit classes 0–9) counts once. Heatmaps and images are not in a legend."""
    fig = fig if isinstance(fig, dict) else fig.to_plotly_json()
    if fig.get("layout", {}).get("showlegend") is False:
        return 0
    groups, count = set(), 0
    for trace in fig.get("data", []):
        shown = trace.get("showlegend")
        if shown is False or (shown is None and trace.get("type") in _NOT_IN_LEGEND):
            continue
        title = (trace.get("legendgrouptitle") or {}).get("text")
        if title:
            groups.add((trace.get("legendgroup"), title))
        else:
            count += 1
    return count + len(groups)


_NOT_IN_LEGEND = {"heatmap", "image", "contour", "histogram2d", "histogram2dcontour", "surface",
                  "table", "indicator"}


def class_group(title: str = "digit") -> dict:
    """Trace settings that put the label classes (0–9) into one titled legend group."""
    return dict(legendgroup="classes", legendgrouptitle_text=title)
