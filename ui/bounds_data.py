"""Cached bound computations for the bound-ladder page (keys are plain values)."""
from __future__ import annotations

import numpy as np
import streamlit as st
import torch

from explorer import data
from explorer.bounds import sweeps
from explorer.bounds import effective_sample_size, exact_log_marginal, log_weights, posterior_grid
from explorer.bounds.gaps import gap_decomposition

from ui.latent_data import model_for

GAP_POINTS = 300  # test points in the gap histogram (seconds, not minutes)


def _point(dataset: str, index: int) -> torch.Tensor:
    x, _ = data.load(dataset, "test")
    return x[index]


@st.cache_data(max_entries=64, show_spinner="Estimating L_k for k = 1 … 5000…")
def ladder_for(run_id: str, epoch: int, dataset: str, index: int) -> dict:
    return sweeps.bound_ladder(model_for(run_id, epoch), _point(dataset, index))


@st.cache_data(max_entries=64, show_spinner=False)
def exact_for(run_id: str, epoch: int, dataset: str, index: int) -> float | None:
    model = model_for(run_id, epoch)
    if model.latent_dim > 2:
        return None
    return float(exact_log_marginal(model, _point(dataset, index)[None])[0])


@st.cache_data(max_entries=64, show_spinner=False)
def ess_for(run_id: str, epoch: int, dataset: str, index: int, k: int) -> float:
    """Effective sample size of k importance weights (one draw, fixed seed)."""
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        log_w = log_weights(model_for(run_id, epoch), _point(dataset, index)[None], k)
    return float(effective_sample_size(log_w)[0])


@st.cache_data(max_entries=64, show_spinner=False)
def renyi_for(run_id: str, epoch: int, dataset: str, index: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    alphas = np.linspace(0.0, 1.0, 21)
    return alphas, sweeps.renyi_family(model_for(run_id, epoch), _point(dataset, index), alphas, k=k)


@st.cache_data(max_entries=16, show_spinner="Bounds for the test set (ELBO, L_k, exact log p(x))…")
def test_set_for(run_id: str, epoch: int, dataset: str, k: int) -> dict:
    x, _ = data.load(dataset, "test")
    return sweeps.test_set_bounds(model_for(run_id, epoch), x[:GAP_POINTS], k=k)


@st.cache_data(max_entries=64, show_spinner=False)
def posterior_for(run_id: str, epoch: int, dataset: str, index: int):
    axes, log_post = posterior_grid(model_for(run_id, epoch), _point(dataset, index))
    return [a.numpy() for a in axes], log_post.numpy()


@st.cache_data(max_entries=64, show_spinner="Optimising q per data point (SVI) and splitting the gap…")
def gaps_for(run_id: str, epoch: int, dataset: str, indices: tuple[int, ...]) -> dict:
    x, _ = data.load(dataset, "test")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        out = gap_decomposition(model_for(run_id, epoch), x[list(indices)])
    return {k: (v.detach().numpy() if isinstance(v, torch.Tensor) else v) for k, v in out.items()}
