"""Cached bound computations for the bound-ladder page (keys are plain values; the work is
explorer.views.bound_views and explorer.bounds.sweeps)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer import data
from explorer.bounds import sweeps
from explorer.views import bound_views

from ui.latent_data import model_for

GAP_POINTS = 300  # test points in the gap histogram (seconds, not minutes)


def _point(dataset: str, index: int):
    return data.load(dataset, "test")[0][index]


@st.cache_data(max_entries=64, show_spinner="Estimating L_k for k = 1 … 5000…")
def ladder_for(run_id: str, epoch: int, dataset: str, index: int) -> dict:
    return sweeps.bound_ladder(model_for(run_id, epoch), _point(dataset, index))


@st.cache_data(max_entries=64, show_spinner=False)
def exact_for(run_id: str, epoch: int, dataset: str, index: int) -> float | None:
    return bound_views.exact_log_px(model_for(run_id, epoch), _point(dataset, index))


@st.cache_data(max_entries=64, show_spinner=False)
def ess_for(run_id: str, epoch: int, dataset: str, index: int, k: int) -> float:
    return bound_views.ess(model_for(run_id, epoch), _point(dataset, index), k)


@st.cache_data(max_entries=64, show_spinner=False)
def renyi_for(run_id: str, epoch: int, dataset: str, index: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    return bound_views.renyi(model_for(run_id, epoch), _point(dataset, index), k)


@st.cache_data(max_entries=16, show_spinner="Bounds for the test set (ELBO, L_k, exact log p(x))…")
def test_set_for(run_id: str, epoch: int, dataset: str, k: int) -> dict:
    x, _ = data.load(dataset, "test")
    return sweeps.test_set_bounds(model_for(run_id, epoch), x[:GAP_POINTS], k=k)


@st.cache_data(max_entries=64, show_spinner=False)
def posterior_for(run_id: str, epoch: int, dataset: str, index: int):
    return bound_views.posterior(model_for(run_id, epoch), _point(dataset, index))


@st.cache_data(max_entries=64, show_spinner="Optimising q per data point (SVI) and splitting the gap…")
def gaps_for(run_id: str, epoch: int, dataset: str, indices: tuple[int, ...]) -> dict:
    x, _ = data.load(dataset, "test")
    return bound_views.gaps(model_for(run_id, epoch), x[list(indices)])
