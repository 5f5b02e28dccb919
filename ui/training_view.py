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
from trainer import RunBusy
from trainer.archive import export_run
from ui import jobs
from ui.state import get_executor, get_store

MAX_POINTS = 1500  # curves are thinned to this many points so redraws stay fast

STATUS_TEXT = {
    "queued": "⏳ queued — waiting for a free worker",
    "running": "🏃 training in a background worker",
    "done": "✅ done",
    "failed": "❌ failed",
    "cancelled": "⏹ cancelled",
    "diverged": "💥 diverged",
}


def _thin(values: list, stride: int) -> list:
    return values[::stride]


def run_controls(rec):
    """Cancel, Resume and Delete, enabled from the record this refresh read (outside the live
    view they went stale: Delete stayed disabled after the run had finished)."""
    executor, active = get_executor(), rec.status in ACTIVE
    allowed = jobs.may_manage()
    if not allowed:
        st.caption(jobs.locked_reason())
    c1, c2, c3, c4 = st.columns(4)
    if c1.button("Cancel", disabled=not active or not allowed, key="run_cancel"):
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
    st.markdown(f"**{rec.run_id}** — {STATUS_TEXT[rec.status]}")
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
