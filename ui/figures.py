"""Showing plotly figures in Streamlit with titles that fit their column."""
from __future__ import annotations

import textwrap

import streamlit as st


def show(fig, key: str, chars: int = 100, **kwargs):
    """st.plotly_chart with the title wrapped at `chars` characters (plotly never wraps)."""
    title = fig.layout.title.text
    if title and "<br>" not in title and len(title) > chars:
        lines = textwrap.wrap(title, chars)
        fig.update_layout(title_text="<br>".join(lines))
        margin_top = (fig.layout.margin.t or 50) + 18 * (len(lines) - 1)
        fig.update_layout(margin_t=margin_top, height=(fig.layout.height or 450) + 18 * (len(lines) - 1))
    return st.plotly_chart(fig, key=key, **kwargs)
