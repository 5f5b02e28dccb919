"""Sections of the Latent space page; each takes a model and arrays, draws, returns nothing.

Each section is a fragment: moving one of its sliders reruns that section alone. `tag` names
the model (run id, epoch) and the point shown, so each figure is built once for a whole class
(ui.figures.show_built) and only the sliders' values are new work.
"""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.views import latent
from explorer.plots.images import (image_grid, image_grid_picture, image_row, image_row_picture,
                                   traversal_figure, traversal_picture)
from explorer.plots.latent import data_space_figure, manifold_figure, manifold_picture
from explorer.plots.training import kl_bars

from ui import live
from ui.figures import show, show_built
from ui.live import frames


AUTOREGRESSIVE_NOTE = ("This run's decoder is autoregressive (MADE): p(x|z) has no closed-form "
                       "mean, so each picture shows the conditional means σ(f_i(x_<i, z)) along "
                       "one sample x ~ p(x|z).")


def deterministic(model) -> bool:
    """Whether decoding draws no random numbers (an autoregressive decoder samples its chain)."""
    return not latent.decoder_is_autoregressive(model)


def _note_if_autoregressive(model):
    if latent.decoder_is_autoregressive(model):
        st.caption(AUTOREGRESSIVE_NOTE)


MAX_POSTERIOR_SAMPLES = 16  # the slider shows the first n of these draws: a move adds samples
MAX_PRIOR_SAMPLES = 64


def _one_point_images(model, x_one, recon_one, n: int, decoded=None):
    if decoded is None:
        _, decoded = latent.posterior_samples(model, x_one, MAX_POSTERIOR_SAMPLES, seed=0)
    titles = ["input x", "decode(μ(x))"] + [f"z⁽{i + 1}⁾~q" for i in range(n)]
    return np.vstack([x_one[None], recon_one[None], decoded[:n]]), titles


def _one_point_figure(model, x_one, recon_one, shape, label, n: int):
    images, titles = _one_point_images(model, x_one, recon_one, n)
    return image_row(images, shape, titles=titles,
                     title=f"Test point (label {label}): input, reconstruction at the posterior "
                           "mean, and decodings of samples z ~ q(z|x)")


def _one_point_pictures(model, x_one, recon_one, shape, label, options):
    _, decoded = latent.posterior_samples(model, x_one, MAX_POSTERIOR_SAMPLES, seed=0)
    out = []
    for n in options:
        images, titles = _one_point_images(model, x_one, recon_one, n, decoded)
        out.append(image_row_picture(images, shape, titles=titles))
    return out


POSTERIOR_SAMPLES = live.control(
    "n", "Samples from q(z|x)", url="n_post", options=tuple(range(1, 17)),
    help="How many codes z ~ q(z|x) = N(μ(x), diag σ²(x)) to decode for this image: their "
         "spread shows how uncertain the encoder is.")


@st.fragment
def one_point(model, x_one: np.ndarray, recon_one: np.ndarray, shape, label, tag: tuple):
    """Input, reconstruction and decoded samples z ~ q(z|x) of the selected point; the number
    of samples moves in the browser (frames, as the manifold's grid size)."""
    if frames.available():
        frames.frame_slider(_one_point_figure, _one_point_pictures, model, x_one, recon_one,
                            shape, label, key="one_point", control=POSTERIOR_SAMPLES, default=8,
                            by=tag, chars=100, background=False)  # seeded draws
    else:
        n = st.slider("Samples from q(z|x)", 1, 16, 8, key="n_post", bind="query-params",
                      help=POSTERIOR_SAMPLES["help"])
        show_built(_one_point_figure, model, x_one, recon_one, shape, label, n,
                   key="one_point", by=(*tag, n))
    _note_if_autoregressive(model)


def _interpolation_figure(model, x_a, x_b, i_a: int, i_b: int, shape, steps: int):
    _, decoded = latent.interpolate(model, x_a, x_b, steps)
    return image_row(decoded, shape, title=f"Decoded straight line from μ(x_{i_a}) to "
                                           f"μ(x_{i_b}) in latent space")


def _interpolation_pictures(model, x_a, x_b, i_a: int, i_b: int, shape, options):
    return [image_row_picture(latent.interpolate(model, x_a, x_b, steps)[1], shape)
            for steps in options]


STEPS = live.control("steps", "Interpolation steps", url="interp_steps",
                     options=tuple(range(3, 21)),
                     help="Decoded points on the straight line from μ(x_a) to μ(x_b), both ends "
                          "included.")


@st.fragment
def interpolation(model, x_a: np.ndarray, x_b: np.ndarray, i_a: int, i_b: int, shape,
                  tag: tuple):
    if frames.available():
        frames.frame_slider(_interpolation_figure, _interpolation_pictures, model, x_a, x_b,
                            i_a, i_b, shape, key="interpolation", control=STEPS, default=10,
                            by=(*tag, i_a, i_b), background=deterministic(model))
    else:
        steps = st.slider("Interpolation steps", 3, 20, 10, key="interp_steps",
                          bind="query-params")
        show_built(_interpolation_figure, model, x_a, x_b, i_a, i_b, shape, steps,
                   key="interpolation", by=(*tag, i_a, i_b, steps))


def _prior_figure(model, shape, seed: int, n: int):
    _, decoded = latent.prior_samples(model, MAX_PRIOR_SAMPLES, seed=seed)
    return image_grid(decoded[:n], shape, ncols=min(16, n),
                      title="New data: decoder means of p(x|z) for z ~ p(z) = N(0, I)")


def _prior_pictures(model, shape, seed: int, options):
    _, decoded = latent.prior_samples(model, MAX_PRIOR_SAMPLES, seed=seed)
    return [image_grid_picture(decoded[:n], shape, ncols=min(16, n)) for n in options]


PRIOR_SAMPLES = live.control("n", "Number of samples", url="n_prior",
                             options=tuple(range(4, 65, 4)),
                             help="Codes z ~ p(z) = N(0, I) decoded into new data.")


@st.fragment
def prior_samples(model, shape, tag: tuple):
    if frames.available():  # the number of samples moves in the browser, for each seed
        seed = int(st.columns([1, 2])[0].number_input("Sampling seed", 0, 10_000, 0,
                                                      key="prior_seed", bind="query-params"))
        frames.frame_slider(_prior_figure, _prior_pictures, model, shape, seed,
                            key="prior_grid", control=PRIOR_SAMPLES, default=32,
                            by=(*tag, seed), background=False)  # seeded draws
    else:
        c1, c2 = st.columns(2)
        n = c1.slider("Number of samples", 4, 64, 32, 4, key="n_prior", bind="query-params")
        seed = int(c2.number_input("Sampling seed", 0, 10_000, 0, key="prior_seed",
                                   bind="query-params"))
        show_built(_prior_figure, model, shape, seed, n, key="prior_grid", by=(*tag, n, seed))
    _note_if_autoregressive(model)


def _traversal_decoded(model, z_base, kl_dim, span: float, steps: int):
    dims = np.argsort(-kl_dim)[: min(10, len(kl_dim))]
    values = np.linspace(-span, span, steps)
    decoded = np.stack([latent.traverse(model, z_base, int(j), z_base[j] + values) for j in dims])
    return decoded, values, dims


def _traversal_figure(model, z_base, kl_dim, shape, steps: int, span: float):
    decoded, values, dims = _traversal_decoded(model, z_base, kl_dim, span, steps)
    # One line: the title is pinned above the column labels, where a wrapped first line
    # would be cut off by the top of the figure.
    return traversal_figure(decoded, shape, values, dims=dims,
                            title="Traversals: z_j moved by the offset on top, the others at "
                                  "μ(x); rows by KL, most used first")


def _traversal_pictures(model, z_base, kl_dim, shape, steps: int, options):
    out = []
    for span in options:
        decoded, values, dims = _traversal_decoded(model, z_base, kl_dim, span, steps)
        tiled, axes = traversal_picture(decoded, shape, values, dims)
        out.append((tiled, {"xaxis.ticktext": axes["xaxis"]["ticktext"]}))
    return out


SPAN_HELP = ("Each row moves one coordinate z_j from μ_j − r to μ_j + r, the others stay at the "
             "selected point's μ (prior units: p(z) = N(0, I)).")
SPAN = live.control("span", "Range ± around μ_j", url="trav_span",
                    options=tuple(k / 2 for k in range(1, 9)), help=SPAN_HELP)


@st.fragment
def traversal(model, z_base: np.ndarray, kl_dim: np.ndarray, shape, tag: tuple):
    """Vary one z_j around the selected point's μ; for many dimensions, the most active ones.
    The range moves in the browser (frames, one set per number of values)."""
    if frames.available():
        steps = st.columns(2)[1].slider("Values per dimension", 3, 15, 9, key="trav_steps",
                                        bind="query-params")
        frames.frame_slider(_traversal_figure, _traversal_pictures, model, z_base, kl_dim,
                            shape, steps, key="traversal", control=SPAN, default=2.5,
                            by=(*tag, steps), background=deterministic(model))
        return
    c1, c2 = st.columns(2)
    span = c1.slider("Range ± around μ_j", 0.5, 4.0, 2.5, 0.5, key="trav_span",
                     bind="query-params", help=SPAN_HELP)
    steps = c2.slider("Values per dimension", 3, 15, 9, key="trav_steps", bind="query-params")
    show_built(_traversal_figure, model, z_base, kl_dim, shape, steps, span, key="traversal",
               by=(*tag, span, steps))


def _manifold_figure(model, shape, n: int):
    z1, z2, decoded = latent.manifold_grid(model, n=n)
    return manifold_figure(decoded, shape, z1, z2)


def _manifold_pictures(model, shape, options):
    out = []
    for n in options:
        z1, z2, decoded = latent.manifold_grid(model, n=n)
        tiled, axes = manifold_picture(decoded, shape, z1, z2)
        out.append((tiled, {f"{axis}.{field}": axes[axis][field] for axis in axes
                            for field in ("tickvals", "ticktext")}))
    return out


GRID_HELP = "Decoded images per side of the manifold: the decoder mean at each z of a grid."
# Every size is drawn once per run and epoch (decoding Σn² images): seven, not the 21 of 5…25
# (0.4 s of decoding instead of 1.3).
GRID_SIZES = (5, 7, 10, 12, 15, 20, 25)
GRID = live.control("n", "Grid size", url="grid_n", options=GRID_SIZES, help=GRID_HELP)


@st.fragment
def manifold(model, shape, tag: tuple):
    """The decoded manifold; its grid size moves in the browser through frames drawn once per
    run and epoch for the whole class (ui/live/frames.py), or reruns this fragment where the
    app's static folder cannot serve them."""
    if frames.available():
        frames.frame_slider(_manifold_figure, _manifold_pictures, model, shape, key="manifold",
                            control=GRID, default=15, by=tag, chars=55,
                            background=deterministic(model))
    else:
        n = st.slider("Grid size", 5, 25, 15, key="grid_n", bind="query-params", help=GRID_HELP)
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
