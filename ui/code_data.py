"""Cached test-set encodings for the Categorical & binary codes page (keyed by run id + epoch;
explorer.views.code_views and bound_views do the work), and the one-line run description."""
from __future__ import annotations

import streamlit as st

from explorer import data
from explorer.views import bound_views, code_views

from ui.latent_data import model_for

SMOOTHING_NAMES = {"spike_exponential": "spike-and-exponential (Rolfe 2016)",
                   "overlapping_exponential": "overlapping exponentials (DVAE++)"}


@st.cache_data(max_entries=32, show_spinner="Encoding the test set…")
def test_codes(run_id: str, epoch: int, dataset: str) -> dict:
    return code_views.test_summary(model_for(run_id, epoch), *data.load(dataset, "test"))


def describe(spec, epoch: int, binary: bool) -> str:
    """One line on the run: code shape, estimator and its τ schedule or smoothing β
    (binary: the codes are a DVAE's bits, explorer.views.code_views.binary_codes)."""
    if binary:
        smoothing = SMOOTHING_NAMES[getattr(spec, "smoothing", "spike_exponential")]
        what = (f"d = {spec.latent_dim} bits · estimator {spec.estimator} · {smoothing} "
                f"r(ζ|z) with β = {spec.smoothing_beta:g} (E[ζ|z=1] = "
                f"{code_views.zeta_mean(spec.smoothing_beta):.2f})")
    else:
        relaxed = spec.estimator in ("gumbel_softmax", "st_gumbel_softmax")
        schedule = (f"τ_t = max({spec.tau_min:g}, {spec.tau0:g}·e^(−{spec.anneal_rate:g} t))"
                    if relaxed else "hard samples z ~ q (no τ)")
        what = (f"N = {spec.latent_dim} variables × K = {spec.n_categories} categories · "
                f"estimator {spec.estimator} · {schedule}")
    return f"{what} · {spec.dataset} · β_KL = {spec.beta:g} · checkpoint after epoch {epoch}"


@st.cache_data(max_entries=64, show_spinner="Estimating L_k for k = 1 … 5000…")
def ladder_for(run_id: str, epoch: int, dataset: str, index: int) -> tuple[dict, float | None]:
    return bound_views.categorical_ladder(model_for(run_id, epoch),
                                          data.load(dataset, "test")[0][index])
