"""Showing plotly figures in Streamlit: titles that fit their column, and downloads.

Every figure can be saved: the modebar camera writes an SVG in the browser (no server work),
and where the static export engine is installed (kaleido driving a Chromium) two buttons under
the figure render it as PNG or SVG on the server — only when clicked (a deferred download),
so a rerun costs two button registrations, not a rendering.
"""
from __future__ import annotations

import textwrap
import threading

import streamlit as st

from explorer.plots.style import present, tidy_axes
from ui.presentation import presenting

FORMATS = {"png": "image/png", "svg": "image/svg+xml"}
EXPORT_SCALE = 2  # PNG pixels per CSS pixel: sharp on slides
_engine_lock = threading.Lock()  # kaleido's server answers one caller at a time


def show(fig, key: str, chars: int = 100, **kwargs):
    """st.plotly_chart with the title wrapped at `chars` characters (plotly never wraps), the
    camera set to SVG, and PNG/SVG download buttons when the export engine is available."""
    return _display(prepared(fig, chars), key, **kwargs)


def show_built(build, *args, key: str, by: tuple, chars: int = 100, large: bool = False,
               **kwargs):
    """show(build(*args), key, chars), the figure built and prepared once for each `by` (plain
    values naming all it depends on, e.g. the run, its epoch and the sliders) and presentation
    mode, then shared by every session and never changed: a class opening a page at the same
    values builds it once (building plotly figures is most of a page's server time).
    large=True: megabytes of animation frames, of which only a few are kept."""
    cache = _built_large if large else _built
    fig = cache(f"{build.__module__}.{build.__qualname__}", by, chars, presenting(), build, args)
    return _display(fig, key, **kwargs)


@st.cache_resource(max_entries=128, show_spinner=False)
def _built(name: str, by: tuple, chars: int, present: bool, _build, _args):
    return prepared(_build(*_args), chars)  # `present`: a key of its own (prepared reads it)


@st.cache_resource(max_entries=6, show_spinner=False)
def _built_large(name: str, by: tuple, chars: int, present: bool, _build, _args):
    return prepared(_build(*_args), chars)


def _display(fig, key: str, **kwargs):
    config = {"toImageButtonOptions": {"format": "svg", "filename": key},
              **kwargs.pop("config", {})}
    shown = st.plotly_chart(fig, key=key, config=config, **kwargs)
    if static_export_available():
        download_buttons(fig, key)
    return shown


def prepared(fig, chars: int = 100):
    """`fig` as every page draws it: the title wrapped at `chars` (the top margin grown to fit),
    tidy axes, and the projector preset in presentation mode. Changes `fig` in place."""
    title = fig.layout.title.text
    if title and "<br>" not in title and len(title) > chars:
        lines = textwrap.wrap(title, chars)
        fig.update_layout(title_text="<br>".join(lines))
        margin_top = (fig.layout.margin.t or 50) + 18 * (len(lines) - 1)
        fig.update_layout(margin_t=margin_top, height=(fig.layout.height or 450) + 18 * (len(lines) - 1))
    tidy_axes(fig)
    if presenting():
        present(fig)
    return fig


def download_buttons(fig, key: str):
    """"⬇ PNG" and "⬇ SVG" under a figure; each renders the figure when clicked."""
    with st.container(horizontal=True, gap="small"):
        for fmt, mime in FORMATS.items():
            st.download_button(f"⬇ {fmt.upper()}", data=lambda fmt=fmt: figure_bytes(fig, fmt),
                               file_name=f"{key}.{fmt}", mime=mime, key=f"{key}__{fmt}",
                               on_click="ignore", type="tertiary",
                               help=f"Save this figure as {fmt.upper()}")


@st.cache_resource(show_spinner=False)
def static_export_available() -> bool:
    """Whether kaleido is installed and finds a Chromium to render with (checked once; the
    browser itself starts at the first download)."""
    try:
        import kaleido  # noqa: F401
        from choreographer.browsers.chromium import Chromium

        return Chromium.find_browser(skip_local=False) is not None
    except Exception:  # not installed, or an incompatible version
        return False


def figure_bytes(fig, fmt: str) -> bytes:
    """The figure as PNG or SVG bytes, rendered by one long-lived headless Chromium (the first
    call starts it, ≈3–5 s; later ones take ≈0.3 s). MathJax stays off: it would come from a CDN."""
    import kaleido

    width = fig.layout.width or 900
    height = fig.layout.height or 450
    with _engine_lock:
        kaleido.start_sync_server(n=1, timeout=60, mathjax=False, silence_warnings=True)
        return kaleido.calc_fig_sync(fig, opts={"format": fmt, "width": width, "height": height,
                                                "scale": EXPORT_SCALE if fmt == "png" else 1})
