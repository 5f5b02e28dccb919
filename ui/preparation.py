"""The class models in the app: queued once on a fresh store, and a progress bar on every page
that waits for one (trainer/class_models.py); the trainer commands the pages print."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import streamlit as st

from trainer import RunRecord, class_models
from trainer.admission import Refused
from ui.state import get_executor, get_store

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def trainer_command(args: str) -> str:
    """`python -m trainer ARGS` as it runs from the project folder with this app's Python
    (".venv/bin/python" after `make run`), so a command shown on a page works when copied."""
    python = Path(sys.executable)
    try:
        python = python.relative_to(PROJECT_ROOT)
    except ValueError:
        pass
    return f"{python} -m trainer {args}"


@st.cache_resource
def _prepared(store_root: str) -> int:
    return len(class_models.first_start(get_executor()))


def prepare_class_models():
    """First start of a fresh store: queue the class models once (the server's own action, so
    classroom mode does not apply; VAE_EXPLORER_PRETRAIN=0 turns it off). (Importing the
    library in a background thread to save the first visitor a few seconds raced the page's
    own imports: "partially initialized module 'pandas'".)"""
    try:
        _prepared(str(get_store().root))
    except Refused as exc:
        st.warning(f"Some class models were not queued: {exc}")


def _seconds_left(rec: RunRecord) -> str:
    if rec.status != "running" or rec.progress < 0.02:
        return ""
    return f" (about {rec.seconds * (1 - rec.progress) / rec.progress:.0f} s left)"


def _line(rec: RunRecord, ahead: int) -> str:
    what = class_models.describe(rec.spec)
    if rec.status == "queued":
        return (f"Preparing the class models: {what} — queued, it starts when a worker is free "
                f"({ahead} run(s) ahead of it)")
    return (f"Preparing the class models: {what} — epoch {rec.epoch} of {rec.spec.epochs}"
            f"{_seconds_left(rec)}")


def _awaited(view: str | None) -> list[RunRecord]:
    """The class models a page showing `view` could show, queued or training, in order."""
    runs = {r.run_id: r for r in get_store().list(class_models.ACTIVE)}
    return [runs[i] for i in class_models.CLASS_IDS
            if i in runs and (view is None or view in runs[i].spec.family.views)]


def waiting_for_class_model(view: str | None, can_show: Callable[[RunRecord], bool]) -> bool:
    """If a class model this page could show is still on its way, a progress bar that
    refreshes, and reruns the page once `can_show` (the run picker's test) accepts it; False
    (nothing drawn) otherwise."""
    if not _awaited(view):
        return False

    @st.fragment(run_every=2.0)
    def progress():
        awaited = _awaited(view)
        if not awaited or any(map(can_show, awaited)):  # it can be shown (or it stopped)
            st.rerun(scope="app")
        queue = [r.run_id for r in sorted(get_store().list(("queued",)), key=lambda r: r.updated)]
        rec = awaited[0]
        ahead = queue.index(rec.run_id) if rec.run_id in queue else 0
        st.progress(rec.progress, text=_line(rec, ahead))
        st.caption("A fresh store trains the runs every page needs once, in the background "
                   f"(`{trainer_command('pretrain --wait')}` does the same before class); "
                   "this page shows its run as soon as the first checkpoint is written.")

    progress()
    return True
