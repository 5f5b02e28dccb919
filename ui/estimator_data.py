"""Cached gradient-estimator races for the Estimator race and Relaxation bias pages: thin
st.cache_data wrappers of explorer.estimators.comparison and relaxation_race, keyed by plain
values."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.estimators import comparison as cmp
from explorer.discrete import ESTIMATOR_TAU_GRID
from explorer.estimators import relaxation_race as rr
from explorer.plots.estimators import relaxation_figures


@st.cache_data(max_entries=512, show_spinner=False)
def exact(family: str, cost: str, values: tuple, k: float) -> tuple[np.ndarray | None, str | None]:
    return cmp.exact(family, cost, values, k)


def estimates(family: str, cost: str, values: tuple, k: float, method: str,
              baseline: str | None = None, spe: int = 1, tau: float | None = None,
              n: int = cmp.N_EST, seed: int = 0) -> dict:
    """cmp.estimates, with τ and the baseline dropped where they do not apply so that those
    calls share one cache entry."""
    tau = float(tau) if method in cmp.USES_TAU and tau is not None else None
    baseline = baseline if method == "reinforce" else None
    return _estimates(family, cost, tuple(float(v) for v in values), float(k), method, baseline,
                      int(spe), tau, int(n), int(seed))


@st.cache_data(max_entries=1024, show_spinner=False)
def _estimates(family: str, cost: str, values: tuple, k: float, method: str,
               baseline: str | None, spe: int, tau: float | None, n: int, seed: int) -> dict:
    return cmp.estimates(family, cost, values, k, method, baseline, spe, tau, n, seed)


@st.cache_data(max_entries=256, show_spinner=False)
def variance_curve(family: str, cost: str, values: tuple, k: float, method: str,
                   baseline: str | None, tau: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    return cmp.variance_curve(family, cost, values, k, method, baseline, tau, estimate=estimates)


@st.cache_data(max_entries=4, show_spinner=False)
def relaxation_noise(family: str) -> dict:
    """The Relaxation bias page's uniforms (float32, shipped to the browser once per family)."""
    return rr.noise(family, cmp.N_TAU, cmp.SEED)


@st.cache_data(max_entries=64, show_spinner=False)
def relaxation_race(family: str, cost: str, values: tuple, t: float, tau: float) -> dict:
    """rr.race on the page's noise: the figures the browser redraws, as first drawn."""
    return rr.race(family, cost, values, t, tau, relaxation_noise(family))


@st.cache_resource(max_entries=16, show_spinner=False)
def relaxation_opening(family: str, cost: str, values: tuple, t: float, tau: float) -> tuple:
    """The curves, histogram and samples figures at these values, built together once (the
    page's three views each serialise a copy; none changes them)."""
    race = relaxation_race(family, cost, values, t, tau)
    samples = rr.relaxed_samples(family, values, tau, relaxation_noise(family)["u"])
    return relaxation_figures(race, family, cost, t, tau, samples, cmp.reference_label(),
                              ESTIMATOR_TAU_GRID)
