"""Live view of one run (a fragment that polls the store) and the table of all runs."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import streamlit as st

from explorer.models.registry import LatentFamily
from explorer.views.latent import active_units
from explorer.plots.training import compare_curves, kl_bars, training_curves

from ui.figures import show
from trainer import RunBusy, control
from trainer.archive import export_run
from ui import jobs
from ui.state import get_executor, get_store

MAX_POINTS = 1500  # curves are thinned to this many points so redraws stay fast

STATUS_TEXT = {
    "queued": "⏳ queued — waiting for a free worker",
    "running": "🏃 training in a background worker",
    "paused": "❚❚ paused — ▶ trains on from the step it stopped at",
    "done": "✅ done",
    "failed": "❌ failed",
    "cancelled": "⏹ cancelled",
    "diverged": "💥 diverged",
}


def _thin(values: list, stride: int) -> list:
    return values[::stride]


PAUSING = {"step": "pausing after this step", "epoch": "pausing at the end of this epoch"}


def playback_controls(rec, allowed: bool):
    """▶ / ❚❚ / ⏭ one epoch / ↺ reset and the speed cap (trainer.control): the worker reads
    them between steps, so the class can watch the latent map organise at its own pace."""
    status, pending = rec.status, rec.pause_at if rec.status in ACTIVE else None
    c1, c2, c3, c4, c5 = st.columns([1, 1, 1.3, 1, 1.4])
    pressed = None
    if c1.button("▶ Play", key="run_play", disabled=not allowed or not (
            status == "paused" or pending), help="Train on from where the run paused."):
        pressed = "play"
    if c2.button("❚❚ Pause", key="run_pause", disabled=not allowed or status not in ACTIVE
                 or pending == "step", help="Stop after the step in progress; a paused run "
                 "holds no worker and keeps its place exactly."):
        pressed = "pause"
    if c3.button("⏭ One epoch", key="run_step", disabled=not allowed or status not in (
            *ACTIVE, "paused") or pending == "epoch",
            help="Train to the end of the epoch in progress, then pause."):
        pressed = "step"
    if c4.button("↺ Reset", key="run_reset", disabled=not allowed,
                 help="Stop the run, delete its checkpoints, curves and snapshots, and train "
                      "it again from its untrained model (same spec, same seed)."):
        pressed = "reset"
    _speed_select(c5, rec, allowed)
    if pressed and jobs.run_control(pressed, rec.run_id) is not None:
        st.rerun(scope="app")


def _speed_select(where, rec, allowed: bool):
    """The speed cap; it follows the store when someone else changed it (the CLI, a tab)."""
    key, seen = f"run_speed_{rec.run_id}", f"run_speed_seen_{rec.run_id}"
    stored = control.speed_text(rec.speed)
    options = list(control.SPEEDS) + ([stored] if stored not in control.SPEEDS else [])
    if st.session_state.get(seen) != stored:
        st.session_state[key] = st.session_state[seen] = stored
    where.selectbox("Speed (steps/s)", options, key=key, disabled=not allowed,
                    on_change=_speed_changed, args=(rec.run_id, key, seen),
                    help="A cap on optimiser steps per second, so a class can watch the "
                         "latent map organise; it changes only the timing, never the result.")


def _speed_changed(run_id: str, key: str, seen: str):
    speed = control.parse_speed(st.session_state[key])
    if jobs.run_control("speed", run_id, speed=speed) is not None:
        st.session_state[seen] = st.session_state[key]


def run_controls(rec):
    """Playback, Cancel, Resume and Delete, enabled from the record this refresh read
    (outside the live view they went stale: Delete stayed disabled after the run had
    finished)."""
    executor, active = get_executor(), rec.status in ACTIVE
    allowed = jobs.may_manage()
    if not allowed:
        st.caption(jobs.locked_reason())
    playback_controls(rec, allowed)
    c1, c2, c3, c4 = st.columns(4)
    if c1.button("Cancel", disabled=not (active or rec.status == "paused") or not allowed,
                 key="run_cancel"):
        executor.cancel(rec.run_id)
        st.rerun(scope="app")
    if c2.button("Resume", disabled=not rec.resumable or not allowed, key="run_resume",
                 help="Continue from the last checkpoint."):
        executor.resume(rec.run_id)
        st.rerun(scope="app")
    if c3.button("Delete", disabled=active or not allowed, key="run_delete",
                 help="Cancel the run first." if active else None):
        try:
            get_store().delete(rec.run_id)  # the picker then falls back to the newest run
            st.rerun(scope="app")
        except RunBusy as exc:
            st.warning(str(exc))
    store = get_store()  # downloads are for everyone, classroom mode or not
    c4.download_button("⬇ Run (.zip)", data=lambda: run_zip(store, rec.run_id),
                       file_name=f"vae-run-{rec.run_id}.zip", mime="application/zip",
                       key="run_download", on_click="ignore",
                       help="Spec, metrics (CSV), checkpoint and the run's files; add it to "
                            "another store with `python -m trainer import FILE.zip`.")


def run_zip(store, run_id: str) -> bytes:
    """The run as an archive (trainer.archive), built in memory when the button is clicked."""
    buffer = io.BytesIO()
    export_run(store, run_id, buffer)
    return buffer.getvalue()


ACTIVE = ("queued", "running")


def live_run_view(run_id: str, active: bool):
    """Status, controls and curves of a run: refreshed every second while it is queued or
    running (`active`), static once it has finished, so its buttons never race a refresh
    and a finished run costs the server nothing."""
    st.fragment(run_every=1.0 if active else None)(_run_view)(run_id, active)


def _run_view(run_id: str, active: bool):
    store = get_store()
    try:
        rec = store.get(run_id)
    except KeyError:
        st.warning(f"Run {run_id} no longer exists.")
        return
    if active and rec.status not in ACTIVE:
        st.rerun(scope="app")  # it just finished: redraw the page once, then stop polling
    pending = f" — {PAUSING[rec.pause_at]}" if rec.status == "running" and rec.pause_at else ""
    speed = f" · at most {rec.speed:g} steps/s" if rec.speed else ""
    st.markdown(f"**{rec.run_id}** — {STATUS_TEXT[rec.status]}{pending}{speed}")
    epochs = rec.spec.epochs
    st.progress(rec.progress, text=f"epoch {min(rec.epoch, epochs)}/{epochs} · step {rec.step}"
                f"/{rec.total_steps or '?'} · {rec.seconds:.1f} s")
    if rec.error:
        (st.error if rec.status in ("failed", "diverged") else st.info)(rec.error)
    run_controls(rec)
    m = store.metrics(run_id)
    ev = store.evals(run_id)
    if not m["step"]:
        st.caption("Curves appear after the first steps.")
        return
    stride = max(1, len(m["step"]) // MAX_POINTS)
    test = ev.get("test_elbo")
    last = {k: m[k][-1] for k in ("elbo", "reconstruction", "kl")}
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("train ELBO (last batch)", f"{last['elbo']:.1f}")
    c2.metric("E_q log p(x|z)", f"{last['reconstruction']:.1f}")
    c3.metric("KL(q‖p)", f"{last['kl']:.2f}")
    c4.metric("test ELBO", f"{test['value'][-1]:.2f}" if test else "–")
    fig = training_curves(
        _thin(m["step"], stride), {"ELBO": _thin(m["elbo"], stride)},
        title="ELBO per example (nats): training batches, and the test set after each epoch",
        yaxis_title="nats", test_steps=test["step"] if test else None,
        test_series={"ELBO": test["value"]} if test else None)
    show(fig, key=f"elbo_curve_{run_id}", chars=70)
    fig = training_curves(
        _thin(m["step"], stride),
        {"E_q[log p(x|z)]": _thin(m["reconstruction"], stride), "KL(q‖p)": _thin(m["kl"], stride)},
        title="The two terms of the ELBO: reconstruction and KL to the prior (eq. 22)",
        yaxis_title="nats")
    show(fig, key=f"terms_curve_{run_id}", chars=70)
    kl_dim = np.asarray(m["kl_per_dim"][-1])
    show(kl_bars(kl_dim, active_units(kl_dim),
                 title=f"KL per latent {rec.spec.family.unit} on the last batch; near-zero bars "
                       "are inactive units"),
         key=f"kl_bars_{run_id}")
    _code_curves(ev, run_id, rec.spec.family)


CODE_SERIES = {  # eval name → legend, for the runs whose latents are discrete codes
    "test_perplexity": "code perplexity (test)", "test_dead_codes": "dead codes (test)",
    "tau": "temperature τ", "mean_q": "mean q(z=1|x) over bits (train)",
    "codebook_loss": "codebook loss (train)", "commitment_loss": "commitment loss (train)",
}


def _code_curves(ev: dict, run_id: str, family: LatentFamily):
    """Per-epoch code statistics of a discrete-latent run (trainer.code_stats)."""
    series = {label: ev[name] for name, label in CODE_SERIES.items() if name in ev}
    if not series:  # a Gaussian run records none of them
        return
    per = ("over the shared codebook" if family.shared_codebook else "per variable, averaged")
    fig = compare_curves({k: (v["epoch"], v["value"]) for k, v in series.items()},
                         title=f"Codes over training: perplexity exp(H) of code usage ({per}), "
                               "unused codes, and the model's own knobs",
                         yaxis_title="value", xaxis_title="epoch")
    show(fig, key=f"code_curves_{run_id}", chars=70)


@st.fragment(run_every=2.0)
def runs_table():
    """Every run in the store with its status and progress."""
    runs = get_store().list()
    if not runs:
        st.caption("No runs yet.")
        return
    rows = [{
        "run": r.run_id, "status": r.status, "progress": r.progress,
        "model": r.spec.model, "data": r.spec.dataset, "d": r.spec.latent_dim, "likelihood": r.spec.likelihood,
        "β": r.spec.beta, "estimator": r.spec.estimator, "epochs": r.spec.epochs, "seed": r.spec.seed,
        "test ELBO": r.test_elbo, "seconds": round(r.seconds, 1),
    } for r in runs]
    st.dataframe(pd.DataFrame(rows), hide_index=True, column_config={
        "progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0),
        "test ELBO": st.column_config.NumberColumn(format="%.2f"),
    })
