"""Cached per-checkpoint computations for the Latent space page (keys are plain strings;
explorer.views.latent does the work)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer import data
from explorer.views import latent

from ui.background import result_or_progress
from ui.state import cached_model, get_store

MAX_POINTS = 2000  # points drawn in the latent scatter; larger test sets are subsampled


def last_kl_per_dim(run_id: str) -> list:
    """KL per latent coordinate of the run's last training step (one row, not the history)."""
    store = get_store()
    last = store.metrics(run_id, since_step=store.get(run_id).step - 1)["kl_per_dim"]
    return last[-1] if last else []


def checkpoint_stamp(run_id: str) -> int:
    """When the run's checkpoint was written (ns; 0 without one), to tell two checkpoints of
    the same epoch apart (a reset run trains its epochs again)."""
    try:
        return get_store().checkpoint_path(run_id).stat().st_mtime_ns
    except OSError:
        return 0


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


def knn_accuracy(run_id: str, epoch: int, dataset: str) -> float | None:
    """latent.knn_accuracy of the test codes, half predicting the other half; None without two
    labels, or (with a progress bar) while it is computed: in the background, once per run and
    epoch, since its first call imports scikit-learn (≈1.5 CPU s) — not the page's first paint."""
    codes = test_codes(run_id, epoch, dataset)
    if codes["y"] is None or len(set(codes["y"].tolist())) < 2:
        return None
    half = len(codes["mu"]) // 2
    return result_or_progress(
        "knn_accuracy", (run_id, epoch, dataset),
        lambda report: latent.knn_accuracy(codes["mu"][:half], codes["y"][:half],
                                           codes["mu"][half:], codes["y"][half:]),
        "5-nearest-neighbour accuracy of the labels from μ")


def codes_csv(model, dataset: str) -> bytes:
    """Every test point's q(z|x) as CSV: index, label, mu_1..mu_d, sigma_1..sigma_d (the whole
    test set, not the scatter's subsample; computed when the download is clicked)."""
    import pandas as pd  # 0.6 s the first time: only when the download is clicked

    x, y = data.load(dataset, "test")
    mu, sigma = latent.posterior_stats(model, x)
    d = mu.shape[1]
    table = pd.DataFrame({"index": np.arange(len(mu)),
                          "label": np.asarray(y) if y is not None else pd.NA})
    table[[f"mu_{k + 1}" for k in range(d)]] = mu
    table[[f"sigma_{k + 1}" for k in range(d)]] = sigma
    return table.to_csv(index=False, float_format="%.8g").encode()
