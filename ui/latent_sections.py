"""Sections of the Latent space page; each takes a model and arrays, draws, returns nothing.

Each section is a fragment: moving one of its sliders reruns that section alone. `tag` names
the model (run id, epoch) and the point shown, so each figure is built once for a whole class
(ui.figures.show_built) and only the sliders' values are new work.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.views import latent
from explorer.plots.images import image_grid, image_row, traversal_figure
from explorer.plots.latent import data_space_figure, manifold_figure
from explorer.plots.training import kl_bars

from ui.figures import show, show_built


AUTOREGRESSIVE_NOTE = ("This run's decoder is autoregressive (MADE): p(x|z) has no closed-form "
                       "mean, so each picture shows the conditional means σ(f_i(x_<i, z)) along "
                       "one sample x ~ p(x|z).")


def _note_if_autoregressive(model):
    if latent.decoder_is_autoregressive(model):
        st.caption(AUTOREGRESSIVE_NOTE)


def _one_point_figure(model, x_one, recon_one, shape, label, n: int):
    _, decoded = latent.posterior_samples(model, x_one, n, seed=0)
    images = np.vstack([x_one[None], recon_one[None], decoded])
    titles = ["input x", "decode(μ(x))"] + [f"z⁽{i + 1}⁾~q" for i in range(n)]
    return image_row(images, shape, titles=titles,
                     title=f"Test point (label {label}): input, reconstruction at the posterior "
                           "mean, and decodings of samples z ~ q(z|x)")


@st.fragment
def one_point(model, x_one: np.ndarray, recon_one: np.ndarray, shape, label, tag: tuple):
    """Input, reconstruction and decoded samples z ~ q(z|x) of the selected point."""
    n = st.slider("Samples from q(z|x)", 1, 16, 8, key="n_post",
                  help="How many codes z ~ q(z|x) = N(μ(x), diag σ²(x)) to decode for this "
                       "image: their spread shows how uncertain the encoder is.")
    show_built(_one_point_figure, model, x_one, recon_one, shape, label, n, key="one_point",
               by=(*tag, n))
    _note_if_autoregressive(model)


def _interpolation_figure(model, x_a, x_b, i_a: int, i_b: int, shape, steps: int):
    _, decoded = latent.interpolate(model, x_a, x_b, steps)
    return image_row(decoded, shape, title=f"Decoded straight line from μ(x_{i_a}) to "
                                           f"μ(x_{i_b}) in latent space")


@st.fragment
def interpolation(model, x_a: np.ndarray, x_b: np.ndarray, i_a: int, i_b: int, shape,
                  tag: tuple):
    steps = st.slider("Interpolation steps", 3, 20, 10, key="interp_steps")
    show_built(_interpolation_figure, model, x_a, x_b, i_a, i_b, shape, steps,
               key="interpolation", by=(*tag, i_a, i_b, steps))


def _prior_figure(model, shape, n: int, seed: int):
    _, decoded = latent.prior_samples(model, n, seed=seed)
    return image_grid(decoded, shape, ncols=min(16, n),
                      title="New data: decoder means of p(x|z) for z ~ p(z) = N(0, I)")


@st.fragment
def prior_samples(model, shape, tag: tuple):
    c1, c2 = st.columns(2)
    n = c1.slider("Number of samples", 4, 64, 32, 4, key="n_prior")
    seed = int(c2.number_input("Sampling seed", 0, 10_000, 0, key="prior_seed"))
    show_built(_prior_figure, model, shape, n, seed, key="prior_grid", by=(*tag, n, seed))
    _note_if_autoregressive(model)


def _traversal_figure(model, z_base, kl_dim, shape, span: float, steps: int):
    dims = np.argsort(-kl_dim)[: min(10, len(kl_dim))]
    values = np.linspace(-span, span, steps)
    decoded = np.stack([latent.traverse(model, z_base, int(j), z_base[j] + values) for j in dims])
    # One line: the title is pinned above the column labels, where a wrapped first line
    # would be cut off by the top of the figure.
    return traversal_figure(decoded, shape, values, dims=dims,
                            title="Traversals: z_j moved by the offset on top, the others at "
                                  "μ(x); rows by KL, most used first")


@st.fragment
def traversal(model, z_base: np.ndarray, kl_dim: np.ndarray, shape, tag: tuple):
    """Vary one z_j around the selected point's μ; for many dimensions, the most active ones."""
    c1, c2 = st.columns(2)
    span = c1.slider("Range ± around μ_j", 0.5, 4.0, 2.5, 0.5, key="trav_span",
                     help="Each row moves one coordinate z_j from μ_j − r to μ_j + r, the "
                          "others stay at the selected point's μ (prior units: p(z) = N(0, I)).")
    steps = c2.slider("Values per dimension", 3, 15, 9, key="trav_steps")
    show_built(_traversal_figure, model, z_base, kl_dim, shape, span, steps, key="traversal",
               by=(*tag, span, steps))


def _manifold_figure(model, shape, n: int):
    z1, z2, decoded = latent.manifold_grid(model, n=n)
    return manifold_figure(decoded, shape, z1, z2)


@st.fragment
def manifold(model, shape, tag: tuple):
    n = st.slider("Grid size", 5, 25, 15, key="grid_n", bind="query-params",
                  help="Decoded images per side of the manifold: the decoder mean at each z of a grid.")
    show_built(_manifold_figure, model, shape, n, key="manifold", chars=55, by=(*tag, n))
    _note_if_autoregressive(model)


def _kl_figure(kl_dim):
    return kl_bars(kl_dim, latent.active_units(kl_dim))


def active_units(kl_dim: np.ndarray, tag: tuple):
    show_built(_kl_figure, kl_dim, key="kl_dims", by=tag)
    st.caption(f"{int(latent.active_units(kl_dim).sum())} of {len(kl_dim)} dimensions carry "
               "more than 0.01 nats: the rest stay at the prior and are unused (posterior collapse).")


@st.fragment
def data_space(model, codes: dict):
    n = st.slider("Prior samples", 50, 2000, 500, 50, key="n_prior_points")
    _, samples = latent.prior_samples(model, n, seed=0)
    show(data_space_figure(codes["x"], codes["y"], codes["recon"], samples),
                    key="data_space")
