"""Session-state helpers for widgets whose valid values change between runs."""
from __future__ import annotations

from collections.abc import Container
from typing import Any

import streamlit as st


def clamp_state(key: str, valid: Container, default: Any) -> None:
    """Call before drawing widget `key`: if the session holds a value the widget no longer
    offers (another run has fewer positions, codes or test points), put `default` back.
    `valid` is the options or a `range` of allowed integers. An absent key is left alone, so
    the widget's own default and its URL parameter still apply."""
    if key in st.session_state and st.session_state[key] not in valid:
        st.session_state[key] = default
