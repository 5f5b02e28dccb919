"""Cached test-set encodings for the Categorical & binary codes page (keyed by run id + epoch)."""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from explorer.views import code_views
from explorer import data
from explorer.bounds import sweeps
from explorer.bounds.enumeration import can_enumerate, exact_log_marginal_categorical
from explorer.views.latent import dimension_label

from ui.latent_data import model_for

SMOOTHING_NAMES = {"spike_exponential": "spike-and-exponential (Rolfe 2016)",
                   "overlapping_exponential": "overlapping exponentials (DVAE++)"}


@st.cache_data(max_entries=32, show_spinner="Encoding the test set…")
def test_codes(run_id: str, epoch: int, dataset: str) -> dict:
    """Test images and labels, posterior probabilities, most probable codes, their
    reconstructions and the per-variable usage summary (explorer.code_views)."""
    model = model_for(run_id, epoch)
    x, y = data.load(dataset, "test")
    encoded = code_views.encode_test(model, x)
    return {"x": x.numpy(), "y": None if y is None else y.numpy(), **encoded,
            "usage": code_views.usage_summary(model, encoded)}


def describe(spec, epoch: int) -> str:
    """One line on the run: code shape, estimator and its τ schedule or smoothing β."""
    if spec.model == "dvae":
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


def unused_caption(usage: dict, dvae: bool) -> str:
    """Which variables the encoder does not use (perplexity ≈ 1): posterior collapse."""
    unused = np.flatnonzero(usage["unused"])
    n = len(usage["unused"])
    kind = "bits" if dvae else "variables"
    if not len(unused):
        return f"All {n} {kind} are used: each takes more than one value on the test set."
    if dvae:
        on = usage["fraction"][unused, 1] > 0.5
        groups = [("always off", unused[~on]), ("always on", unused[on])]
        names = "; ".join(f"{how}: {', '.join(dimension_label(j) for j in js)}"
                          for how, js in groups if len(js))
        why = "the bit is the same for (nearly) every image, so it tells the decoder nothing about x"
    else:
        names = ", ".join(dimension_label(j) for j in unused)
        why = "one category (almost) always wins, so these variables carry no information about x"
    return (f"**{len(unused)} of {n} {kind} unused** ({names}): exp(H) < "
            f"{code_views.UNUSED_PERPLEXITY:g} — {why}. That is posterior collapse of those "
            f"{kind}; the rest of the code has to describe the image.")


@st.cache_data(max_entries=64, show_spinner="Estimating L_k for k = 1 … 5000…")
def ladder_for(run_id: str, epoch: int, dataset: str, index: int) -> tuple[dict, float | None]:
    """IWAE ladder of one test image for a categorical model, and its exact log p(x) by
    enumerating every code when there are at most explorer.enumeration.MAX_CODES."""
    model = model_for(run_id, epoch)
    x = torch.as_tensor(data.load(dataset, "test")[0][index])
    lad = sweeps.bound_ladder(model, x)
    exact = (float(exact_log_marginal_categorical(model, x[None])[0]) if can_enumerate(model)
             else None)
    return lad, exact
