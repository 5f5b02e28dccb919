"""One example page: the doubly stochastic computation (second text, eq. 26, Figure 1) for one
test point, its two loss terms and the gradient paths through z = μ + σ ⊙ ε."""
import streamlit as st

from explorer import data
from explorer.plots.one_example import computation_graph, latent_point_map, loss_terms_figure
from explorer.views.latent import dimension_label
from ui import one_example_data as oe
from ui.figures import show
from ui.latent_data import model_for, projection, test_codes
from ui.point_picker import point_input
from explorer.models.gaussian import has_mean_decoder
from ui.run_picker import checkpointed_run

MAP_POINTS = 600  # test means drawn behind z on the d = 2 latent map

st.title("Follow one example through the model")
st.markdown("One test image x goes through the encoder to q(z|x) = N(μ, diag σ²); a drawn "
            "ε ~ N(0, I) makes the code z = μ + σ ⊙ ε; the decoder turns z into p(x|z). The "
            "one-sample ELBO scores it, and its gradient (red) reaches μ and σ **through z** — "
            "ε is a sampled input, it gets no gradient and blocks none (the reparameterisation "
            "trick, eq. 25–26).")
rec = checkpointed_run(view="latent_space", where=has_mean_decoder)
spec, epoch = rec.spec, rec.checkpoint_epoch
model_for(rec.run_id, epoch)  # a damaged checkpoint stops here with the reason
info = data.info(spec.dataset)
codes = test_codes(rec.run_id, epoch, spec.dataset)
n, d = codes["mu"].shape
oe.check_link(st.query_params, n, d)
note = oe.path_note(rec.run_id, epoch)
if note:
    st.info(note)

c1, c2, c3 = st.columns(3)
i = point_input(n, c1)
j = oe.dimension_input(d, c2)
seed = oe.eps_controls(c3)


@st.fragment
def one_example(i: int, j: int, seed: int):
    base = oe.forward(rec.run_id, epoch, spec.dataset, i, seed)
    s1, s2, s3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    mu_over, sigma_over = oe.override_sliders((rec.run_id, epoch, i, j), j, base["mu"][j],
                                              base["sigma"][j], (s1, s2, s3))
    out = oe.forward(rec.run_id, epoch, spec.dataset, i, seed, tuple(mu_over.items()),
                     tuple(sigma_over.items()))
    zj = dimension_label(j)
    m = st.columns(6)
    m[0].metric("log p(x|z)", f"{out['reconstruction']:.2f}",
                help="Reconstruction term for this one z: log p_θ(x|z), x scored under the decoder.")
    m[1].metric("KL (eq. 22)", f"{out['kl']:.3f}", help="Σ_j KL_j, closed form, no sampling.")
    m[2].metric("ELBO", f"{out['elbo']:.2f}", help="One-sample ELBO L = log p(x|z) − KL.")
    m[3].metric(f"z_{j + 1}", f"{out['z'][j]:.3f}", help=f"{zj} = μ_j + σ_j ε_j")
    m[4].metric(f"∂L/∂μ_{j + 1}", f"{out['grad_mu'][j]:.3g}",
                help="∂log p/∂z_j · 1 − μ_j (autograd of the one-sample ELBO, ε fixed).")
    m[5].metric(f"∂L/∂σ_{j + 1}", f"{out['grad_sigma'][j]:.3g}",
                help="∂log p/∂z_j · ε_j − (σ_j − 1/σ_j) (autograd, ε fixed).")
    if mu_over or sigma_over:
        st.caption(f"Overridden: the encoder gave μ_{j + 1} = {out['mu_encoder'][j]:.3f}, "
                   f"σ_{j + 1} = {out['sigma_encoder'][j]:.3f}.")
    show(computation_graph(out, codes["x"][i], info.image_shape, j), key="one_example_graph")
    st.caption("Grey: the forward computation. Red: the gradient of L = log p(x|z) − KL, "
               "arrow width ∝ its size in dimension j; the red arrow to σ passes ε by. Bars: one "
               "per latent dimension, all on one scale, orange = the selected dimension j. "
               "Hover over a bar or a red arrow for its value.")
    left, right = st.columns(2) if d == 2 else (st.container(), None)
    with left:
        show(loss_terms_figure(out, j), key="one_example_loss", chars=70)
    if right is not None:
        with right:
            coords, idx = projection(rec.run_id, epoch, spec.dataset, "pca")
            coords, idx = coords[:MAP_POINTS], idx[:MAP_POINTS]  # context only: keep redraws light
            labels = codes["y"][idx] if codes["y"] is not None else None
            show(latent_point_map(coords, labels, out), key="one_example_map", chars=60)


one_example(i, j, seed)
st.subheader("The equations on this page")
st.latex(r"z = \mu_\phi(x) + \sigma_\phi(x) \odot \varepsilon,\quad "
         r"\varepsilon \sim \mathcal N(0, I),\qquad "
         r"\frac{\partial z_j}{\partial \mu_j} = 1,\quad \frac{\partial z_j}{\partial \sigma_j} "
         r"= \varepsilon_j")
st.latex(r"\mathrm{KL}\big(\mathcal N(\mu, \sigma^2)\,\|\,\mathcal N(0, I)\big) = "
         r"-\tfrac12 \sum_{j=1}^{d} \big(1 + \log\sigma_j^2 - \sigma_j^2 - \mu_j^2\big)"
         r"\qquad\text{(eq. 22)}")
st.latex(r"\mathcal L = \log p_\theta(x \mid z) - \mathrm{KL},\qquad "
         r"\frac{\partial \mathcal L}{\partial \mu_j} = \frac{\partial \log p_\theta(x\mid z)}"
         r"{\partial z_j} - \mu_j,\qquad \frac{\partial \mathcal L}{\partial \sigma_j} = "
         r"\varepsilon_j \frac{\partial \log p_\theta(x\mid z)}{\partial z_j} - "
         r"\Big(\sigma_j - \frac{1}{\sigma_j}\Big)")
st.caption("The last line is eq. 26 for one example with V = 1 sample (a Gaussian q). "
           f"Likelihood: {spec.likelihood}. ε is drawn from a seed, so a link reproduces it.")
