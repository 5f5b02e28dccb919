"""The opening frame of a figure that has its own (browser-side) slider, read from the page URL,
so a shared link still opens at the value it names; and notices for URL values a page ignores."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import streamlit as st

from ui.url_notice import ignored


def number(raw) -> float | None:
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def option_index(options: Sequence[float], value: float | None) -> int | None:
    """Index of `value` in the numeric `options`, or None when it is not one of them."""
    if value is None:
        return None
    i = min(range(len(options)), key=lambda i: abs(options[i] - value))
    return i if math.isclose(options[i], value, rel_tol=1e-9, abs_tol=1e-9) else None


def url_index(key: str, options: Sequence[float], default: float) -> int:
    """Index in `options` of the number in query parameter `key`; the default's index when the
    parameter is missing, not a number, or not one of the options."""
    fallback = min(range(len(options)), key=lambda i: abs(options[i] - default))
    i = option_index(options, number(st.query_params.get(key)))
    return fallback if i is None else i


def bad_url_values(params: Mapping, ranges: Mapping[str, tuple] = {},
                   options: Mapping[str, tuple] = {}) -> list[tuple[str, str, str]]:
    """(key, raw value, why) for each URL value a page cannot use. ranges: {key: (lo, hi,
    what)} for sliders; options: {key: (allowed values, what)} for select sliders, select boxes
    and radios (numbers compared as numbers, the rest as text)."""
    bad = []
    for key, (lo, hi, what) in ranges.items():
        raw = params.get(key)
        value = number(raw)
        if raw is not None and (value is None or not lo <= value <= hi):
            bad.append((key, raw, f"{what} must be a number from {lo:g} to {hi:g}; using the "
                                  "default instead."))
    for key, (allowed, what) in options.items():
        raw = params.get(key)
        if raw is None:
            continue
        numeric = all(isinstance(a, (int, float)) for a in allowed)
        ok = (option_index(allowed, number(raw)) is not None) if numeric else raw in map(str, allowed)
        if not ok:
            shown = ", ".join(f"{a:g}" if numeric else str(a) for a in allowed)
            bad.append((key, raw, f"{what} must be one of {shown}; using the default instead."))
    return bad


def url_notices(params: Mapping, ranges: Mapping[str, tuple] = {},
                options: Mapping[str, tuple] = {}) -> list[str]:
    """Report each bad URL value through the app's one notice (ui.url_notice.ignored, which
    then says it once, with the reason); returns the keys reported."""
    bad = bad_url_values(params, ranges, options)
    for key, raw, why in bad:
        ignored(key, raw, why)
    return [key for key, _, _ in bad]
