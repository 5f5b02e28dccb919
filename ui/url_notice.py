"""Bad values in a shared link get a short notice instead of vanishing (issue 12, "Share").

app.py runs every page inside `collecting()`: it keeps the URL parameters the run started with,
and afterwards names each one the run did not use. Streamlit 1.67 drops a widget-bound
(`bind="query-params"`) value it cannot use — unparsable, out of range, not an option — from the
URL and shows the widget's default; it rewrites one it corrects (`?k=3.7` on an integer slider
becomes 3). It also drops a value equal to the default, which is no reject: `_reads_as` checks
that with the widget's own serializer. Code that parses a parameter by hand calls `ignored()`.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException

_LOG = logging.getLogger(__name__)
_NOTES: ContextVar[dict | None] = ContextVar("url_notes", default=None)
# The widget-owned part of the URL as the last full run left it: a value equal to it came
# from the app (a reset button, a picker the app keeps in the URL), not from a link, so a
# change to it is no reject. Only keys of widgets: a value no page used yet is still the link's.
_PREVIOUS = "_url_notice_previous"
# The notices last shown, with the page and URL they were shown on: a rerun the app starts
# itself (a background result arriving) leaves the URL as it was and shows them again, so a
# notice does not vanish a second after the link opened. Any change to the URL drops them.
_SHOWN = "_url_notice_shown"
_MISSING = object()


def _params() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params}


def _shown(key: str, values) -> str:
    values = [values] if isinstance(values, str) else list(values)
    return "&".join(f"{key}={v}" for v in values) or f"{key}="


def ignored(key: str, raw, reason: str) -> None:
    """Report that `?key=raw` from the link was not used; `reason` is one short sentence saying
    why and what is shown instead. Inside `collecting()` it joins the page's notices."""
    text = f"Ignored `?{_shown(key, raw)}` from the link: {reason}"
    notes = _NOTES.get()
    if notes is None:  # a fragment rerun or a page run on its own: show it where it is
        st.warning(text, icon=":material/link_off:")
    else:
        notes[key] = text


def _widget(key: str):
    """Streamlit's metadata of the widget with user key `key`, or None (internal API, so any
    failure means "unknown" and the text comparison below takes over)."""
    try:
        from streamlit.runtime.state.session_state_proxy import get_session_state

        state = get_session_state()._state
        wid = state._key_id_mapper.get_id_from_key(key)
        return state._new_widget_state.widget_metadata.get(wid) if wid else None
    except Exception:  # noqa: BLE001 — private attributes of Streamlit 1.67
        return None


def _text_reads_as(raw: list[str], value) -> bool:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value] == raw
    text = raw[-1].strip()
    if isinstance(value, bool):
        return text.lower() == str(value).lower()
    if isinstance(value, (int, float)):
        try:
            return float(text) == float(value)
        except ValueError:
            return False
    return text == str(value)


def _reads_as(key: str, raw: list[str], value) -> bool:
    """Whether the link's `raw` value means the value the widget shows (then it was dropped
    only because it equals the default): the widget's own URL form of it, or the same text or
    number (`?beta=1` for 1.0)."""
    meta = _widget(key)
    if meta is not None:
        try:
            from streamlit.runtime.state.query_params import parse_url_param

            if meta.serializer(value) == parse_url_param(raw[0] if len(raw) == 1 else raw,
                                                         meta.value_type):
                return True
        except Exception:  # noqa: BLE001 — unparsable: the text comparison decides
            pass
    return _text_reads_as(raw, value)


def _value_text(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value)) or "nothing"
    return str(value)


def rejected(before: dict, after: dict, previous: dict, explained=()) -> list[str]:
    """Notices for the link values in `before` (the URL at the start of the run) that the run
    did not keep, given the URL `after` it and `previous` (after the last run)."""
    out = []
    for key, raw in before.items():
        if key in explained or previous.get(key) == raw or after.get(key) == raw:
            continue
        value = st.session_state[key] if key in st.session_state else _MISSING
        if value is _MISSING:
            reason = "this page does not use it." if key not in after else \
                f"it was replaced by `{_shown(key, after[key])}`."
        elif key not in after and _reads_as(key, raw, value):
            continue  # the default: Streamlit keeps defaults out of the URL
        elif key in after:
            reason = f"read as {_value_text(value)}."
        else:
            reason = f"not a value this control takes; showing {_value_text(value)}."
        out.append(f"Ignored `?{_shown(key, raw)}` from the link: {reason}")
    return out


def _show(place, page: str, before: dict, previous: dict, notes: dict):
    after = _params()
    texts = list(notes.values()) + rejected(before, after, previous, explained=notes)
    # The controls the link named, as they are now: moving one of them drops the notices even
    # where the URL does not show it (AppTest keeps no widget values in its URL).
    def state(keys):
        return {k: repr(st.session_state.get(k, _MISSING)) for k in keys}

    shown = st.session_state.get(_SHOWN)
    if texts:
        st.session_state[_SHOWN] = {"page": page, "url": after, "texts": texts,
                                    "state": state(sorted({*before, *notes}))}
    elif (shown and shown["page"] == page and shown["url"] == before == after
          and state(shown["state"]) == shown["state"]):
        texts = shown["texts"]
    else:
        st.session_state.pop(_SHOWN, None)
    st.session_state[_PREVIOUS] = {k: v for k, v in after.items() if k in st.session_state}
    for text in texts:
        place.warning(text, icon=":material/link_off:")


@contextmanager
def collecting(page: str = ""):
    """Wrap the run of `page` (from before the first bound widget): notices appear at the top
    of the page, where this is entered, and stay until the URL or the page changes. A run
    stopped by st.rerun shows none — the rerun that follows draws the page."""
    before, previous = _params(), dict(st.session_state.get(_PREVIOUS, {}))
    place = st.container()
    notes: dict = {}
    token = _NOTES.set(notes)
    rerunning = False
    try:
        yield
    except RerunException:
        rerunning = True
        raise
    finally:
        _NOTES.reset(token)
        if not rerunning:
            try:
                _show(place, page, before, previous, notes)
            except Exception:  # noqa: BLE001 — a notice must never break the page
                _LOG.exception("could not show the link notices")
