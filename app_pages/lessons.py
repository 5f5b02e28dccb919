"""Lesson path: the three lectures in order, each step a page with preset widgets."""
import streamlit as st

from ui import lessons

st.title("Lesson path")
st.markdown("Follow the lectures in their order. Each step opens a page with its widgets set "
            "(through the URL), says what to do and what to watch; the sidebar then shows "
            "**Back** and **Next**. Every step is also a link you can share.")
for lecture, name in enumerate(lessons.LECTURES):
    st.subheader(name)
    for i, step in enumerate(lessons.STEPS):
        if step.lecture != lecture:
            continue
        c1, c2 = st.columns([1, 4])
        if c1.button(f"{i + 1}. Open", key=f"lesson_open_{i}"):
            lessons.go(i)
        c2.markdown(f"**{step.title}** — {step.do} *{step.watch}*")
