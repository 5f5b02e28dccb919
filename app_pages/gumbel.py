"""Gumbel-max and Gumbel-softmax: exact categorical samples by an argmax, their relaxation at a
temperature τ, its mean and variance against τ, and an annealing schedule (text §2.2)."""
import numpy as np
import streamlit as st

from explorer.discrete import sampling_stats as ds
from explorer.discrete import SAMPLING_TAU_GRID, TAU_DEFAULT, temperature
from explorer.plots.gumbel import gumbel_max_figure, moments_figure, schedule_figure
from ui import discrete_lab_data as lab
from ui.figures import show
from ui.frame_state import url_index, url_notices

SIMPLEX_POINTS = 600  # bench/ui_latency.py: 1,500 SVG points cost ≈0.2 s per redraw (per frame)
LABELS = ["c = 1", "c = 2", "c = 3"]
LOGIT_HELP = "ℓ_c: the unnormalised log-probabilities of the three categories, P(z = c) = softmax(ℓ)_c."
RATES = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3)
TAU0_CHOICES = (0.5, 1.0, 2.0, 5.0, 10.0)
TAU_MIN_CHOICES = (0.01, 0.05, 0.1, 0.2, 0.5, 1.0)

st.title("Gumbel-max and Gumbel-softmax")
st.markdown(
    "A categorical latent z with probabilities softmax(ℓ) can be sampled by adding independent "
    "Gumbel(0, 1) noise g_c = −log(−log U_c) to the logits and taking the argmax (third lecture "
    "text, §2.2; Maddison et al. 2017). The argmax has no useful gradient, so the Gumbel-softmax "
    "(Jang et al. 2017) replaces the one-hot argmax by a softmax at temperature τ: a *relaxed* "
    "sample y on the simplex, differentiable in ℓ. Small τ: y is almost one-hot; large τ: y is "
    "near the centre (1/K, …, 1/K).")
st.latex(r"z = \arg\max_c\,(\ell_c + g_c),\quad g_c \sim \text{Gumbel}(0,1)"
         r"\quad\Longrightarrow\quad P(z = c) = \frac{e^{\ell_c}}{\sum_j e^{\ell_j}}")


url_notices(
    st.query_params, ranges={f"gm_l{i}": (-10, 10, f"the logit ℓ{'₁₂₃'[i - 1]}") for i in (1, 2, 3)},
    options={"gm_n": ((1000, 5000, 20000), "the number of samples n"),
             "gm_tau": (SAMPLING_TAU_GRID, "τ of the figure's slider"),
             "gm_tau0": (TAU0_CHOICES, "τ₀"), "gm_taumin": (TAU_MIN_CHOICES, "τ_min")})


@st.fragment
def relaxation_sections():
    """Its own fragment: the logit sliders redraw these views, not the schedule below. τ is the
    figure's own slider: its frames are computed once, so moving τ costs the server nothing."""
    c1, c2, c3, c5 = st.columns([2, 2, 2, 2])
    l1 = c1.slider("logit ℓ₁", -10.0, 10.0, 1.0, 0.5, key="gm_l1", bind="query-params",
                   help=LOGIT_HELP)
    l2 = c2.slider("logit ℓ₂", -10.0, 10.0, 0.0, 0.5, key="gm_l2", bind="query-params",
                   help=LOGIT_HELP)
    l3 = c3.slider("logit ℓ₃", -10.0, 10.0, -1.0, 0.5, key="gm_l3", bind="query-params",
                   help=LOGIT_HELP)
    n = c5.select_slider("samples n", (1000, 5000, 20000), 20000, key="gm_n", bind="query-params",
                         help="n: Gumbel draws g per estimate; the standard errors shrink as 1/√n.")
    logits = (l1, l2, l3)
    probs = ds.softmax(logits)
    always, _ = lab.relaxation_notes(logits, n, tuple(LABELS), SIMPLEX_POINTS)
    for note in always:
        st.info(note)

    st.subheader("The Gumbel-max trick: an exact sample")
    freq, se = lab.gumbel_max(logits, n)
    sweep = lab.relaxation(logits, n, SIMPLEX_POINTS)  # every τ from the same Gumbel noise
    if not sweep["finite"].all():  # the library works in log space; this is a guard, not expected
        st.error("Some relaxed samples are not finite; move the logits back.")
        return
    left, right = st.columns([3, 2])
    with left:
        show(gumbel_max_figure(freq, probs, se, LABELS,
                               title=f"Gumbel-max: frequencies of z = argmax_c(ℓ_c + g_c) over n = {n} "
                                     "samples (±2 SE) vs softmax(ℓ)"), key="gm_max", chars=70)
    with right:
        counts = sweep["counts"][SAMPLING_TAU_GRID.index(1.0)].tolist()
        st.markdown(
            "The frequencies match softmax(ℓ) within their error bars **for any τ**: τ does not enter "
            "the Gumbel-max sample. The argmax of the relaxed sample y at any τ is the same sample (a "
            "softmax keeps the order of (ℓ + g)/τ): with the same noise, argmax y gives the counts "
            f"{counts} at every τ, Gumbel-max gives {np.rint(freq * n).astype(int).tolist()}.")
        z_stat = np.max(np.abs(freq - probs) / np.maximum(se, 1e-12))
        st.caption(f"Largest deviation: {z_stat:.2f} standard errors √(p(1−p)/n). Error bars are "
                   "±2 SE; about 1 in 20 bars misses by chance.")

    st.subheader("The Gumbel-softmax relaxation")
    st.latex(r"y_c = \frac{\exp\big((\ell_c + g_c)/\tau\big)}{\sum_{j=1}^{K}\exp\big((\ell_j + g_j)/\tau"
             r"\big)},\qquad y \xrightarrow[\tau\to 0]{} \text{one-hot}(z),\qquad "
             r"y \xrightarrow[\tau\to\infty]{} (\tfrac1K,\dots,\tfrac1K)")
    active = url_index("gm_tau", SAMPLING_TAU_GRID, TAU_DEFAULT)
    # Ternary plots are SVG (no WebGL): each point costs redraw time on every slider move.
    show(lab.relaxation_figure(logits, n, active, tuple(LABELS), SIMPLEX_POINTS), key="gm_relaxed",
         chars=200)
    st.caption(f"Slide τ under the figure (it moves in your browser, without the server). The first "
               f"{SIMPLEX_POINTS} of the n samples are drawn in the simplex. The same Gumbel noise "
               "is reused at every τ, so each point moves from the centre (large τ) to a corner "
               "(small τ) — always the corner of its Gumbel-max category.")

    st.subheader("Mean and variance of y against τ")
    show(moments_figure(np.array(SAMPLING_TAU_GRID), sweep["mean"], sweep["var"], sweep["se"], probs,
                        LABELS, None, title=f"Monte Carlo E[y_c] and Var[y_c] of the Gumbel-softmax "
                                    f"y = softmax((ℓ + g)/τ) vs τ (n = {n}, logits {logits})"),
         key="gm_moments", chars=90)
    st.caption("As τ → 0 the mean tends to softmax(ℓ) (dotted, the Gumbel-max probabilities) and the "
               "total variance to Σ_c p_c(1 − p_c), that of a one-hot z; as τ → ∞ the mean tends to "
               "the uniform 1/K (grey dotted) and the variance to 0. Error bars: ±2 SE of the mean. "
               "The same Gumbel noise (seed 0) is reused at every τ.")


relaxation_sections()


@st.fragment
def schedule_section():
    """Its own fragment: the schedule's widgets redraw only this chart."""
    st.subheader("Annealing the temperature")
    st.latex(r"\tau_t = \max\big(\tau_{\min},\ \tau_0\, e^{-r t}\big),\qquad "
             r"t^\star = \frac{\ln(\tau_0/\tau_{\min})}{r}")
    a1, a2, a3 = st.columns([2, 2, 3])
    tau0 = a1.select_slider("τ₀", TAU0_CHOICES, 1.0, key="gm_tau0", bind="query-params",
                            help="τ₀: the temperature at step 0.")
    tau_min = a2.select_slider("τ_min", TAU_MIN_CHOICES, 0.5, key="gm_taumin", bind="query-params",
                               help="τ_min: the floor the temperature is annealed down to.")
    rates = a3.multiselect("rates r", RATES, [1e-5, 3e-5, 1e-4], key="gm_rates",
                           bind="query-params", help="r: the decay rate of τ₀ e^(−r t), one "
                                                     "line per rate.")
    if not rates:
        st.info("Pick at least one rate r to draw the schedule.")
    else:
        hits = {r: ds.anneal_hit_step(tau0, tau_min, r) for r in rates}
        finite = [h for h in hits.values() if np.isfinite(h)]
        t_max = max(100.0, 1.25 * max(finite, default=0.0))
        steps = np.linspace(0, t_max, 400)
        show(schedule_figure(steps, {r: temperature(steps, tau0, tau_min, r) for r in rates}, tau_min,
                             hits, title=f"Annealing schedule τ_t = max(τ_min, τ₀ e^(−r t)) with "
                                         f"τ₀ = {tau0:g}, τ_min = {tau_min:g}; diamonds: τ_min reached"),
             key="gm_schedule", chars=90)
        if tau0 <= tau_min:
            st.info(f"τ₀ = {tau0:g} ≤ τ_min = {tau_min:g}: the schedule is flat at τ_min from step 0.")
        else:
            st.caption("τ_min is reached at step t* = ln(τ₀/τ_min)/r: "
                       + ", ".join(f"r = {r:g}: t* = {h:,.0f}" for r, h in hits.items())
                       + ". Jang et al. (2017) used τ₀ = 1, τ_min = 0.5 and r ∈ {10⁻⁵, 10⁻⁴}, "
                         "updating τ every N steps.")


schedule_section()
