"""Cached per-checkpoint computations for the Latent space page (keys are plain strings)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer import data
from explorer.views import latent

from ui.state import cached_model, get_store

MAX_POINTS = 2000  # points drawn in the latent scatter; larger test sets are subsampled


def model_for(run_id: str, epoch: int):
    return cached_model(run_id, epoch, str(get_store().root))


@st.cache_data(max_entries=32, show_spinner="Encoding the test set…")
def test_codes(run_id: str, epoch: int, dataset: str) -> dict:
    """Test points, labels, μ(x), σ(x), reconstructions and per-dimension KL."""
    model = model_for(run_id, epoch)
    x, y = data.load(dataset, "test")
    if len(x) > MAX_POINTS:
        keep = np.sort(np.random.default_rng(0).choice(len(x), MAX_POINTS, replace=False))
        x, y = x[keep], (y[keep] if y is not None else None)
    mu, sigma = latent.posterior_stats(model, x)
    return {
        "x": x.numpy(), "y": None if y is None else y.numpy(), "mu": mu, "sigma": sigma,
        "recon": latent.reconstruct(model, x),
        "kl_dim": latent.kl_per_dimension(model, x),
    }


@st.cache_data(max_entries=32, show_spinner="Projecting the codes to 2-D…")
def projection(run_id: str, epoch: int, dataset: str, method: str) -> tuple[np.ndarray, np.ndarray]:
    # t-SNE is quadratic in N: 1,000 points keep the first view to seconds, not minutes.
    return latent.project(test_codes(run_id, epoch, dataset)["mu"], method=method,
                          max_points=1000)
