"""Process-wide singletons: one run store and one executor per store directory."""
from __future__ import annotations

import streamlit as st

from explorer.models import registry
from trainer import (Executor, NoCheckpoint, RunRecord, RunStore, default_store_dir,
                     load_model)
from trainer.executors import ExecutorUnavailable, configured_address, make_executor


@st.cache_resource
def _store_at(root: str) -> RunStore:
    return RunStore(root)


@st.cache_resource
def _executor_for(root: str, address: str | None) -> Executor:
    executor = make_executor(_store_at(root))  # local workers, or the Dask cluster at `address`
    executor.ensure_workers()  # pick up runs queued before the server (re)started
    return executor


def get_store() -> RunStore:
    """The run store the CLI uses too ($VAE_EXPLORER_STORE or the default location)."""
    return _store_at(str(default_store_dir()))


def get_executor() -> Executor:
    """Local worker processes, or the Dask cluster named by $VAE_EXPLORER_EXECUTOR; a bad
    address or an unreachable scheduler stops the page with what to do."""
    try:
        return _executor_for(str(default_store_dir()), configured_address())
    except ExecutorUnavailable as exc:
        st.error(f"Runs cannot be trained: {exc}")
        st.stop()


@st.cache_resource(max_entries=16)
def _load(run_id: str, checkpoint_epoch: int, store_root: str):
    return load_model(run_id, _store_at(store_root))


def cached_model(run_id: str, checkpoint_epoch: int, store_root: str):
    """A run's model at one checkpoint; keyed by epoch so a running run refreshes. A damaged
    checkpoint stops the page with the reason instead of a traceback."""
    try:
        return _load(run_id, checkpoint_epoch, store_root)
    except NoCheckpoint as exc:
        st.error(f"Run {run_id} cannot be shown: {exc}")
        st.stop()


def run_label(rec: RunRecord, status: bool = True) -> str:
    """One line naming a run; `status=False` where the line would outlive the status."""
    s = rec.spec
    elbo = f", test ELBO {rec.test_elbo:.1f}" if rec.test_elbo is not None else ""
    kind = "" if s.model == registry.DEFAULT else f"{s.model} · "
    now = f" · {rec.status}" if status else ""
    return (f"{rec.run_id} · {kind}{s.dataset} · d={s.latent_dim} · {s.likelihood} · β={s.beta:g}"
            f" · seed {s.seed}{now}{elbo}")
