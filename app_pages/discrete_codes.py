"""Categorical & binary codes: what a categorical VAE (§2.2) or a DVAE (§2.3) writes into its
discrete code, how much of the code it uses, and what changing one code does."""
import numpy as np
import streamlit as st

from explorer.views import code_views
from explorer import data
from explorer.views.latent import dimension_label
from explorer.plots import codes as figs
from explorer.plots.bounds import bound_ladder
from explorer.views.code_views import unused_caption
from ui.code_data import describe, ladder_for, test_codes
from ui.figures import show
from ui.latent_data import model_for
from ui.run_picker import checkpointed_run
from ui.widget_state import clamp_state

CATEGORICAL_LATEX = (
    r"q_\phi(z|x) = \prod_{n=1}^{N}\mathrm{Cat}\big(z_n;\ \mathrm{softmax}\,\ell_n(x)\big),\quad "
    r"p(z) = \prod_{n=1}^{N}\mathrm{Cat}\big(z_n;\ \tfrac1K\big)")
GUMBEL_LATEX = (  # the relaxed sample the decoder reads in training (Jang et al. 2017)
    r"y_{nk} = \frac{\exp\big((\ell_{nk}+g_{nk})/\tau\big)}{\sum_{j=1}^{K}"
    r"\exp\big((\ell_{nj}+g_{nj})/\tau\big)},\ g_{nk}\sim\mathrm{Gumbel}(0,1)")
BITS_LATEX = (
    r"q_\phi(z|x) = \prod_{i=1}^{d}\mathrm{Bern}\big(z_i;\ \sigma(\ell_i(x))\big),\quad "
    r"p(z) = \prod_{i=1}^{d}\mathrm{Bern}\big(z_i;\ \sigma(b_i)\big)")
SMOOTHING_LATEX = {  # r(ζ|z): Rolfe 2016 (text f1), and DVAE++ (Vahdat et al. 2018), no spike
    "spike_exponential":
        r"r(\zeta_i|z_i{=}0) = \delta(\zeta_i),\ \ r(\zeta_i|z_i{=}1) = "
        r"\frac{\beta\, e^{\beta(\zeta_i-1)}}{1-e^{-\beta}},\ \ \zeta_i = f_1(\beta, q_i, \varepsilon_i)",
    "overlapping_exponential":
        r"r(\zeta_i|z_i{=}0) = \frac{\beta\, e^{-\beta\zeta_i}}{1-e^{-\beta}},\ \ "
        r"r(\zeta_i|z_i{=}1) = \frac{\beta\, e^{\beta(\zeta_i-1)}}{1-e^{-\beta}},\ \ "
        r"q(\zeta_i|x) = (1-q_i)\,r(\zeta_i|0) + q_i\,r(\zeta_i|1)",
}


def number(label: str, hi: int, key: str, container, tip: str) -> int:
    """A 1-based index kept in the URL; reset when a new run has fewer variables."""
    clamp_state(key, range(1, hi + 1), 1)
    return int(container.number_input(label, 1, hi, 1, key=key, bind="query-params",
                                      help=tip)) - 1


@st.fragment
def prior_samples(model, shape, dvae: bool):
    c1, c2 = st.columns(2)
    n = c1.slider("Number of samples", 4, 64, 32, 4, key="code_n_prior")
    seed = c2.number_input("Sampling seed", 0, 10_000, 0, key="code_prior_seed")
    drawn = code_views.prior_samples(model, n, seed=int(seed))
    show(figs.prior_grid(drawn["decoded"], shape, dvae), key="code_prior")


st.title("Categorical & binary codes")
st.markdown("A discrete VAE describes each image by a code: N categorical variables with K values "
            "each (Gumbel-softmax, §2.2), or d bits that the decoder reads through a smoothed "
            "ζ ∈ [0, 1] (DVAE, §2.3). See which code an image gets, how much of the code the "
            "encoder uses, and what the decoder makes of a code you change by hand.")
rec = checkpointed_run(view="codes")
spec, epoch = rec.spec, rec.checkpoint_epoch
model = model_for(rec.run_id, epoch)
dvae = code_views.binary_codes(model)
st.caption(describe(spec, epoch, dvae))
st.latex(BITS_LATEX if dvae else CATEGORICAL_LATEX)
if dvae:
    st.latex(SMOOTHING_LATEX[code_views.smoothing_of(model)])
elif "gumbel" in spec.estimator:
    st.latex(GUMBEL_LATEX)
codes = test_codes(rec.run_id, epoch, spec.dataset)
shape = data.info(spec.dataset).image_shape
n_test, n_vars = codes["codes"].shape
if shape is None:
    st.info("This data set has no images: the code tables are shown, the decoded views need an "
            "image data set.")

st.subheader("One test image and its code")
clamp_state("code_point", range(n_test), 0)
i = st.slider("Test image", 0, n_test - 1, 0, key="code_point", bind="query-params")
code = codes["codes"][i]
left, right = st.columns([1, 2])
if shape is not None:
    with left:
        show(figs.code_images(codes["x"][i], codes["recon"][i], shape, dvae), key="code_images",
             chars=40)
        if codes["y"] is not None:
            st.caption(f"Label {codes['y'][i]}; code "
                       + (''.join(map(str, code)) if dvae else ' '.join(str(c + 1) for c in code)))
with right:
    fig = (figs.bit_posterior_figure(codes["probs"][i], codes["usage"]["prior"]) if dvae
           else figs.posterior_heatmap(codes["probs"][i], code))
    show(fig, key="code_posterior", chars=80)

# Off by default: the ladder decodes ~200,000 codes (a second or two per image), which the
# image slider should not pay for.
if not dvae and st.toggle("Importance-weighted bounds for this image: ELBO ≤ L_k ≤ log p(x)",
                          key="code_ladder_on", bind="query-params",
                          help="L_k for growing k for this image; it decodes about 200,000 "
                               "codes (a second or two), so it is off until asked for."):
    with st.container():
        lad, exact = ladder_for(rec.run_id, epoch, spec.dataset, i)
        show(bound_ladder(lad["k"], lad["mean"], lad["se"], exact=exact, elbo=lad["mean"][0],
                          title=f"L_k for test image {i} with hard codes z_i ~ q(z|x) "
                                "(Burda et al. 2015): mean ± 2 SE of repeated estimates"),
             key="code_ladder", chars=70)
        n_all = spec.n_categories ** spec.latent_dim
        st.caption("The IWAE bound needs only samples of z, their log q and log p — nothing "
                   "about z has to be continuous. " +
                   (f"log p(x) sums p(x|z) p(z) over all {n_all:,} codes." if exact is not None
                    else f"With {spec.n_categories}^{spec.latent_dim} codes log p(x) cannot be "
                         "summed here (at most 4,096); L_5000 is the best estimate."))

st.subheader("Code usage on the test set")
usage = codes["usage"]
fig = (figs.bit_usage_figure(usage["mean_q"], usage["fraction"][:, 1], usage["prior"],
                             usage["unused"]) if dvae
       else figs.usage_heatmap(usage["fraction"], usage["perplexity"], usage["unused"]))
show(fig, key="code_usage")
st.caption(unused_caption(usage, dvae))

if shape is not None:
    st.subheader("Change one code by hand")
    st.markdown("The discrete analogue of a latent traversal: keep the selected image's code and "
                + ("flip one bit, or slide its ζ from 0 to 1 (the decoder reads ζ, so values in "
                   "between are decodable too)." if dvae else
                   "set one variable to another category."))
    c1, c2 = st.columns(2)
    var = number("Bit i" if dvae else "Variable n", n_vars, "code_var", c1,
                 "Which latent variable of the image's code to change (1-based).")
    name = dimension_label(var)
    if dvae:
        value = 1 - int(code[var])
        change = f"bit {name} flipped from {code[var]} to {value}"
    else:
        value = number("Category k", spec.n_categories, "code_cat", c2,
                       "The category (1 … K) the variable is set to.")
        change = f"{name} set from k = {code[var] + 1} to k = {value + 1}"
    edited = code_views.decode_codes(model, np.stack([code, code_views.edit_code(code, var, value)]))
    show(figs.edit_figure(codes["x"][i], edited[0], edited[1], shape, change), key="code_edit")
    if dvae:
        values = np.unique(np.r_[np.linspace(0, 1, 5), code_views.bit_means(model)])
        show(figs.zeta_sweep_figure(code_views.zeta_sweep(model, code, var, values), shape, var,
                                    values), key="code_sweep")
    else:
        show(figs.category_sweep_figure(code_views.value_sweep(model, code, var), shape, var,
                                        int(code[var])), key="code_sweep")

    st.subheader("Samples from the prior")
    prior_samples(model, shape, dvae)
