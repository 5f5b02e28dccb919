"""A slider through precomputed frames (issue 11 §5: "a grid of z … ship the frames once and let
the browser move through them"). The figure at the slider's value is built on the server as
any figure; the other values' pictures (PNGs) and the size and ticks that go with them are
drawn once for the whole class, in the background (a page's first content does not wait for
them), into a folder of the app's static folder named by what they depend on. The browser
fetches that folder's index.json when it is there and each picture once, and moving the slider
swaps them with no server round trip (frontend/frames.js). Without static serving (or in a
read-only checkout) the caller keeps its Streamlit slider.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
from pathlib import Path

import streamlit as st

from explorer.plots.images import slider_frames
from ui import live
from ui.background import page_jobs
from ui.presentation import presenting

MAX_SETS = 300  # frame sets kept in static/vx/frames (a few MB at most each); the oldest go


def available() -> bool:
    """Whether frames can be served (static serving on and the folder writable)."""
    return live.plotly_src() != "plotly.min.js"  # plotly_src falls back in the same cases


def _root() -> Path:
    return live.APP_STATIC / "vx" / "frames"


def url(name: str, file: str) -> str:
    """A frame set's file as a view's iframe reaches it."""
    return f"../../app/static/vx/frames/{name}/{file}"


def write_set(name: str, reference: str, value, options: tuple, pictures) -> Path:
    """Write the frame set `name` (explorer.plots.images.slider_frames): each option's picture as
    i.png, and index.json holding, per option, its URL and the layout that turns `reference`
    (the figure at `value`) into the figure at that option. Written to a staging folder, then
    renamed: a set is complete or absent."""
    height = json.loads(reference)["layout"].get("height") or 450
    drawn = slider_frames(pictures, height, options.index(value))
    target = _root() / name
    # Two sessions may draw one set at once (the script-run ones): a staging folder each.
    staging = target.with_name(f".{name}.{os.getpid()}.{threading.get_ident()}")
    staging.mkdir(parents=True, exist_ok=True)
    patches = []
    for i, (png, layout) in enumerate(drawn):
        (staging / f"{i}.png").write_bytes(png)
        patches.append({"source": url(name, f"{i}.png"), "layout": layout})
    (staging / "index.json").write_text(json.dumps({"values": list(options),
                                                    "patches": patches}))
    try:
        os.rename(staging, target)
    except OSError:  # another server drew it first
        shutil.rmtree(staging, ignore_errors=True)
    _prune()
    return target


def _prune() -> None:
    """Keep at most MAX_SETS frame sets: those of old runs, epochs and points go first."""
    sets = [p for p in _root().iterdir() if p.is_dir() and not p.name.startswith(".")]
    if len(sets) <= MAX_SETS:
        return
    sets.sort(key=lambda p: p.stat().st_mtime)
    for p in sets[: len(sets) - MAX_SETS]:
        shutil.rmtree(p, ignore_errors=True)


@st.cache_resource(max_entries=256, show_spinner=False)
def _figure(name: str, by: tuple, value, chars: int, key: str, present: bool, _build,
            _args) -> str:
    """One value's whole figure (figure_json): a view's first paint, drawn at once."""
    return live.figure_json(_build(*_args, value), key, chars)


def set_name(name: str, by: tuple, options: tuple, chars: int, present: bool) -> str:
    """The frame set's folder: a digest of everything its pictures depend on."""
    return hashlib.sha256(repr((name, by, options, chars, present)).encode()).hexdigest()[:24]


def frame_slider(build, pictures, *args, key: str, control: dict, default, by: tuple,
                 chars: int = 100, background: bool = True):
    """An image figure `build(*args, value)` with a slider over control["options"] (a
    live.control kept in the URL under its `url`) that moves in the browser. `pictures(*args,
    options)` gives, for each option, what `build` draws: the tiled array and the layout that
    changes with the value, as plotly paths ({"xaxis.tickvals": …, "annotations": …}; the
    height is added here) — all at once, so the options can share their work. `by` names
    everything `args` depend on (the run, its epoch, the point, …): the frames are drawn once
    for every session, in the background — or here, background=False, for pictures drawn
    from the process's one seeded random stream (explorer.views.latent.seeded): a thread of
    their own would interleave its draws with the script's."""
    options = tuple(control["options"])
    live.link_notices((control,))  # a bad value in a shared link is named, not dropped
    value = live.current(key, (control,), {control["name"]: default})[control["name"]]
    name = f"{build.__module__}.{build.__qualname__}"
    present = presenting()
    figure = _figure(name, by, value, chars, key, present, build, args)
    folder = set_name(name, by, options, chars, present)
    if not (_root() / folder / "index.json").exists():
        def draw(report=None):  # the figure at `value` tells every frame's room for the title
            return write_set(folder, figure, value, options, pictures(*args, options))
        if background:
            page_jobs().submit(("frames", folder), draw)
        else:
            try:
                draw()
            except OSError as exc:  # a full disk, a folder made read-only since the start
                st.warning(f"This slider's frames could not be written ({exc.strerror or exc}): "
                           "the figure stays at the value the page opened with.")
    live.reporting_view("frames", "view", key=key, group=key, values={control["name"]: value},
                        controls=(control,), figure=figure, filename=key,
                        data={"control": control["name"], "values": list(options),
                              "index": url(folder, "index.json")})
