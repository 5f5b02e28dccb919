"""Smoothing transformations: a Bernoulli(p) bit made continuous, ζ = f(β, p, ε) with ε uniform,
differentiable in p and tending to the bit as β grows (text §2.3 and its Figure 1)."""
import math

import numpy as np
import streamlit as st

from explorer.discrete import sampling_stats as ds
from explorer.plots.smoothing import SHORT, density_figure, derivative_figure, zeta_figure
from explorer.discrete.transformations import NAMES
from ui import discrete_lab_data as lab
from ui import live
from ui.discrete_lab_data import N_SAMPLES
from ui.figures import show
from ui.frame_state import url_notices

BASES = {"e": math.e, "2": 2.0, "10": 10.0}

st.title("Smoothing transformations")
st.markdown(
    "A binary latent z ~ Bernoulli(p) is the step z = 1[ε ≥ 1 − p] of a uniform ε, whose "
    "derivative in p is 0 almost everywhere. The smoothing transformations of the third lecture "
    "text (§2.3; Rolfe 2016, Vahdat et al. 2018) replace the step by an increasing ζ = f(β, p, ε) "
    "with f(β, p, 0) = 0, f(β, p, 1) = 1, which is differentiable in p and tends to the step as "
    "β → ∞ (β is annealed upwards during training).")
st.latex(r"f_1(\beta,p,\varepsilon) = \mathbb 1_{[1-p,1]}(\varepsilon)\,\frac1\beta\log_a\!\Big("
         r"\frac{\varepsilon+p-1}{p}\,(a^\beta-1)+1\Big)\qquad "
         r"f_2(\beta,p,\varepsilon) = \mathbb 1_{[1-p,1]}(\varepsilon)\Big(1-\Big(1-"
         r"\frac{\varepsilon+p-1}{p}\Big)^{\beta}\Big)")
st.latex(r"f_3(\beta,p,\varepsilon) = \mathbb 1_{[0,1-p]}(\varepsilon)\,(1-p)\Big(\frac{\varepsilon}"
         r"{1-p}\Big)^{\beta} + \mathbb 1_{[1-p,1]}(\varepsilon)\Big(1-p\Big(\frac{1-\varepsilon}{p}"
         r"\Big)^{\beta}\Big)\qquad \lim_{\beta\to\infty} f = \mathbb 1_{[1-p,1]}(\varepsilon)")

url_notices(
    st.query_params, ranges={"sm_p": (0.01, 0.99, "p = P(z = 1)"),
                             "sm_pp_p": (0.01, 0.99, "the DVAE++ bit probability p")},
    options={"sm_f": (NAMES, "the smoothing f"), "sm_a": (tuple(BASES), "the base a of f1"),
             "sm_beta": (ds.BETA_GRID, "β"),
             "sm_pp_beta": (ds.BETA_GRID, "β of DVAE++")})

st.subheader("Figure 1 of the text")
a_fig = math.e


show(lab.figure1(a_fig, "Figure 1: ζ = f(β, p, ε) against ε for f1, f2, f3 (rows) and p = 0.2, 0.5, "
                 f"0.8 (columns), β = {', '.join(f'{b:g}' for b in ds.FIG1_BETAS)} (dotted < solid "
                 "< dashed); grey long dashes: the step 1[ε ≥ 1−p]"), key="sm_fig1", chars=100)
st.caption("The text gives no β values for its figure; these are β = 1, 3, 10 with base a = e. "
           "At β = 1, f2 is the straight ramp from 1 − p and f3 is the identity ζ = ε for every "
           "p — it says nothing about the bit; as β grows all three close in on the step.")


SM_CONTROLS = (
    live.control("p", "p = P(z = 1)", url="sm_p", lo=0.01, hi=0.99, step=0.01,
                 help="p: the probability that the bit z ~ Bernoulli(p) is 1; the step "
                      "1[ε ≥ 1 − p] switches at ε = 1 − p."),
    live.control("beta", "β (log scale)", url="sm_beta", options=ds.BETA_GRID,
                 help="β: the sharpness of the smoothing; ζ tends to the bit as β → ∞."))
SM_DEFAULTS = {"p": 0.5, "beta": 3.0}


@st.cache_data(show_spinner=False)
def uniform_noise() -> bytes:
    """The uniform ε of the samples of every histogram on this page (the noise of
    sampling_stats.smoothing_samples and overlapping_views), shipped once to the browser."""
    return ds.overlapping_noise(N_SAMPLES, lab.SEED).astype(np.float32).tobytes()


@st.fragment
def explore():
    """Its own fragment: these widgets redraw only the views below, not Figure 1; p and β move
    in the browser (ui/live)."""
    st.subheader("Explore one transformation")
    c1, c4 = st.columns([6, 1])
    name = c1.selectbox("smoothing f (f1 / f2 / f3)", NAMES, key="sm_f", bind="query-params",
                        help="Which smoothing transformation ζ = f(β, p, ε) of §2.3 to explore.")
    base = c4.selectbox("base a of f1", tuple(BASES), key="sm_a", bind="query-params",
                        disabled=name != "spike_exponential",
                        help="a: the base of the logarithm in f1; f1 with base a and β is base e "
                             "with β ln a.")
    a = BASES[base]
    label = SHORT[name]
    spiky = name != "symmetric_power"
    st.caption(f"{label}. " + ("f1 with base a and β equals base e with β ln a: the base only "
                               "rescales β." if name == "spike_exponential" else ""))
    v = live.current("sm_live", SM_CONTROLS, SM_DEFAULTS)
    live.reporting_view("smoothing", "views", key="sm_live", group="sm", values=v,
                        controls=SM_CONTROLS, filename="sm_views",
                        figure=live.figure(lab.smoothing_figure, name, v["p"], a,
                                           ds.BETA_GRID.index(v["beta"]), label, key="sm_views",
                                           chars=200),
                        data={"name": name, "a": a, "label": label, "betas": list(ds.BETA_GRID),
                              "names": list(NAMES), "rho": uniform_noise()})
    if spiky:
        st.latex(r"q(\zeta) = (1-p)\,\delta(\zeta) + " + (
            r"p\,\frac{b\,e^{b(\zeta-1)}}{1-e^{-b}},\quad b = \beta\ln a" if name == "spike_exponential"
            else r"\frac{p}{\beta}\,(1-\zeta)^{1/\beta-1}"))
    else:
        st.latex(r"q(\zeta) = \frac1\beta\Big(\frac{\zeta}{1-p}\Big)^{1/\beta-1}\ (\zeta<1-p),\qquad "
                 r"\frac1\beta\Big(\frac{1-\zeta}{p}\Big)^{1/\beta-1}\ (\zeta>1-p)")
    st.caption("p and β move in your browser, without the server. "
               + ("Density: the spike at ζ = 0 is the bit z = 0, mass 1 − p, drawn as a red stem (not "
                  "to scale); the bars and the curve show the continuous part, which integrates to p. "
                  if spiky else "Density: f3 has no spike, ζ is continuous on [0, 1]. ")
               + "Gradient: for f1 and f2 it is 0 for ε < 1 − p — a sample with z = 0 tells p "
               "nothing; f3 moves every sample; the step itself has ∂/∂p = 0 almost everywhere. "
               "L1 distance: for the power families it falls like 1/(β + 1), for f1 like "
               "1/(β ln a); the star is the current β.")


explore()


PP = (live.control("beta", "β of DVAE++ (log scale)", url="sm_pp_beta", options=ds.BETA_GRID,
                   help="β: the sharpness of the two exponentials r(ζ|z); large β brings ζ "
                        "close to the bit z."),
      live.control("p", "DVAE++ bit probability p", url="sm_pp_p", lo=0.01, hi=0.99, step=0.01,
                   help="p = P(z = 1): the weight of r(ζ|z=1) in the mixture q(ζ)."))
PP_DEFAULTS = {"beta": 3.0, "p": 0.5}


def dvaepp_figure(role: str, beta: float, p: float):
    """One of the DVAE++ smoother's three views at (β, p)."""
    eps, zeta, grad, edges, hist, grid, dens = lab.overlapping(beta, p)
    if role == "pp_zeta":
        return zeta_figure(eps, zeta, beta, p,
                           title=f"DVAE++ ζ = F⁻¹(ε) at β = {beta:g}, p = {p:g}, and the step")
    if role == "pp_density":
        return density_figure(edges, hist, grid, dens, 0.0, 0.0,
                              1.3 * max(hist.max(), dens.max(), 1e-3),
                              title=f"Density of the DVAE++ ζ: {N_SAMPLES} samples vs the "
                                    "mixture density")
    return derivative_figure(eps, grad, p, title="∂ζ/∂p of the DVAE++ smoothing (autograd)")


def dvae_pp():
    """The DVAE++ smoother: its sliders redraw only its three views, in the browser."""
    st.subheader("DVAE++: overlapping exponentials (both bit values smoothed)")
    st.markdown(
        "f1 leaves z = 0 as an exact spike at ζ = 0, so a sample with z = 0 passes no gradient to p "
        "(left plot above). Vahdat et al. (2018) smooth *both* values with mirrored exponentials and "
        "sample the mixture by inverting its CDF, which is a quadratic in e^{−βζ}. Every sample now "
        "moves with p. The DVAE on the Train page offers this as its `overlapping_exponential` "
        "smoothing. Its own sliders move in your browser and redraw only these three views.")
    st.latex(r"r(\zeta|z{=}0) = \frac{\beta e^{-\beta\zeta}}{1-e^{-\beta}},\quad "
             r"r(\zeta|z{=}1) = \frac{\beta e^{\beta(\zeta-1)}}{1-e^{-\beta}},\quad "
             r"q(\zeta) = (1-p)\,r(\zeta|0) + p\,r(\zeta|1),\quad \zeta = F_q^{-1}(\varepsilon)")
    live.reporting_view("dvaepp", "pp_controls", key="sm_pp", group="smpp", controls=PP,
                        values=live.current("sm_pp", PP, PP_DEFAULTS),
                        data={"rho": uniform_noise()})
    v = live.current("sm_pp", PP, PP_DEFAULTS)
    for column, role in zip(st.columns(3), ("pp_zeta", "pp_density", "pp_grad")):
        with column:
            key = f"sm_dvaepp_{role[3:]}"
            live.view("dvaepp", role, key=key, group="smpp", values=v,
                      figure=live.figure(dvaepp_figure, role, v["beta"], v["p"], key=key,
                                         chars=45))


dvae_pp()
