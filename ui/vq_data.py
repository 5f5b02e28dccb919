"""Cached test-set encodings and the β_c run family for the VQ-VAE codebook page.

Keys are run id + checkpoint epoch (+ data set), so a running run refreshes and sliders reuse
the encodings (explorer.vq_views does the work; van den Oord et al. 2017).
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.views import code_views, vq_views
from explorer import data
from trainer import RunRecord, RunSpec

from ui.latent_data import model_for
from ui.state import get_store

MAX_IMAGES = 2000  # test images encoded; larger test sets are subsampled
MAX_SCATTER = 6000  # z_e points drawn in the projection


@st.cache_data(max_entries=16, show_spinner="Encoding the test set…")
def encodings(run_id: str, epoch: int, dataset: str) -> dict:
    """x, y, z_e, codes, reconstructions, codebook and code usage of the test set."""
    x, y = data.load(dataset, "test")
    keep = vq_views.subsample(len(x), MAX_IMAGES)
    x = x[keep]
    model = model_for(run_id, epoch)
    out = vq_views.encode_test(model, x)
    out.update(x=x.numpy(), y=None if y is None else y[keep].numpy(),
               usage=vq_views.usage_summary(out["codes"], model.n_categories),
               sq_dist=vq_views.squared_distances(out["z_e"], out["codebook"], out["codes"]))
    return out


@st.cache_data(max_entries=16, show_spinner="Projecting z_e and the codebook to 2-D…")
def projection(run_id: str, epoch: int, dataset: str) -> dict:
    """PCA of the test-set z_e (all positions) with the codebook under the same map, and the
    code of each projected point."""
    enc = encodings(run_id, epoch, dataset)
    proj = vq_views.pca_projection(enc["z_e"], enc["codebook"])
    proj["point_codes"] = enc["codes"].reshape(-1)
    return proj


def family(spec: RunSpec) -> tuple[list[dict], dict[float, RunRecord]]:
    """Comparison rows of finished runs that differ from `spec` only in β_c, and those runs
    by β_c (store reads are cheap; not cached so new runs show up)."""
    store = get_store()
    records = [r for r in store.list(("done",)) if r.checkpoint_epoch is not None]
    rows = vq_views.commitment_table(spec, records, store.evals)
    by_id = {r.run_id: r for r in records}
    return rows, {row["commitment"]: by_id[row["run_id"]] for row in rows}


def family_status(spec: RunSpec) -> list[tuple[float, RunRecord | None]]:
    """(β_c, record or None if never submitted) for each β_c of the comparison grid."""
    store = get_store()
    known = {r.run_id: r for r in store.list()}
    return [(s.commitment, known.get(s.run_id)) for s in vq_views.commitment_specs(spec)]


def edited_images(run_id: str, epoch: int, codes_one: np.ndarray, position: int,
                  codes: list[int]) -> np.ndarray:
    """Decoder means with one position of one example's codes replaced by each of `codes`."""
    edits = vq_views.edit_codes(codes_one, position, codes)
    return code_views.decode_codes(model_for(run_id, epoch), edits)
