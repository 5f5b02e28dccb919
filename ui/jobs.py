"""Starting and stopping runs from the app: classroom permissions, per-session quotas and
admission control, in one place every page goes through.

Classroom mode is on when a teacher token is configured ($VAE_EXPLORER_TEACHER_TOKEN or
`teacher_token` in .streamlit/secrets.toml). Then training, cancelling, resuming and
deleting need the token, entered once per browser session in the sidebar; students explore
every page and every run without it. Without a token (a laptop) everything is unlocked.
A session that is not the teacher's may have at most SESSION_QUOTA runs queued or training
at once (one page's line-up fits); identical specs are shared, so a run someone else
started costs nothing. Admission control (trainer/admission.py) refuses specs that cost
more than the server allows, with the number and the limit.
"""
from __future__ import annotations

import hmac
import os

import streamlit as st

from trainer import RunBusy, RunRecord, RunSpec, control
from trainer.admission import Refused
from ui import state
from ui.state import get_store

SESSION_QUOTA = int(os.environ.get("VAE_EXPLORER_SESSION_QUOTA", 8))
_UNLOCKED = "teacher_unlocked"
_MINE = "my_runs"


def teacher_token() -> str | None:
    token = os.environ.get("VAE_EXPLORER_TEACHER_TOKEN")
    if token:
        return token
    try:
        return st.secrets.get("teacher_token") or None
    except Exception:  # no secrets file: not an error, just no classroom mode
        return None


def classroom_mode() -> bool:
    return teacher_token() is not None


def may_manage() -> bool:
    """May this session train, cancel, resume and delete runs?"""
    return not classroom_mode() or bool(st.session_state.get(_UNLOCKED))


def teacher_login():
    """The sidebar box where the teacher unlocks this browser session (classroom mode only)."""
    if not classroom_mode():
        return
    with st.sidebar:
        if st.session_state.get(_UNLOCKED):
            st.caption("🔓 Teacher: training and run management unlocked in this browser.")
            if st.button("Lock", key="teacher_lock"):
                st.session_state[_UNLOCKED] = False
                st.rerun()
            return
        given = st.text_input("Teacher token", type="password", key="teacher_token_input",
                              help="Classroom mode: the token unlocks training and deleting.")
        if given:
            ok = hmac.compare_digest(given.encode(), teacher_token().encode())
            st.session_state[_UNLOCKED] = ok
            if ok:
                st.rerun()
            st.error("That is not the teacher token.")


def locked_reason() -> str:
    return ("Classroom mode: training and managing runs is for the teacher (enter the token in "
            "the sidebar). Every page and every run can still be explored.")


def _active_mine() -> list[str]:
    mine = st.session_state.setdefault(_MINE, [])
    store = get_store()
    active = []
    for run_id in mine:
        try:
            if store.get(run_id).status in ("queued", "running"):
                active.append(run_id)
        except KeyError:
            pass
    st.session_state[_MINE] = active
    return active


def submit(spec: RunSpec) -> RunRecord | None:
    """Queue `spec` for this session, or show why not (locked, over quota, refused)."""
    if not may_manage():
        st.warning(locked_reason())
        return None
    store = get_store()
    if store.exists(spec.run_id):  # shared: an identical run costs no quota
        return state.get_executor().submit(spec)
    active = _active_mine()
    teacher = classroom_mode() and st.session_state.get(_UNLOCKED)
    if len(active) >= SESSION_QUOTA and not teacher:
        st.warning(f"This browser session already has {len(active)} runs queued or training "
                   f"(the limit is {SESSION_QUOTA}, so the queue stays fair to everyone); wait "
                   "for one to finish or cancel one.")
        return None
    try:
        rec = state.get_executor().submit(spec)
    except Refused as exc:
        st.error(f"Not started: {exc}")
        return None
    st.session_state[_MINE] = [*active, rec.run_id]
    return rec


def submit_all(specs: list[RunSpec]) -> list[RunRecord]:
    """A line-up: every spec through `submit`, stopping at the first refusal."""
    out = []
    for spec in specs:
        rec = submit(spec)
        if rec is None:
            break
        out.append(rec)
    return out


def train_button(label: str, specs, key: str, disabled: bool = False, help: str | None = None):
    """A button that queues a line-up (`specs`, or a callable giving them when pressed) through
    `submit_all` and redraws the page once every spec was accepted (else the refusal shows)."""
    if st.button(label, key=key, disabled=disabled, help=help):
        specs = list(specs() if callable(specs) else specs)
        if len(submit_all(specs)) == len(specs):
            st.rerun()


def run_control(action: str, run_id: str, speed: float | None = None) -> RunRecord | None:
    """▶ play, ❚❚ pause, ⏭ step one epoch, ↺ reset or a speed for `run_id` (trainer.control),
    for the teacher in classroom mode like delete; a refusal is shown, not raised."""
    if not may_manage():
        st.warning(locked_reason())
        return None
    store, executor = get_store(), state.get_executor()
    try:
        if action == "pause":
            return control.pause(store, run_id)
        if action == "speed":
            return control.set_speed(store, run_id, speed)
        if action == "reset":
            with st.spinner("Stopping the run and deleting what it trained…"):
                return control.reset(executor, store, run_id)
        return {"play": control.play, "step": control.step_epoch}[action](executor, store, run_id)
    except (RunBusy, ValueError, KeyError) as exc:
        st.warning(str(exc))
        return None
