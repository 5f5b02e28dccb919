"""Cached Monte Carlo views of the Gumbel-max & softmax and Smoothing transformations pages:
thin st.cache_data wrappers of explorer.discrete.sampling_stats, keyed by plain values."""
from __future__ import annotations

import streamlit as st

from explorer.discrete import SAMPLING_TAU_GRID
from explorer.discrete import sampling_stats as ds

SEED = 0          # the same noise on every rerun, so sliders move samples smoothly
N_SAMPLES = 20000  # smoothing samples per histogram


@st.cache_data(max_entries=64, show_spinner=False)
def gumbel_max(logits: tuple, n: int):
    return ds.gumbel_max_frequencies(logits, n, SEED)


@st.cache_data(max_entries=64, show_spinner="Sampling at every τ…")
def moments(logits: tuple, n: int):
    return ds.relaxed_moments(logits, SAMPLING_TAU_GRID, n, SEED)


@st.cache_data(max_entries=256, show_spinner=False)
def relaxed(logits: tuple, tau: float, n: int):
    y = ds.relaxed_samples(logits, tau, n, SEED)
    return y, ds.jacobian_norms(y, tau)


@st.cache_data(max_entries=8, show_spinner=False)
def fig1_curves(a: float):
    return ds.figure1_curves(a=a)


@st.cache_data(max_entries=256, show_spinner=False)
def smoothing_views(name: str, beta: float, p: float, a: float):
    return ds.smoothing_views(name, beta, p, N_SAMPLES, SEED, a)


@st.cache_data(max_entries=64, show_spinner=False)
def l1_curves(p: float, a: float):
    return ds.l1_family(p, a)


@st.cache_data(max_entries=128, show_spinner=False)
def overlapping(beta: float, p: float):
    return ds.overlapping_views(beta, p, N_SAMPLES, SEED)
