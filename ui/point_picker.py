"""Selecting a test point: by clicking the latent scatter or by typing its index (?point=…)."""
from __future__ import annotations

import streamlit as st

from ui.widget_state import clamp_state

SCATTER_KEY = "latent_scatter"


def sync_click_to_point():
    """A click on the scatter selects that point; call before the number inputs are drawn."""
    clicked = st.session_state.get(SCATTER_KEY, {}).get("selection", {}).get("points", [])
    if not clicked or clicked[0].get("customdata") is None:
        return
    data = clicked[0]["customdata"]
    pick = int(data[0] if isinstance(data, list) else data)
    if st.session_state.get("_last_click") != pick:
        st.session_state["_last_click"] = pick
        st.session_state["point"] = pick


def point_input(n: int, container=st) -> int:
    """The selected test point index, kept in the URL."""
    clamp_state("point", range(n), 0)
    return int(container.number_input("Selected test point", 0, n - 1, 0, key="point",
                                      bind="query-params"))
