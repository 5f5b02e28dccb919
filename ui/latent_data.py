"""Cached per-checkpoint computations for the Latent space page (keys are plain strings;
explorer.views.latent does the work)."""
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
    return latent.test_summary(model_for(run_id, epoch), *data.load(dataset, "test"),
                               max_points=MAX_POINTS)


@st.cache_data(max_entries=32, show_spinner="Projecting the codes to 2-D…")
def projection(run_id: str, epoch: int, dataset: str, method: str) -> tuple[np.ndarray, np.ndarray]:
    # t-SNE is quadratic in N: 1,000 points keep the first view to seconds, not minutes.
    return latent.project(test_codes(run_id, epoch, dataset)["mu"], method=method,
                          max_points=1000)

