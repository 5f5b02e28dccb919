"""Top half of a digit as the latent: the first lecture's three questions about q(z; φ), answered."""
import numpy as np
import streamlit as st

from explorer import data
from explorer.plots.completion import elbo_trace, phi_images, sample_grid, svi_animation
from explorer.plots.images import image_row
from ui import completion_data as cd
from ui.figures import show
from explorer.models.gaussian import has_mean_decoder
from ui.run_picker import checkpointed_run
from ui.widget_state import clamp_state

st.title("Top half of a digit as the latent")
st.markdown("Treat the **top half z** of a binarised test digit as unobserved and its **bottom "
            "half x** as the data. A mean-field Bernoulli q guesses the hidden pixels, and the "
            "ELBO scores the guess against a trained VAE's joint p(x, z):")
st.latex(r"q(\mathbf z;\phi)=\prod_i \phi_i^{z_i}(1-\phi_i)^{1-z_i},\qquad "
         r"\mathcal L(\mathbf x;\phi)=\mathbb E_{q}\big[\log p(\mathbf x,\mathbf z)\big]+H(q)"
         r"\;\le\;\log p(\mathbf x)=\log\sum_{\mathbf z} p(\mathbf x,\mathbf z)")
rec = checkpointed_run(view="bound_ladder", where=has_mean_decoder)
spec, epoch = rec.spec, rec.checkpoint_epoch
info = data.info(spec.dataset)
if info.kind != "images" or info.image_shape is None or spec.likelihood != "bernoulli":
    st.error(f"This page needs a run on binary-pixel images with a Bernoulli p(x|z) (e.g. "
             f"mnist5k); run {rec.run_id} has data set {spec.dataset} ({info.kind}) and "
             f"likelihood {spec.likelihood}. Pick another run or train one on the Train page.")
    st.stop()

c1, c2, c3, c4 = st.columns(4)
clamp_state("image", range(info.n_test), 0)
index = int(c1.number_input("Test image", 0, info.n_test - 1, cd.first_index_of(spec.dataset, 9),
                            key="image", bind="query-params",
                            help="Defaults to the first 9 of the test set (the lecture's digit)."))
k = c2.select_slider("K (importance samples of log p(x, z))", [1, 4, 16, 64], 4, key="k",
                     bind="query-params",
                     help="Here z is the bottom half and x the top half: log p(x, z) sums out "
                          "the VAE's latent with K importance samples (L_K).")
steps = c3.select_slider("SVI steps", [50, 100, 200, 400, 800], 400, key="steps",
                         bind="query-params")
n_samples = c4.select_slider("z samples per step", [8, 16, 32, 64], 32, key="s",
                             bind="query-params",
                             help="Samples z ~ q(z; φ) (bottom halves) per SVI step to estimate "
                                  "the ELBO's gradient in φ.")
lr = 0.3  # Adam on logit φ; 0.1 needed twice the steps on mnist5k for the same ELBO
grey, image, label = cd.test_image(spec.dataset, index)
mask = cd.hidden_mask(info.image_shape)
st.caption(f"log p(x, z) is the VAE's **IWAE estimate L_{k}** of log p(image) with K = {k} "
           "importance samples (Burda et al. 2015), a stochastic lower bound — so every ELBO "
           "here is itself an estimate, and slightly below the exact one. Pixels are "
           "binarised at ½ so z and x are Bernoulli variables.")
hidden = image.copy()
hidden[mask] = 0.5
show(image_row(np.stack([grey, image, hidden]),
               info.image_shape, ["grey levels", "binarised", "observed x (z grey)"],
               title=f"Test image {index}" + (f" (label {label})" if label is not None else "")),
     key="inputs", chars=60)


def fitted(at_epoch: int) -> dict | None:
    """The three questions at a checkpoint, or None while SVI runs (its progress bar shows)."""
    return cd.questions_view(rec.run_id, at_epoch, spec.dataset, index, k, steps, n_samples, lr)


late = fitted(epoch)
st.subheader("Three questions, answered with numbers")
st.markdown("Is φ = ½ everywhere a good q? Is φ = 1 everywhere? Is φ ≈ 1 on the top of the 9 "
            "(what SVI finds)? The gap log p(x) − ELBO is KL(q ‖ p(z | x)) ≥ 0, plus the "
            "estimates' noise. log p(x) of the bottom half alone sums z out: the Bernoulli "
            "decoder's hidden-pixel factors sum to 1, so it is an IWAE bound with "
            "p(x_bottom | h) (K = 1000, proposal q(h | x composed with the fitted φ)).")
if late is not None:
    st.dataframe(cd.table(late), hide_index=True, column_config={
        c: st.column_config.NumberColumn(format="%.2f")
        for c in ("ELBO (nats)", "± SE", "log p(x) − ELBO", "H(q)")})
    names = list(late["phis"])
    show(phi_images(image, mask, list(late["phis"].values()), info.image_shape, names), key="phis")
    show(sample_grid(image, mask, late["drawn"], info.image_shape), key="samples")
    st.caption("φ = ½ draws salt-and-pepper noise (H = n log 2, but log p(x, z) is terrible); φ = 1 "
               "draws one white block (H = 0, a point mass); the fitted q puts ink where this "
               "model expects the top of the digit, and its samples differ only where it is unsure.")

st.subheader("Stochastic variational inference")
st.latex(r"\nabla_{\phi}\mathcal L \approx \frac1S\sum_{s=1}^S\big(\log p(\mathbf x,\mathbf z^s)"
         r"-b_s\big)\nabla_\phi\log q(\mathbf z^s;\phi)+\nabla_\phi H(q),\quad "
         r"b_s=\frac{1}{S-1}\sum_{r\ne s}\log p(\mathbf x,\mathbf z^r)")
st.caption(f"Adam (lr {lr}, decaying over the last quarter) on logit φ from φ = ½, S = "
           f"{n_samples} samples a step, the "
           "score-function gradient with the leave-one-out baseline (unbiased, Kool et al. "
           "2019) and the exact entropy gradient.")
if late is not None:
    refs = {r["q"]: r["elbo"] for r in late["rows"][2:]}  # φ = ½ and φ = 1 sit far below
    show(elbo_trace(late["steps"], late["trace"], {"log p(x) (IWAE)": late["log_px"], **refs}),
         key="trace")
    trace_at = [late["trace"][min(s, len(late["trace"]) - 1)] for s in late["snapshot_steps"]]
    show(svi_animation(image, mask, late["snapshot_steps"], late["snapshots"], info.image_shape,
                       trace_at), key="animation")

st.subheader("An early checkpoint")
if epoch == 0:
    st.info("This run's checkpoint is its untrained model (epoch 0): train it longer to compare.")
    st.stop()
st.markdown("The lecture's caveat: the fitted q is only a good completion if p(x, z; θ) is "
            "close to p_data. The run's earliest checkpoint is its untrained model (epoch 0, "
            "rebuilt from the spec's seed; the store keeps only the latest checkpoint file).")
early = fitted(0)  # queued behind the late fit, so both start on the first run
if early is None or late is None:
    st.stop()
left, right = st.columns(2)
for col, res, ep in ((left, early, 0), (right, late, epoch)):
    row = res["rows"][2]
    col.metric(f"fitted ELBO at epoch {ep}", f"{row['elbo']:.1f} ± {row['se']:.1f}")
    col.caption(f"log p(x) of the bottom half ≈ {res['log_px']:.1f} under this model")
    with col:
        show(phi_images(image, mask, [res["phis"]["φ fitted by SVI"]], info.image_shape,
                        [f"epoch {ep}"], title=f"Fitted φ at epoch {ep}"),
             key=f"phi_{ep}", chars=40)
st.markdown(cd.early_vs_late_sentence(early, late, epoch))
