"""Cached views of the toy-model pages (ELBO & posterior, Variational learning): thin
st.cache_data / st.cache_resource wrappers of explorer.toys, keyed by plain values."""
from __future__ import annotations

import dataclasses

import numpy as np
import streamlit as st

from explorer.plots.toys import GREEN, elbo_budget_figure
from explorer.toys import learning as tl
from explorer.toys import marginals as mc
from explorer.toys import posterior as tp
from explorer.toys import posterior2d as t2

TH = tp.THETA0
_U, _W = tp.q_nodes(0.0, 1.0)
# What the live views of the toy pages compute with (ui/live/frontend/elbo1d.js, learning.js):
# θ and the Gauss–Hermite nodes and weights of an expectation under N(0, 1).
LIVE_MODEL = {"theta": dataclasses.asdict(TH), "u": _U.tolist(), "w": _W.tolist()}
# Monte Carlo marginals (ui/live/frontend/marginals.js): its model, the sizes n, the seeds of the
# draws (explorer.toys.counter_noise; the browser draws them itself) and the ESS's n.
MC_N_MAX, MC_SEEDS = 10_000, {"naive": 1, "importance": 2, "ess": 0}
MC_LIVE = {**LIVE_MODEL, "theta": dataclasses.asdict(mc.THETA_TAIL),
           "ns": mc.sample_sizes(MC_N_MAX).tolist(), "n_max": MC_N_MAX, "seeds": MC_SEEDS,
           "ess_n": MC_N_MAX, "chars": 80}


@st.cache_data(max_entries=256, show_spinner=False)
def posterior(x: float):
    return tp.posterior_on_grid(x, TH)


def q_curve(z, m: float, v: float, name: str, color: str):
    """q = N(m, v) on the posterior's grid plus ±5σ around m: (name, z, log q, colour)."""
    zq = np.sort(np.concatenate([z, m + np.sqrt(v) * np.linspace(-5, 5, 201)]))
    return name, zq, tp.q_log_density(zq, m, v), color


@st.cache_resource(max_entries=64, show_spinner=False)
def elbo_figure(x: float, m: float, v: float, green: bool):
    """The posterior/q and budget views for q = N(m, v), as the live view opens with them."""
    z, log_post = posterior(x)
    extra = [q_curve(z, *tp.Q_GREEN, "N(−4, 0.75) (lecture's green)", GREEN)] if green else []
    return elbo_budget_figure(z, log_post, x, m, v, tp.bound(x, TH, m, v),
                              tp.plot_range(z, log_post, m, v), extra)


@st.cache_data(max_entries=64, show_spinner=False)
def posterior2d(x2: float, kind: str):
    return t2.posterior_grid2d(x2, kind)


@st.cache_data(max_entries=4, show_spinner="Fitting the best Gaussians for every x…")
def best2d_table(kind: str, lo: float, hi: float, step: float) -> dict:
    """The best diagonal and full-covariance q = N(m, Σ) for every x of the 2-D slider (its k-th
    value lo + k·step), as rows [m₁, m₂, Σ₁₁, Σ₁₂, Σ₂₂] (the browser draws them as x moves)."""
    out = {"lo": lo, "step": step, "diag": [], "full": []}
    for k in range(round((hi - lo) / step) + 1):
        x = float(round(lo + k * step, 10))  # as ui.live snaps the slider's values
        for key, full in (("diag", False), ("full", True)):
            m, c = t2.best_gaussian2d(x, kind, full=full)
            out[key].append([float(m[0]), float(m[1]), float(c[0, 0]), float(c[0, 1]), float(c[1, 1])])
    return out


@st.cache_data(max_entries=128, show_spinner=False)
def evidence_curve(x: float):
    return tl.log_evidence_curve(x)


@st.cache_data(max_entries=512, show_spinner=False)
def elbo_curve(x: float, m: float, v: float):
    return tl.elbo_curve(x, m, v, a_grid=tl.A_GRID)


@st.cache_data(max_entries=64, show_spinner="Coordinate ascent…")
def em_trace(x: float, a0: float, steps: int, exact: bool):
    return tl.em_trace(x, a0, steps, exact)
