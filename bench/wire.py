"""A browser session without the browser: Streamlit's own websocket protocol (BackMsg /
ForwardMsg protobufs), so a load test can put thirty students' server load on a two-core
machine whose cores cannot also run thirty Chromiums.

A WireSession opens a page as the browser does (a rerun request naming the page), keeps the
widgets the server sent (id, kind, fragment), and changes them as the browser would: a
Streamlit slider step is a rerun with that widget's new value; a live view's slider moves in the
browser only, and what reaches the server is its debounced report, a fragment rerun with the
component's JSON value. A widget inside a fragment reruns only its fragment, as in a browser. Every rerun is timed from the request to the server's
`script_finished`: the server's share of what a student waits for (the browser's rendering is
measured by the real Chromium sessions of bench/load_test.py). It also fetches each live view's
files once, as a browser with a cold cache does.

    python bench/wire.py URL PATH      # opens one page, prints its widgets and the open time
"""
from __future__ import annotations

import asyncio
import json
import re
import sys
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

FINISHED = {0: "ok", 1: "compile error", 2: "early for rerun", 3: "fragment ok"}


@dataclass
class Widget:
    """A widget as the server last sent it: enough to send it a new value."""

    id: str
    kind: str  # slider, select_slider, checkbox, radio, selectbox, button, component
    label: str
    fragment: str
    proto: object = None


@dataclass
class WireSession:
    url: str  # http://host:port
    ws: object = None
    widgets: dict = field(default_factory=dict)  # key (the id's suffix) → Widget
    states: dict = field(default_factory=dict)  # id → WidgetState fields to send
    query: str = ""
    page: str = ""
    errors: list = field(default_factory=list)
    fetched: set = field(default_factory=set)
    texts: list = field(default_factory=list)  # markdown and alert bodies, as they arrived
    finished: str = ""  # how the last rerun ended ("ok", "fragment ok", …)

    async def connect(self):
        self.ws = await websockets.connect(self.url.replace("http", "ws", 1) + "/_stcore/stream",
                                           max_size=None, subprotocols=["streamlit"],
                                           open_timeout=120, ping_interval=None)

    async def close(self):
        if self.ws is not None:
            await self.ws.close()

    async def open(self, page: str, timeout: float = 120.0) -> float:
        """Run `page` (its URL path, no slash) as a first visit; seconds to script_finished."""
        self.page, self.widgets, self.states, self.texts = page, {}, {}, []
        return await self._rerun(timeout=timeout, fetch=True)

    async def set(self, key: str, value, timeout: float = 60.0) -> float:
        """Give the widget `key` a new value (a number for sliders; an option's text for
        select sliders, radios and selectboxes; a dict for a live view's report)."""
        w = self.widgets[key]
        self.states[w.id] = _state(w, value)
        bound = getattr(w.proto, "query_param_key", "") if w.kind != "component" else ""
        if bound:  # the browser writes a bound widget's value into the URL it sends
            q = dict(urllib.parse.parse_qsl(self.query, keep_blank_values=True))
            q[bound] = _url_text(value)
            self.query = urllib.parse.urlencode(q)
        try:
            return await self._rerun(fragment=w.fragment, timeout=timeout)  # as the browser:
            # a widget inside a fragment reruns only that fragment
        finally:
            if w.kind == "button":  # a press is sent once
                self.states.pop(w.id, None)

    async def _rerun(self, fragment: str = "", timeout: float = 60.0, fetch: bool = False) -> float:
        m = BackMsg()
        cs = m.rerun_script
        cs.query_string, cs.page_name, cs.fragment_id = self.query, self.page, fragment
        cs.context_info.url = f"{self.url}/{self.page}"
        for wid, (field_name, v) in self.states.items():
            s = cs.widget_states.widgets.add()
            s.id = wid
            if field_name in ("double_array_value", "string_array_value"):
                getattr(s, field_name).data.extend(v)
            else:
                setattr(s, field_name, v)
        t0 = time.perf_counter()
        await self.ws.send(m.SerializeToString())
        urls = []
        async with asyncio.timeout(timeout):
            while True:
                f = ForwardMsg()
                f.ParseFromString(await self.ws.recv())
                kind = f.WhichOneof("type")
                if kind == "delta":
                    urls += self._delta(f.delta)
                elif kind == "page_info_changed":
                    self.query = f.page_info_changed.query_string
                elif kind == "script_finished":
                    if f.script_finished == 2:  # another rerun replaced this one: wait for it
                        continue
                    self.finished = FINISHED.get(f.script_finished, str(f.script_finished))
                    break
        dt = time.perf_counter() - t0
        if fetch:
            await asyncio.gather(*(asyncio.to_thread(self._fetch, u) for u in set(urls)))
        return dt

    def sliders(self) -> list[tuple[str, list]]:
        """(key, the values a student steps through) for every slider on the page: each control
        of a live view (sent as the view's report) and each Streamlit slider, from its default
        up and back, one step at a time."""
        out = []
        for key, w in self.widgets.items():
            if w.kind == "component":
                args = json.loads(w.proto.json_args)
                for c in args.get("controls", []):
                    steps = c.get("options") or _grid(c["min"], c["max"], c["step"])
                    now = args.get("values", {}).get(c["name"], steps[0])
                    out.append((key, [{c["name"]: v} for v in _bounce(steps, now)]))
            elif w.kind == "slider" and len(w.proto.default) == 1:
                p = w.proto
                out.append((key, _bounce(_grid(p.min, p.max, p.step), p.default[0])))
            elif w.kind == "select_slider" and len(w.proto.default) == 1:
                opts = list(w.proto.options)
                out.append((key, _bounce(opts, opts[int(w.proto.default[0])])))
        return out

    def _delta(self, d) -> list[str]:
        if d.WhichOneof("type") != "new_element":
            return []
        kind = d.new_element.WhichOneof("type")
        el = getattr(d.new_element, kind)
        if kind == "exception":
            self.errors.append(f"{self.page}: {el.type}: {el.message[:120]}")
            return []
        if kind in ("markdown", "alert"):
            self.texts.append(el.body)
        if kind == "component_instance":
            key = el.id.rsplit("-", 1)[-1]
            self.widgets[key] = Widget(el.id, "component", key, d.fragment_id, el)
            return [el.component_name]
        if kind in ("slider", "checkbox", "radio", "selectbox", "button"):
            if kind == "slider" and el.type == 2:  # Slider.Type.SELECT_SLIDER
                kind = "select_slider"
            key = el.id.rsplit("-", 1)[-1]
            self.widgets[key] = Widget(el.id, kind, el.label, d.fragment_id, el)
        return []

    def _fetch(self, component: str):
        """A live view's files, once per session (a student's browser with a cold cache)."""
        if component in self.fetched:
            return
        self.fetched.add(component)
        base = f"{self.url}/component/{component}/"
        with urllib.request.urlopen(base + "index.html", timeout=60) as r:
            html = r.read().decode()
        for name in re.findall(r'(?:src|href)="([^"]+)"', html):  # maybe ../../app/static/…
            with urllib.request.urlopen(urllib.parse.urljoin(base, name), timeout=60) as r:
                r.read()


def _grid(lo: float, hi: float, step: float) -> list[float]:
    n = int(round((hi - lo) / step))
    return [round(lo + i * step, 10) for i in range(n + 1)]


def _bounce(steps: list, now, k: int = 12) -> list:
    """k steps from the value nearest `now`: up to the end, then back down."""
    try:
        i = min(range(len(steps)), key=lambda j: abs(float(steps[j]) - float(now)))
    except (TypeError, ValueError):
        i = steps.index(now) if now in steps else 0
    out, d = [], 1 if i + 1 < len(steps) else -1
    for _ in range(k):
        if not 0 <= i + d < len(steps):
            d = -d
        i += d
        out.append(steps[i])
    return out


def _url_text(value) -> str:
    """A value as the browser writes it into the URL (JavaScript's String(number))."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _state(w: Widget, value) -> tuple[str, object]:
    if w.kind == "slider":
        return "double_array_value", [float(value)]
    if w.kind == "select_slider":
        return "string_array_value", [str(value)]
    if w.kind == "button":
        return "trigger_value", True
    if w.kind == "checkbox":
        return "bool_value", bool(value)
    if w.kind in ("radio", "selectbox"):
        return "string_value", str(value)
    return "json_value", json.dumps(value)


async def _main(url: str, page: str):
    s = WireSession(url)
    await s.connect()
    dt = await s.open(page)
    print(f"opened /{page} in {dt:.2f} s; errors: {s.errors}")
    for key, w in s.widgets.items():
        print(f"  {key:24s} {w.kind:14s} {w.label!r} fragment={w.fragment or '-'}")
    for key, values in s.sliders()[:4]:
        dt = await s.set(key, values[0])
        print(f"  {key} → {values[0]}: {dt:.3f} s to script_finished")
    await s.close()


if __name__ == "__main__":
    asyncio.run(_main(sys.argv[1], sys.argv[2].lstrip("/")))
