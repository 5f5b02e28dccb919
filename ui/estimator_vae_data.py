"""Cached encoder-gradient noise for the estimators-on-a-VAE page (explorer.estimators.
encoder_snr does the work from per-coordinate moments, no per-sample gradients are stored;
keys are run id + checkpoint epoch + test point)."""
from __future__ import annotations

import streamlit as st

from explorer import data
from explorer.estimators.encoder_snr import encoder_noise as _encoder_noise

from ui.latent_data import model_for


@st.cache_data(max_entries=32, show_spinner="Sampling encoder gradients (their mean and variance per weight)…")
def encoder_noise(run_id: str, epoch: int, dataset: str, index: int, n: int) -> dict:
    """Per estimator: mean gradient variance over encoder weights, median SNR, SNRs, time."""
    x = data.load(dataset, "test")[0][index : index + 1]
    return _encoder_noise(model_for(run_id, epoch), x, n)
