"""A mixture of infinitely many Gaussians: Σ_k p(z=k) N(x; μ_k, Σ_k), then ∫ N(x; μ_θ(z), Σ_θ(z)) p(z) dz."""
import numpy as np
import streamlit as st

from explorer.plots import mixtures as plots
from ui import mixture_data as md
from ui.figures import show
from ui.spec_form import dataset_options
from ui.training_view import ACTIVE, live_run_view

st.title("A mixture of infinitely many Gaussians")
st.markdown("Figure 1 of the second text: one Gaussian is a bad fit to three clusters, but with a "
            "latent z naming the cluster each conditional p(x|z) *is* a simple Gaussian, and the "
            "marginal p(x) adds them up. A VAE takes z continuous: infinitely many Gaussians whose "
            "means and covariances are neural networks of z (first lecture, opening slide).")
datasets = md.point_datasets(dataset_options())
dataset = st.selectbox("2-D data set", datasets, key="mix_dataset", bind="query-params")
train, (a1, a2) = md.points(dataset), md.grid_axes(dataset)


def slice_row(key: str) -> int:
    """A slider for the horizontal slice x₂ = const; returns its grid row."""
    v = st.slider("Slice at x₂", float(a2[0]), float(a2[-1]), float(np.round(np.median(train[:, 1]), 2)),
                  0.05, key=key, bind="query-params",
                  help="The horizontal line x₂ = const along which p(x) and its components "
                       "are drawn as curves of x₁.")
    return int(np.argmin(np.abs(a2 - v)))


st.header("1 · Discrete z: a mixture of K Gaussians")
st.latex(r"p(x) = \sum_{k=1}^{K} p(z=k)\, \mathcal{N}(x;\, \mu_k, \Sigma_k)")
k = st.slider("Components K (K = 1: a single Gaussian)", 1, md.MAX_K, 3, key="mix_k",
              bind="query-params",
              help="The number of values of the discrete z, each a Gaussian N(μ_k, Σ_k) with "
                   "weight p(z = k), fitted by EM.")
disc, curve = md.discrete_picture(dataset, k), md.loglik_curve(dataset)
left, right = st.columns([3, 2])
with left:
    show(plots.mixture_figure((a1, a2), disc["log_p"], train, disc["weights"], disc["means"], disc["covs"],
                              f"log p(x) of the {k}-component mixture fitted by EM, its components' "
                              "1σ/2σ ellipses, and the training data"), key="mix_gmm", chars=60)
with right:
    test_k, test_1 = curve["test"][k - 1], curve["test"][0]
    c1, c2 = st.columns(2)
    c1.metric(f"test log p(x), K = {k}", f"{test_k:.3f}")
    c2.metric("single Gaussian (K = 1)", f"{test_1:.3f}", f"{test_k - test_1:+.3f}")
    show(plots.loglik_by_k(curve["ks"], curve["train"], curve["test"],
                           "Average log-likelihood (1/N) Σ log p(x_n) against K"), key="mix_ll_k", chars=50)
    st.caption("Nats per point on 2,000 training and 1,000 test points (EM finds a local "
               "maximum). The test curve flattens once K matches the data's clusters.")


@st.fragment
def discrete_slice():
    row = slice_row("mix_x2_k")
    parts = md.discrete_slice(dataset, k, row)
    show(plots.stacked_slice(a1, parts, disc["log_p"][row], [f"p(z={i + 1}) N(x; μ_{i + 1}, Σ_{i + 1})"
                                                            for i in range(k)],
                             "The weighted components along one slice, stacked: they add up to p(x)",
                             float(a2[row])), key="mix_gmm_slice", chars=70)


discrete_slice()

st.header("2 · Continuous z: a VAE's infinitely many Gaussians")
st.latex(r"p(x) = \int \mathcal{N}\big(x;\, \mu_\theta(z), \Sigma_\theta(z)\big)\, p(z)\, dz"
         r"\;\approx\; \sum_j \underbrace{p(z_j)\, h^d}_{w_j}\; \mathcal{N}\big(x;\, \mu_\theta(z_j), "
         r"\Sigma_\theta(z_j)\big)")
st.caption("The integral by the trapezoid rule on a grid of z with spacing h: itself a mixture "
           "of finitely many Gaussians, with weights w_j. Computed in log space (logsumexp).")
rec = md.mixture_run(dataset)
if rec is None:
    st.stop()
if rec.status in ACTIVE:
    live_run_view(rec.run_id, active=True)
if rec.checkpoint_epoch is None:
    st.info("Waiting for the run's first checkpoint…")
    st.stop()
try:
    summary = md.vae_summary(rec.run_id, rec.checkpoint_epoch, dataset)
except ValueError as exc:
    st.error(f"This run cannot be shown as a mixture: {exc}")
    st.stop()
c = st.columns(4)
c[0].metric("test log p(x), VAE (quadrature)", f"{summary['test']:.3f}")
c[1].metric("test ELBO (its lower bound)", f"{rec.test_elbo:.3f}" if rec.test_elbo is not None else "–")
c[2].metric(f"test log p(x), mixture K = {k}", f"{curve['test'][k - 1]:.3f}")
c[3].metric("∫ p(x) dx over the box shown", f"{summary['mass']:.4f}")
st.caption(f"{summary['n_nodes']:,} nodes z_j, spacing h = {summary['spacing']:.3f}. Halving the "
           f"nodes (spacing 2h) changes log p(x) by at most {summary['check']:.1e} nats where the "
           "heat map has colour; the h-rule's own error is about a third of that or less.")


@st.fragment
def components():
    d, epoch = rec.spec.latent_dim, rec.checkpoint_epoch
    cols = st.columns(d + 1)
    z = tuple(cols[i].slider(f"z{'₁₂'[i] if d == 2 else ''}", -3.0, 3.0, 0.0, 0.05,
                             key=f"mix_z{i + 1}", bind="query-params") for i in range(d))
    r = cols[d].slider("Keep components with |z_j − z| ≤ r (each coordinate)", 0.0, 6.0, 0.5, 0.05,
                       key="mix_r", bind="query-params")
    mean, std = md.decoder_at(rec.run_id, epoch, z)
    part = md.vae_partial(rec.run_id, epoch, dataset, tuple(v - r for v in z), tuple(v + r for v in z))
    floor = float(summary["log_p"].max()) - plots.FLOOR_NATS
    left, right = st.columns(2)
    with left:
        fig = plots.log_density_map((a1, a2), summary["log_p"], train, "The marginal log p(x) of the "
                                    "VAE, its decoder means μ_θ(z), and p(x|z) for the chosen z (1σ, 2σ)",
                                    floor=floor)
        plots.add_curves(fig, summary["curves"])
        show(plots.add_ellipses(fig, [mean], [np.diag(std ** 2)], "p(x|z) for the chosen z",
                                color="crimson", width=3), key="mix_marginal", chars=55)
    with right:
        show(plots.log_density_map((a1, a2), part["log_p"], train, f"The part of p(x) the {part['count']:,} "
                                   f"kept components make: they carry {part['mass']:.1%} of p(z)",
                                   label="log partial", floor=floor), key="mix_partial", chars=55)
    left, right = st.columns([2, 1]) if d == 1 else st.columns([1, 1])
    with left:
        if d == 1:
            zs, log_prior = summary["strip"]
            show(plots.latent_strip(zs[::10], log_prior[::10], z[0], (z[0] - r, z[0] + r),
                                    "p(z): the chosen z and the kept interval"), key="mix_strip")
        else:
            show(plots.latent_plane(part["z_kept"], z, "p(z): the chosen z and the kept nodes"), key="mix_plane")
    right.caption(f"μ_θ(z) = ({mean[0]:.2f}, {mean[1]:.2f}), σ_θ(z) = ({std[0]:.2f}, {std[1]:.2f}). "
                  "Widen r until the right map matches the left one: the components add up to "
                  "the marginal. Move z and the red ellipse slides along the decoder's curve.")


components()


@st.fragment
def continuous_slice():
    row = slice_row("mix_x2_z")
    parts = md.vae_slice(rec.run_id, rec.checkpoint_epoch, dataset, row)
    names = [f"z₁ slab {i + 1} (prior mass 1/{md.SLICE_BINS})" for i in range(len(parts))]
    show(plots.stacked_slice(a1, parts, summary["log_p"][row], names, "The VAE's components grouped "
                             "into slabs of z₁ with equal prior mass, along one slice: they add up to "
                             "p(x)", float(a2[row])), key="mix_vae_slice", chars=70)


continuous_slice()
