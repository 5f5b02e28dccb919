"""Choosing a run: a selectbox kept in sync with ?run=… so a view can be shared."""
from __future__ import annotations

import streamlit as st

from trainer import RunRecord

from ui.state import get_store, run_label


def _remember(run_id_key: str):
    st.query_params["run"] = st.session_state[run_id_key]


def pick_run(statuses: tuple[str, ...] | None = None, label: str = "Run",
             require_checkpoint: bool = False,
             models: tuple[str, ...] | None = None) -> RunRecord | None:
    """A run chosen from the store (newest first), or None with a hint when there is none.

    The URL holds the run id (not the label, which changes as the run trains); an unknown
    id in the URL falls back to the newest run. `models` keeps only runs of those kinds.
    """
    runs = get_store().list(statuses)
    if require_checkpoint:
        runs = [r for r in runs if r.checkpoint_epoch is not None]
    if models:
        runs = [r for r in runs if r.spec.model in models]
    if not runs:
        kinds = "" if not models else f" with a {' or '.join(models)} latent"
        flag = "" if not models or "gaussian" in models else f" --model {models[0]}"
        st.info(f"No runs yet{kinds} — start one on the **Train** page, or pre-train from the "
                f"command line: `python -m trainer train --dataset mnist5k --latent-dim 2{flag}`.")
        return None
    by_id = {r.run_id: r for r in runs}
    wanted = st.session_state.get("run") or st.query_params.get("run")
    if wanted not in by_id:
        wanted = runs[0].run_id
    st.session_state["run"] = wanted
    st.query_params["run"] = wanted
    run_id = st.selectbox(label, list(by_id), format_func=lambda i: run_label(by_id[i]),
                          key="run", on_change=_remember, args=("run",))
    return by_id[run_id]


def checkpointed_run(label: str = "Run", models: tuple[str, ...] = ("gaussian",)) -> RunRecord:
    """A run with a checkpoint to inspect; stops the page (with a hint) when there is none,
    and says so when the checkpoint belongs to a run that is still training. Most pages read
    a Gaussian latent space, hence the default `models`."""
    rec = pick_run(require_checkpoint=True, label=label, models=models)
    if rec is None:
        st.stop()
    if rec.status in ("running", "queued"):
        st.info(f"Still training — showing the checkpoint after epoch {rec.checkpoint_epoch} of "
                f"{rec.spec.epochs}; reload the page for a newer one.")
    return rec
