"""Presentation mode for a projector: a sidebar switch (?present=1 in the URL) that makes
every figure and the page text larger (explorer.plots.style.present)."""
from __future__ import annotations

import streamlit as st

KEY = "present"
CSS = """<style>
html, body, [data-testid="stMarkdownContainer"] { font-size: 20px; }
[data-testid="stMainBlockContainer"] { max-width: 100%; padding-left: 2rem; padding-right: 2rem; }
</style>"""


def presentation_switch():
    """The switch; when on, the page's base font grows too."""
    on = st.sidebar.toggle("Presentation mode", key=KEY, bind="query-params",
                           help="For a projector: larger fonts and figures, bolder lines.")
    if on:
        st.html(CSS)


def presenting() -> bool:
    return bool(st.session_state.get(KEY))
