"""Cached Monte Carlo views of the Gumbel-max & softmax and Smoothing transformations pages:
thin st.cache_data wrappers of explorer.discrete.sampling_stats, keyed by plain values."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.discrete import SAMPLING_TAU_GRID
from explorer.discrete import sampling_stats as ds
from explorer.plots.gumbel import relaxation_figure as _relaxation_figure
from explorer.plots.frames import wrap_title
from explorer.plots.smoothing import figure1 as _figure1
from explorer.plots.smoothing import smoothing_frames_figure as _smoothing_figure

SEED = 0          # the same noise on every rerun, so sliders move samples smoothly
N_SAMPLES = 20000  # smoothing samples per histogram


@st.cache_data(max_entries=64, show_spinner=False)
def gumbel_max(logits: tuple, n: int):
    return ds.gumbel_max_frequencies(logits, n, SEED)


@st.cache_data(max_entries=64, show_spinner="Sampling at every τ…")
def relaxation(logits: tuple, n: int, points: int) -> dict:
    """The Gumbel-softmax views at every τ of the grid from one draw of the noise, keeping the
    first `points` samples of each τ for the simplex."""
    return ds.relaxed_sweep(logits, SAMPLING_TAU_GRID, n, SEED, keep=points)


@st.cache_data(max_entries=8, show_spinner=False)
def fig1_curves(a: float):
    return ds.figure1_curves(a=a)


@st.cache_resource(max_entries=8, show_spinner=False)
def figure1(a: float, title: str):
    """The text's Figure 1 (36 curves in 9 panels): built once per base a and title."""
    return wrap_title(_figure1(fig1_curves(a), ds.FIG1_BETAS, title=title), 100)


@st.cache_data(max_entries=256, show_spinner=False)
def smoothing_views(name: str, beta: float, p: float, a: float):
    return ds.smoothing_views(name, beta, p, N_SAMPLES, SEED, a)


@st.cache_data(max_entries=64, show_spinner=False)
def l1_curves(p: float, a: float):
    return ds.l1_family(p, a)


@st.cache_data(max_entries=128, show_spinner=False)
def overlapping(beta: float, p: float):
    return ds.overlapping_views(beta, p, N_SAMPLES, SEED)


@st.cache_data(max_entries=64, show_spinner=False)
def relaxation_notes(logits: tuple, n: int, labels: tuple,
                     points: int) -> tuple[list[str], list[list[str]]]:
    """The notes that hold at every τ (extreme logits), and those of each τ of the grid."""
    probs, sweep = ds.softmax(logits), relaxation(logits, n, points)
    always = ds.relaxation_notes(probs, 1.0, n, 0.0, 0.0, 0.0, labels)  # τ = 1: no τ note
    per_tau = [[t for t in ds.relaxation_notes(probs, tau, n, sweep["one_hot"][i],
                                               sweep["jac_median"][i], sweep["jac_max"][i], labels)
                if t not in always] for i, tau in enumerate(SAMPLING_TAU_GRID)]
    return always, per_tau


# A figure with frames is costly to build and to unpickle: cache_resource shares the object
# (never mutated: its titles are wrapped already), keyed like the views it shows.
@st.cache_resource(max_entries=32, show_spinner="Sampling at every τ…")
def relaxation_figure(logits: tuple, n: int, active: int, labels: tuple, points: int):
    """The Gumbel-softmax samples at every τ of the grid, one frame each, opening at `active`."""
    sweep = relaxation(logits, n, points)
    return _relaxation_figure(list(sweep["ys"]), sweep["mean"], ds.softmax(logits),
                              SAMPLING_TAU_GRID, relaxation_notes(logits, n, labels, points)[1],
                              labels, active)


@st.cache_data(max_entries=64, show_spinner=False)
def smoothing_notes(name: str, p: float, a: float) -> tuple[list[str], list[list[str]]]:
    """The notes of every β (an extreme p), and those of each β of the grid (ζ numerically the
    step; a y-axis cut where the density is infinite)."""
    spiky = name != "symmetric_power"
    always = ds.smoothing_notes(1.0, p, 0.0, 0.0, spiky, N_SAMPLES)  # β = 1: no β note
    l1 = l1_curves(p, a)[name]
    where = {"spike_power": "ζ = 1", "symmetric_power": "ζ = 0 and ζ = 1"}.get(name)
    per_beta = []
    for i, beta in enumerate(ds.BETA_GRID):
        v = smoothing_views(name, beta, p, a)
        notes = [n for n in ds.smoothing_notes(beta, p, float(l1[i]), float(np.abs(v[2]).max()),
                                               spiky, N_SAMPLES) if n not in always]
        if where and beta > 1:
            notes.append(f"For β > 1 the density is infinite at {where} (integrably): the y-axis "
                         f"is cut at {_ymax(name, beta, v):.3g}.")
        per_beta.append(notes)
    return always, per_beta


def _ymax(name: str, beta: float, views) -> float:
    """The density axis: above the histogram, and above the curve unless it is infinite."""
    singular = name != "spike_exponential" and beta > 1
    return 1.3 * max(views[4].max(), 0 if singular else views[7].max(), 1e-3)


@st.cache_resource(max_entries=32, show_spinner="Smoothing at every β…")
def smoothing_figure(name: str, p: float, a: float, active: int, label: str):
    """The single-transformation views at every β of the grid, one frame each, opening at
    BETA_GRID[active]."""
    keys = ("eps", "zeta", "grad", "edges", "hist", "spike", "grid", "dens", "mass")
    views = []
    for beta in ds.BETA_GRID:
        v = smoothing_views(name, beta, p, a)
        views.append({**dict(zip(keys, v)), "ymax": _ymax(name, beta, v)})
    return _smoothing_figure(label, p, ds.BETA_GRID, views, l1_curves(p, a), name,
                             smoothing_notes(name, p, a)[1], active)
