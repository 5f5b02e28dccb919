"""Gumbel-max and Gumbel-softmax: exact categorical samples by an argmax, their relaxation at a
temperature τ, its mean and variance against τ, and an annealing schedule (text §2.2)."""
import numpy as np
import streamlit as st

from explorer.discrete import sampling_stats as ds
from explorer.discrete import SAMPLING_TAU_GRID, TAU_DEFAULT, temperature
from explorer.plots.gumbel import gumbel_max_figure, moments_figure, schedule_figure
from ui import discrete_lab_data as lab
from ui import live
from ui.frame_state import url_notices

BARS = 4  # relaxed samples drawn as bars beside the simplex
N_CHOICES = (1000, 5000, 20000)
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
    options={"gm_n": (N_CHOICES, "the number of samples n"),
             "gm_tau": (SAMPLING_TAU_GRID, "the temperature τ"),
             "gm_tau0": (TAU0_CHOICES, "τ₀"), "gm_taumin": (TAU_MIN_CHOICES, "τ_min")})


LOGITS = tuple(live.control(name, label, url=url, lo=-10.0, hi=10.0, step=0.5, help=LOGIT_HELP)
               for name, label, url in (("l1", "logit ℓ₁", "gm_l1"), ("l2", "logit ℓ₂", "gm_l2"),
                                        ("l3", "logit ℓ₃", "gm_l3")))
N_CONTROL = live.control("n", "samples n", url="gm_n", options=N_CHOICES,
                         help="n: Gumbel draws g per estimate; the standard errors shrink as 1/√n.")
TAU_CONTROL = live.control("tau", "temperature τ", url="gm_tau", options=SAMPLING_TAU_GRID,
                           help="τ: the temperature of the relaxation y = softmax((ℓ + g)/τ).")
CONTROLS = (*LOGITS, N_CONTROL)
DEFAULTS = {"l1": 1.0, "l2": 0.0, "l3": -1.0, "n": 20000, "tau": TAU_DEFAULT}


@st.cache_data(show_spinner=False)
def browser_data() -> dict:
    """What the browser recomputes every view from: the page's Gumbel noise (the first n rows
    are the noise of n samples) and the grid of τ."""
    g = ds.sweep_noise(max(N_CHOICES), len(LABELS), lab.SEED).astype(np.float32)
    return {"noise": g.tobytes(), "taus": list(SAMPLING_TAU_GRID), "keep": SIMPLEX_POINTS,
            "labels": LABELS, "bars": BARS, "tau": TAU_DEFAULT}


def max_figure(logits: tuple, n: int):
    freq, se = lab.gumbel_max(logits, n)
    return gumbel_max_figure(freq, ds.softmax(logits), se, LABELS,
                             title=f"Gumbel-max: frequencies of z = argmax_c(ℓ_c + g_c) over "
                                   f"n = {n} samples (±2 SE) vs softmax(ℓ)")


def moments(logits: tuple, n: int, tau: float):
    sweep = lab.relaxation(logits, n, SIMPLEX_POINTS)
    return moments_figure(np.array(SAMPLING_TAU_GRID), sweep["mean"], sweep["var"], sweep["se"],
                          ds.softmax(logits), LABELS, tau,
                          title=f"Monte Carlo E[y_c] and Var[y_c] of the Gumbel-softmax "
                                f"y = softmax((ℓ + g)/τ) vs τ (n = {n}, logits {logits}; "
                                "dashed: τ of the simplex above)")


def schedule(rates: tuple, tau0: float, tau_min: float):
    hits = {r: ds.anneal_hit_step(tau0, tau_min, r) for r in rates}
    t_max = max(100.0, 1.25 * max((h for h in hits.values() if np.isfinite(h)), default=0.0))
    steps = np.linspace(0, t_max, 400)
    return schedule_figure(steps, {r: temperature(steps, tau0, tau_min, r) for r in rates},
                           tau_min, hits,
                           title=f"Annealing schedule τ_t = max(τ_min, τ₀ e^(−r t)) with "
                                 f"τ₀ = {tau0:g}, τ_min = {tau_min:g}; diamonds: τ_min reached")


def relaxation_sections():
    """The Gumbel-max frequencies, the relaxed samples and their moments against τ, drawn here
    for the values of the URL (or of this session), then redrawn in the browser."""
    live.reporting_view("gumbel", "controls", key="gm_live", group="gm", controls=CONTROLS,
                        values=live.current("gm_live", CONTROLS, DEFAULTS), data=browser_data())
    v = live.current("gm_live", CONTROLS, DEFAULTS) | live.current("gm_live_tau", (TAU_CONTROL,),
                                                                    DEFAULTS)
    logits, n = (v["l1"], v["l2"], v["l3"]), v["n"]
    active = SAMPLING_TAU_GRID.index(v["tau"])
    data = {k: x for k, x in browser_data().items() if k != "noise"}

    st.subheader("The Gumbel-max trick: an exact sample")
    live.view("gumbel", "max", key="gm_max", group="gm", values=v, data=data,
              figure=live.figure(max_figure, logits, n, key="gm_max", chars=70))

    st.subheader("The Gumbel-softmax relaxation")
    st.latex(r"y_c = \frac{\exp\big((\ell_c + g_c)/\tau\big)}{\sum_{j=1}^{K}\exp\big((\ell_j + g_j)/\tau"
             r"\big)},\qquad y \xrightarrow[\tau\to 0]{} \text{one-hot}(z),\qquad "
             r"y \xrightarrow[\tau\to\infty]{} (\tfrac1K,\dots,\tfrac1K)")
    # Ternary plots are SVG (no WebGL): each point costs redraw time on every slider move.
    live.reporting_view("gumbel", "relaxed", key="gm_live_tau", group="gm", values=v,
                        controls=(TAU_CONTROL,), data=data, filename="gm_relaxed",
                        figure=live.figure(lab.relaxation_figure, logits, n, active,
                                           tuple(LABELS), SIMPLEX_POINTS, key="gm_relaxed",
                                           chars=200))
    st.caption(f"Every slider of this section moves in your browser, without the server. The "
               f"first {SIMPLEX_POINTS} of the n samples are drawn in the simplex. The same Gumbel "
               "noise is reused at every τ, so each point moves from the centre (large τ) to a "
               "corner (small τ) — always the corner of its Gumbel-max category.")

    st.subheader("Mean and variance of y against τ")
    live.view("gumbel", "moments", key="gm_moments", group="gm", values=v, data=data,
              figure=live.figure(moments, logits, n, v["tau"], key="gm_moments", chars=90))
    st.caption("As τ → 0 the mean tends to softmax(ℓ) (dotted, the Gumbel-max probabilities) and the "
               "total variance to Σ_c p_c(1 − p_c), that of a one-hot z; as τ → ∞ the mean tends to "
               "the uniform 1/K (grey dotted) and the variance to 0. Error bars: ±2 SE of the mean. "
               "The same Gumbel noise (seed 0) is reused at every τ.")


relaxation_sections()


SCHEDULE = (live.control("tau0", "τ₀", url="gm_tau0", options=TAU0_CHOICES,
                         help="τ₀: the temperature at step 0."),
            live.control("tau_min", "τ_min", url="gm_taumin", options=TAU_MIN_CHOICES,
                         help="τ_min: the floor the temperature is annealed down to."))


@st.fragment
def schedule_section():
    """Its own fragment: the rates redraw only this chart; τ₀ and τ_min move in the browser."""
    st.subheader("Annealing the temperature")
    st.latex(r"\tau_t = \max\big(\tau_{\min},\ \tau_0\, e^{-r t}\big),\qquad "
             r"t^\star = \frac{\ln(\tau_0/\tau_{\min})}{r}")
    rates = st.multiselect("rates r", RATES, [1e-5, 3e-5, 1e-4], key="gm_rates",
                           bind="query-params", help="r: the decay rate of τ₀ e^(−r t), one "
                                                     "line per rate.")
    if not rates:
        st.info("Pick at least one rate r to draw the schedule.")
        return
    v = live.current("gm_sched", SCHEDULE, {"tau0": 1.0, "tau_min": 0.5})
    live.reporting_view("schedule", "schedule", key="gm_sched", group="gms", values=v,
                        controls=SCHEDULE, data={"rates": list(rates)},
                        figure=live.figure(schedule, tuple(rates), v["tau0"], v["tau_min"],
                                           key="gm_schedule", chars=90))


schedule_section()
