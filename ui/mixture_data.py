"""Cached computations and the run chooser of the infinite-mixture page (keys are plain values;
the work is explorer.toys.mixtures, which returns numpy). The VAE's grid of components is
computed once per checkpoint; a slider move only recomputes a partial sum or one decoder output."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer import data
from explorer.toys import mixtures as mx
from trainer import RunRecord, RunSpec

from ui import jobs
from ui.latent_data import model_for
from ui.preparation import trainer_command
from ui.state import get_store, run_label
from ui.url_notice import ignored

GRID_POINTS = 101  # per axis of the x grid the heat maps show
SLICE_BINS = 8  # groups of VAE components (equal prior mass) in the stacked slice
MAX_K = 10


def point_datasets(options: list[str]) -> list[str]:
    """The data sets among `options` that hold 2-D points."""
    out = []
    for name in options:
        try:
            info = data.info(name)
        except data.DatasetError:
            continue
        if info.kind == "points" and info.dim == 2:
            out.append(name)
    return out


@st.cache_data(max_entries=16, show_spinner=False)
def points(dataset: str, split: str = "train") -> np.ndarray:
    return mx.dataset_points(dataset, split)


@st.cache_data(max_entries=16, show_spinner=False)
def grid_axes(dataset: str) -> tuple[np.ndarray, np.ndarray]:
    return mx.data_grid(points(dataset), GRID_POINTS)[0]


def _grid_points(dataset: str) -> np.ndarray:
    return mx.data_grid(points(dataset), GRID_POINTS)[1]


@st.cache_resource(max_entries=64, show_spinner="Fitting the mixture by EM…")
def _fit(dataset: str, k: int):
    """Read-only, shared by the sessions: the fitted GaussianMixture."""
    return mx.fit_mixture(points(dataset), k)


@st.cache_data(max_entries=64, show_spinner=False)
def discrete_picture(dataset: str, k: int) -> dict:
    """A K-component mixture: its parameters and log p(x) on the grid."""
    gmm = _fit(dataset, k)
    return dict(weights=gmm.weights_, means=gmm.means_, covs=gmm.covariances_,
                log_p=mx.mixture_log_density(gmm, _grid_points(dataset)).reshape(GRID_POINTS, -1))


@st.cache_data(max_entries=64, show_spinner=False)
def discrete_slice(dataset: str, k: int, row: int) -> np.ndarray:
    """log p(z=k) N(x; μ_k, Σ_k) along the grid row x2 = a2[row], shape (K, n1)."""
    a1, a2 = grid_axes(dataset)
    return mx.mixture_components(_fit(dataset, k), np.stack([a1, np.full_like(a1, a2[row])], 1))


@st.cache_data(max_entries=16, show_spinner="Fitting mixtures with K = 1 … 10…")
def loglik_curve(dataset: str) -> dict:
    """Mean train and test log-likelihood of the mixtures with K = 1 … MAX_K."""
    ks = list(range(1, MAX_K + 1))
    return dict(ks=ks, **{split: [mx.mean_log_likelihood(_fit(dataset, k), points(dataset, split))
                                  for k in ks] for split in ("train", "test")})


@st.cache_resource(max_entries=4, show_spinner="Decoding every quadrature node z_j…")
def vae_grid(run_id: str, epoch: int, dataset: str) -> mx.MixtureGrid:
    """Read-only, shared by the sessions: the nodes and their per-axis log-likelihoods."""
    return mx.mixture_grid(model_for(run_id, epoch), grid_axes(dataset))


@st.cache_data(max_entries=16, show_spinner="Integrating p(x) = ∫ p(x|z) p(z) dz…")
def vae_summary(run_id: str, epoch: int, dataset: str) -> dict:
    """The marginal on the grid, its mass in the box, the 2h-rule check and the test log-lik."""
    model, grid = model_for(run_id, epoch), vae_grid(run_id, epoch, dataset)
    log_p, d = mx.grid_log_density(grid), grid.nodes.z.shape[1]
    shown = log_p > log_p.max() - 12  # where the heat map has colour
    return dict(log_p=log_p, mass=mx.box_mass(grid.axes, log_p),
                check=float(np.abs(log_p - mx.grid_log_density(grid, coarse=True))[shown].max()),
                test=float(mx.marginal_log_density(model, points(dataset, "test"), grid.nodes).mean()),
                curves=mx.decoded_curve(model), n_nodes=len(grid.nodes.z), spacing=grid.nodes.spacing,
                # d = 1: p(z) at the nodes for the latent strip
                strip=(grid.nodes.z[:, 0], grid.nodes.log_weight - np.log(grid.nodes.spacing))
                if d == 1 else None)


@st.cache_data(max_entries=64, show_spinner=False)
def vae_partial(run_id: str, epoch: int, dataset: str, lo: tuple, hi: tuple) -> dict:
    """The components with lo ≤ z_j ≤ hi: their sum on the grid and their prior mass."""
    grid = vae_grid(run_id, epoch, dataset)
    keep = mx.nodes_in_box(grid.nodes, lo, hi)
    return dict(log_p=mx.grid_log_density(grid, keep), mass=mx.prior_mass(grid.nodes, keep),
                z_kept=grid.nodes.z[keep], count=int(keep.sum()))


@st.cache_data(max_entries=64, show_spinner=False)
def vae_slice(run_id: str, epoch: int, dataset: str, row: int) -> np.ndarray:
    grid = vae_grid(run_id, epoch, dataset)
    return mx.slice_log_densities(grid, row, mx.prior_bins(grid.nodes, SLICE_BINS))


def decoder_at(run_id: str, epoch: int, z: tuple) -> tuple[np.ndarray, np.ndarray]:
    """μ_θ(z) and the standard deviations of p(x|z) for one z (cheap: one decoder call)."""
    mean, std = mx.decoder_gaussian(model_for(run_id, epoch), [z])
    return mean[0], std[0]


def _train_one(dataset: str):
    """A small spec for this data set, submitted through the executor; the picker then shows it."""
    c1, c2, c3 = st.columns(3)
    d = c1.radio("Latent dimension d", [1, 2], horizontal=True, key="mix_new_d",
                 help="The length of the continuous z ~ N(0, I) the decoder maps to a "
                      "Gaussian over x; d ≤ 2 so the page can draw every component.")
    lik = c2.radio("p(x|z)", ["gaussian_fixed", "gaussian_learned"], key="mix_new_lik",
                   help="fixed: N(μ_θ(z), 0.2² I); learned: N(μ_θ(z), diag σ_θ²(z)) — on the "
                        "pinwheel it often collapses to one Gaussian (the decoder ignores z).")
    epochs = c3.number_input("Epochs", 5, 500, 100, key="mix_new_epochs")
    if st.button("Train one", key="mix_train"):
        spec = RunSpec(dataset=dataset, latent_dim=int(d), hidden=(64, 64), likelihood=lik,
                       obs_std=0.2, epochs=int(epochs), bounds_every=0)
        rec = jobs.submit(spec)
        if rec is not None:
            st.session_state["mix_run"] = rec.run_id
            st.rerun()


def mixture_run(dataset: str) -> RunRecord | None:
    """A Gaussian-latent run on `dataset` with d ≤ 2 (newest first, ?mix_run=… in the URL), or
    None with a hint; the "Train one" form above the picker adds one."""
    runs = [r for r in get_store().list() if r.spec.dataset == dataset and r.spec.latent_dim <= 2
            and "latent_space" in r.spec.family.views]
    with st.expander("Train one", expanded=not runs):
        _train_one(dataset)
    if not runs:
        st.info(f"No Gaussian VAE with d ≤ 2 on {dataset} yet: train one above (about 20 s), or "
                "`" + trainer_command(f"train --dataset {dataset} --latent-dim 1 --hidden 64,64 "
                                      "--likelihood gaussian_fixed --obs-std 0.2 --epochs 100")
                + "`.")
        return None
    by_id = {r.run_id: r for r in runs}
    wanted = st.session_state.get("mix_run") or st.query_params.get("mix_run")
    if wanted is not None and wanted not in by_id and "mix_run" not in st.session_state:
        ignored("mix_run", wanted, f"not a Gaussian VAE with d ≤ 2 on {dataset} in this store; "
                                   f"showing {run_label(runs[0])}.")
    st.session_state["mix_run"] = wanted if wanted in by_id else runs[0].run_id
    run_id = st.selectbox("Trained VAE (d ≤ 2)", list(by_id), key="mix_run",
                          format_func=lambda i: run_label(by_id[i]))
    st.query_params["mix_run"] = run_id  # kept by hand, as ui.run_picker does: the list changes
    return by_id[run_id]
