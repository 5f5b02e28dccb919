"""The opening frame of a figure that has its own (browser-side) slider, read from the page URL,
so a shared link still opens at the value it names."""
from __future__ import annotations

import math
from collections.abc import Sequence

import streamlit as st


def url_index(key: str, options: Sequence[float], default: float) -> int:
    """Index in `options` of the number in query parameter `key`; the default's index when the
    parameter is missing, not a number, or not one of the options."""
    fallback = min(range(len(options)), key=lambda i: abs(options[i] - default))
    try:
        value = float(st.query_params.get(key, "nan"))
    except ValueError:
        return fallback
    if not math.isfinite(value):
        return fallback
    i = min(range(len(options)), key=lambda i: abs(options[i] - value))
    return i if math.isclose(options[i], value, rel_tol=1e-9, abs_tol=1e-9) else fallback
