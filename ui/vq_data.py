"""Cached test-set encodings and the β_c run family for the VQ-VAE codebook page.

Keys are run id + checkpoint epoch (+ data set), so a running run refreshes and sliders reuse
the encodings (explorer.views.vq_views and trainer.families do the work).
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer import data
from explorer.views import vq_views
from trainer import RunRecord, RunSpec, families

from ui.latent_data import model_for
from ui.state import get_store

MAX_IMAGES = 2000  # test images encoded; larger test sets are subsampled
MAX_SCATTER = 6000  # z_e points drawn in the projection


@st.cache_data(max_entries=16, show_spinner="Encoding the test set…")
def encodings(run_id: str, epoch: int, dataset: str) -> dict:
    """x, y, z_e, codes, reconstructions, codebook and code usage of the test set."""
    return vq_views.test_encodings(model_for(run_id, epoch), *data.load(dataset, "test"),
                                   max_images=MAX_IMAGES)


@st.cache_data(max_entries=16, show_spinner="Projecting z_e and the codebook to 2-D…")
def projection(run_id: str, epoch: int, dataset: str) -> dict:
    return vq_views.projection(encodings(run_id, epoch, dataset))


def family(spec: RunSpec) -> tuple[list[dict], dict[float, RunRecord]]:
    """Comparison rows of finished runs that differ from `spec` only in β_c, and those runs
    by β_c (store reads are cheap; not cached so new runs show up)."""
    store = get_store()
    records = [r for r in store.list(("done",)) if r.checkpoint_epoch is not None]
    rows = families.commitment_table(spec, records, store.evals)
    return rows, families.runs_by_commitment(rows, records)


def family_status(spec: RunSpec) -> list[tuple[float, RunRecord | None]]:
    return families.commitment_status(spec, get_store().list())


def edited_images(run_id: str, epoch: int, codes_one: np.ndarray, position: int,
                  codes: list[int]) -> np.ndarray:
    return vq_views.edited_images(model_for(run_id, epoch), codes_one, position, codes)
