"""Views that redraw in the browser (issue 11 §5): a slider moves, the browser recomputes the
view from data shipped once and redraws it, with no server round trip — thirty students can
slide at once on a two-core server, and each redraw is one Plotly.react.

A *group* of views on a page shares its controls: the view with the controls (the group's hub)
holds the data, computes the results in JavaScript and passes them to the other views of its
group in the same tab. Each view opens with a figure built here in Python (the same figure
builders as everywhere), so the first paint is the server's own figure; the browser only
recomputes once a control moves. The controls' values come back to Python, debounced, so the
page can put them in the URL.

The JavaScript lives in `frontend/`: `live.js` (the Streamlit component protocol, controls,
drawing, downloads) and one recipe per page (`gumbel.js`), whose math is tested against the
library it mirrors (tests/test_live_js.py, in Chromium).
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st
import streamlit.components.v1 as components

from ui.figures import prepared
from ui.frame_state import number, option_index, url_notices
from ui.presentation import presenting

FRONTEND = Path(__file__).parent / "frontend"
APP_STATIC = Path(__file__).resolve().parents[2] / "static"  # beside app.py: /app/static/
STATIC_DATE = 1577836800  # 2020-01-01 UTC: the static copy's Last-Modified
NAME = "vx_live"


def _plotly_js() -> Path:
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def served_dir() -> Path:
    """A directory holding the frontend and plotly.js (Streamlit serves a component's files from
    one directory and refuses symlinks out of it), made once per version of either. With the
    app's static folder (plotly_src) its index.html loads the scripts from there, where the
    browser caches them: Streamlit sends component files with no validator, so each view of
    each page visit fetched its dozen scripts again."""
    files = sorted(FRONTEND.iterdir())
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.name.encode() + f.read_bytes())
    digest.update(str(_plotly_js().stat().st_size).encode())
    scripts = _static_scripts(files, digest.hexdigest()[:12])
    digest.update(scripts.encode())
    user = os.getuid() if hasattr(os, "getuid") else "user"  # another user's copy is not ours to read
    target = Path(tempfile.gettempdir()) / f"vae-explorer-live-{user}-{digest.hexdigest()[:12]}"
    if not (target / "plotly.min.js").exists():
        staging = Path(tempfile.mkdtemp(prefix="vae-explorer-live-", dir=target.parent))
        for f in files:
            shutil.copy(f, staging / f.name)
        if scripts:
            html = (FRONTEND / "index.html").read_text()
            (staging / "index.html").write_text(re.sub(
                r'(src|href)="([^"/]+)"', lambda m: f'{m[1]}="{scripts}{m[2]}"', html))
        shutil.copy(_plotly_js(), staging / "plotly.min.js")
        try:
            os.rename(staging, target)
        except OSError:  # another process made it first
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _static_scripts(files: list[Path], version: str) -> str:
    """The frontend's scripts and styles copied to the app's static folder (dated STATIC_DATE,
    in a folder named by their digest); the prefix index.html gives them, or "" without one."""
    folder = APP_STATIC / "vx" / version
    try:
        if not _static_serving():
            return ""
        if not folder.exists():
            staging = folder.with_name(f".{version}.{os.getpid()}")
            staging.mkdir(parents=True, exist_ok=True)
            for f in files:
                if f.name != "index.html":
                    _dated_copy(f, staging / f.name)
            try:
                os.rename(staging, folder)
            except OSError:  # another server made it first
                shutil.rmtree(staging, ignore_errors=True)
    except OSError:  # a read-only checkout: the component's own copies
        return ""
    return f"../../app/static/vx/{version}/"


def _static_serving() -> bool:
    return bool(st.get_option("server.enableStaticServing"))


def _dated_copy(source: Path, target: Path) -> None:
    """A copy for the static folder, its Last-Modified STATIC_DATE (see plotly_src)."""
    shutil.copy(source, target)
    os.utime(target, (STATIC_DATE, STATIC_DATE))


@functools.cache
def plotly_src() -> str:
    """Where a view loads plotly.js from, relative to its iframe. The app's static folder
    (server.enableStaticServing) where it can be: Starlette's FileResponse sends Last-Modified
    and no Cache-Control, so a browser keeps the file fresh for a tenth of its age — dated
    STATIC_DATE, months; the name carries plotly's version, so a new one is a new URL. The
    component's own copy is the fallback: Streamlit serves component files with no validator,
    so each view of each page visit fetched all 4.8 MB again, gzipped at level 9 on the
    server's event loop (0.25 s of CPU each)."""
    import plotly

    name = f"plotly-{plotly.__version__}.min.js"
    try:
        if not _static_serving():
            return "plotly.min.js"
        target = APP_STATIC / "vx" / name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            staging = target.with_name(f".{name}.{os.getpid()}")
            _dated_copy(_plotly_js(), staging)
            os.replace(staging, target)  # atomic: several servers may start from one checkout
    except OSError:  # a read-only checkout: the component's copy
        return "plotly.min.js"
    return f"../../app/static/vx/{name}"


_component = None


def _declared():
    global _component
    if _component is None:
        _component = components.declare_component(NAME, path=str(served_dir()))
    return _component


def figure_json(fig: go.Figure, key: str, chars: int = 100) -> str:
    """The figure as ui.figures.show would draw it (wrapped title, tidy axes, presentation
    mode), without frames or a plotly slider (the view's own controls replace them)."""
    fig = prepared(go.Figure(data=fig.data, layout=fig.layout), chars)  # frames left behind
    fig.layout.sliders, fig.layout.updatemenus = [], []
    if fig.layout.template.layout.to_plotly_json() == {}:
        fig.update_layout(template="plotly_white")  # no template yet: plotly's grey default
    return fig.to_json()


def figure(build, *args, key: str, chars: int = 100, **kwargs) -> str:
    """figure_json(build(*args, **kwargs), key, chars), cached across sessions by the builder
    and its arguments (plain values, small arrays): thirty students opening a page at the same
    values build and serialise each figure once, not thirty times (plotly's property validation
    is most of a page's server time)."""
    return _cached_figure(f"{build.__module__}.{build.__qualname__}", build, args,
                          tuple(sorted(kwargs.items())), key, chars, presenting())


@st.cache_data(max_entries=512, show_spinner=False)
def _cached_figure(name: str, _build, args: tuple, kwargs: tuple, key: str, chars: int,
                   present: bool) -> str:
    return figure_json(_build(*args, **dict(kwargs)), key, chars)  # `present`: a key of its own


def control(name: str, label: str, *, url: str, lo: float | None = None,
            hi: float | None = None, step: float | None = None, options: tuple | None = None,
            help: str = "", fmt: str = "") -> dict:
    """A slider of a live view, kept in the URL under `url`: a range lo..hi by step, or a select
    slider over `options`."""
    if options is not None:
        return {"name": name, "label": label, "url": url, "options": list(options), "help": help,
                "texts": [str(o) for o in options]}  # as to_url writes them
    return {"name": name, "label": label, "url": url, "min": lo, "max": hi, "step": step,
            "help": help}


def link_notices(controls) -> list[str]:
    """Name each URL value these controls cannot take (ui.frame_state.url_notices), from the
    ranges and options the controls hold: `current` quietly uses the default for it."""
    ranges = {c["url"]: (c["min"], c["max"], c["label"]) for c in controls if "options" not in c}
    options = {c["url"]: (tuple(c["options"]), c["label"]) for c in controls if "options" in c}
    return url_notices(st.query_params, ranges, options)


def current(key: str, controls, defaults: dict) -> dict:
    """The controls' values: as the browser last reported them in this session, else from the
    URL (values a page cannot use fall back to the default; `link_notices` says so), else
    `defaults`."""
    reported = st.session_state.get(key)
    out = {}
    for c in controls:
        name = c["name"]
        raw = number(reported.get(name)) if isinstance(reported, dict) else None
        if raw is not None:
            out[name] = _snapped(c, raw, defaults[name])
            continue
        raw = number(st.query_params.get(c["url"]))
        out[name] = defaults[name] if raw is None else _snapped(c, raw, defaults[name])
    return out


def _snapped(c: dict, value: float, default):
    if "options" in c:
        i = option_index(c["options"], value)
        return default if i is None else c["options"][i]
    if not c["min"] <= value <= c["max"]:
        return default
    k = round((value - c["min"]) / c["step"])
    return float(round(c["min"] + k * c["step"], 10))


def to_url(controls, values: dict):
    """Put the controls' values in the URL (only those that changed: each write is a message to
    the browser)."""
    for c in controls:
        value = values.get(c["name"])
        if value is not None and number(st.query_params.get(c["url"])) != value:
            st.query_params[c["url"]] = str(value)  # as Streamlit writes a bound slider's value


def view(recipe: str, role: str, *, key: str, group: str, values: dict, figure: str | None = None,
         controls: tuple = (), data: dict | None = None, filename: str | None = None) -> dict:
    """One live view: `figure` (figure_json) drawn and redrawn by the JavaScript recipe's `role`
    as the group's values change; `controls` (control()) are this view's own sliders. Returns
    the values of this view's controls (those the browser last reported, else `values`)."""
    data = data or {}
    blobs = {k: v for k, v in data.items() if isinstance(v, (bytes, bytearray))}
    plain = {k: v for k, v in data.items() if k not in blobs}
    got = _declared()(
        recipe=recipe, role=role, group=group, values=values, controls=list(controls),
        present=presenting(), plotly=plotly_src(),
        figure=figure, data=json.dumps(plain), filename=filename or key,
        key=key, default=None, **{f"blob_{k}": v for k, v in blobs.items()})
    out = {}
    for c in controls:  # JSON made 2.0 an int; a value the control cannot take keeps `values`
        name = c["name"]
        raw = got.get(name) if isinstance(got, dict) else None
        got_value = number(raw) if not isinstance(raw, bool) else None
        out[name] = (values.get(name) if got_value is None
                     else _snapped(c, got_value, values.get(name)))
    return out



@st.fragment
def reporting_view(recipe: str, role: str, *, key: str, group: str, values: dict,
                   controls: tuple, figure: str | None = None, data: dict | None = None,
                   filename: str | None = None):
    """A view with sliders, in a fragment of its own: the browser's (debounced) report of their
    values reruns only this, which puts them in the URL and keeps the figure it was given — so
    the browser's own redraw stays the last, and the page's other views are not sent again."""
    to_url(controls, view(recipe, role, key=key, group=group, values=values, figure=figure,
                          controls=controls, data=data, filename=filename))
