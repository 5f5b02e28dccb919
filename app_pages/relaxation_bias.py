"""Relaxation bias: Gumbel-softmax and straight-through estimators against the temperature τ."""
import numpy as np
import pandas as pd
import streamlit as st

from explorer.discrete import ESTIMATOR_TAU_GRID, TAU_DEFAULT
from explorer.discrete import sampling_stats as ds
from explorer.estimators import comparison as cmp
from explorer.plots.estimators import histogram_figure, relaxed_samples_figure, tau_curves_figure
from explorer.toys.costs import TOY_COSTS
from ui import estimator_data as ed
from ui.figures import show
from ui.frame_state import url_notices

st.title("Relaxation bias")
st.markdown(
    "A discrete z has no pathwise gradient: the sample is a step function of the noise. "
    "The Gumbel-softmax trick (third lecture text, §2.2) replaces the one-hot argmax by a "
    "softmax at temperature τ, so f is evaluated at a *relaxed* z on the simplex and can be "
    "differentiated. The price is bias: the estimator differentiates E[f(relaxed z)], not "
    "E[f(z)]. Small τ: nearly one-hot samples, small bias, large variance; large τ: the reverse. "
    "REINFORCE stays unbiased; the exact gradient comes from enumerating every z. REBAR "
    "(Tucker et al. 2017) uses the relaxed f as a control variate for REINFORCE and adds back "
    "its pathwise gradient, so it is unbiased at every τ while borrowing the relaxation's low "
    "noise where the control variate tracks f (here with weight η = 1).")
st.latex(r"y_c = \frac{\exp\big((\ell_c + g_c)/\tau\big)}{\sum_j \exp\big((\ell_j + g_j)/\tau\big)},"
         r"\quad g_c \sim \text{Gumbel}(0,1)\qquad \text{bias}(\tau) = "
         r"\mathbb{E}[\hat g_\tau] - \nabla_\ell\, \mathbb{E}_{q(z;\ell)}[f(z)]")
st.latex(r"\hat g_{\text{REBAR}} = \big[f(b) - \eta f(\sigma_\tau(\tilde z))\big]\nabla_\ell \log q(b)"
         r" + \eta\,\nabla_\ell f(\sigma_\tau(z)) - \eta\,\nabla_\ell f(\sigma_\tau(\tilde z)),"
         r"\quad b = H(z),\ \tilde z \sim p(z\,|\,b)")

url_notices(
    st.query_params, ranges={"rb_l1": (-12, 12, "the logit ℓ₁"), "rb_l2": (-12, 12, "the logit ℓ₂"),
                             "rb_t": (0, 1, "the target t")},
    options={"rb_family": (cmp.FAMILIES[1:], "the family of q"),
             "rb_tau": (ESTIMATOR_TAU_GRID, "the temperature τ"),
             **{f"rb_cost_{f}": (tuple(cmp.cost_names(f)), f"the cost f(z) of {f}")
                for f in cmp.FAMILIES[1:]}})

c1, c2, c3 = st.columns([2, 2, 3])
family = c1.radio("family of q", cmp.FAMILIES[1:], key="rb_family", horizontal=True,
                  bind="query-params", help="q(z; ℓ): two Bernoulli bits, or one categorical "
                                            "variable with three categories.")
cost = c2.selectbox("cost f(z)", cmp.cost_names(family), key=f"rb_cost_{family}",
                    bind="query-params", help="f(z): the function whose expectation "
                                              "E_q[f(z)] is differentiated in ℓ.")
c3.latex(TOY_COSTS[cost].latex)
p1, p2, p3, p4 = st.columns(4)
LOGIT_HELP = ("ℓ_j: the logits of q — bernoulli: P(z_j = 1) = σ(ℓ_j); categorical: "
              "softmax(ℓ₁, ℓ₂, 0).")
l1 = p1.slider("logit ℓ₁", -12.0, 12.0, 0.0, 0.5, key="rb_l1", bind="query-params",
               help=LOGIT_HELP)
l2 = p2.slider("logit ℓ₂", -12.0, 12.0, 1.0, 0.5, key="rb_l2", bind="query-params",
               help=LOGIT_HELP)
t = p3.slider("target t", 0.0, 1.0, 0.45, 0.01, key="rb_t", bind="query-params",
              help="t: the target inside the cost f(z) shown on the right.")
tau = p4.select_slider("temperature τ", ESTIMATOR_TAU_GRID, TAU_DEFAULT, key="rb_tau",
                       bind="query-params", help="τ: the Gumbel-softmax temperature; small τ: "
                                                 "nearly one-hot y, large τ: y near the centre.")
values = (l1, l2)
st.caption("bernoulli: two variables z_j ~ Bernoulli(σ(ℓ_j)); categorical: one variable with "
           "3 categories, logits (ℓ₁, ℓ₂, 0) and values v_c = 0, ½, 1.")

exact, err = ed.exact(family, cost, values, t)
if exact is None:
    st.error(f"No exact gradient for these settings ({err}); move the sliders back.")
    st.stop()
for note in cmp.degeneracy_notes(family, values) + cmp.tau_notes(tau):
    st.info(note)


def races(family: str, cost: str, values: tuple, t: float, tau: float) -> tuple[dict, dict]:
    """Every estimator's estimates at τ, and the τ sweeps of the relaxed ones (cached)."""
    ref = cmp.REFERENCE  # (method, baseline, samples per estimate) of the unbiased REINFORCE
    runs = {m: ed.estimates(family, cost, values, t, m, tau=tau, n=cmp.N_TAU, seed=cmp.SEED)
            for m in ("gumbel_softmax", "st_gumbel_softmax", "rebar", "straight_through",
                      "naive_reparam")}
    runs[cmp.reference_label()] = ed.estimates(family, cost, values, t, ref[0], ref[1], ref[2],
                                              n=cmp.N_TAU, seed=cmp.SEED)
    return runs, {m: ed.tau_sweep(family, cost, values, t, m) for m in cmp.TAU_METHODS}


runs, sweeps = races(family, cost, values, t, tau)
for m, r in list(runs.items()):
    if r["error"]:
        st.warning(f"**{m}** is not shown: {r['error']}")
        runs.pop(m)
    elif r["dropped"]:
        st.warning(f"**{m}**: {r['dropped']} estimates were NaN/∞ and were dropped.")

flat = {}
for m, r in runs.items():
    if m not in sweeps:
        s = cmp.estimate_stats(r["g"], exact)
        flat[m] = (float(np.linalg.norm(s["bias"])), float(s["variance"].sum()))
show(tau_curves_figure(np.array(ESTIMATOR_TAU_GRID), {m: (s["bias"], s["variance"]) for m, s in
                                                sweeps.items()}, flat, tau,
                       noise={m: s["se"] for m, s in sweeps.items()},
                       title=f"Bias and variance of the gradient w.r.t. the logits vs temperature "
                             f"τ ({cost}, t = {t:g}); dotted: τ = {tau:g}, dashed: τ-free estimators"),
     key="rb_curves", chars=90)
st.caption(f"{cmp.N_TAU} estimates per point; the plotted floor is 10⁻⁶. Thin dotted lines: the "
           "noise level ‖SE‖ of each measured bias — below it a bias cannot be told from 0 with "
           "this many estimates (at small τ the variance, and so this level, is large). "
           "REINFORCE is unbiased: its ‖bias‖ line is its own noise level.")

left, right = st.columns(2)
with left:
    show(histogram_figure({m: r["g"][:, 0] for m, r in runs.items()}, exact[0],
                          title=f"Estimates of ∂/∂ℓ₁ E_q[f(z)] at τ = {tau:g} around the exact "
                                "gradient by enumeration (black line)", x_title="∂/∂ℓ₁"),
         key="rb_hist", chars=60)
with right:
    y = ed.relaxed_samples(family, values, tau)
    what = "y₁ of variable 1 (relaxed Bernoulli)" if family == "bernoulli" else "y on the simplex"
    show(relaxed_samples_figure(y, title=f"Relaxed Gumbel-softmax samples at τ = {tau:g}: {what}",
                                labels=["v=0", "v=½", "v=1"]), key="rb_samples", chars=60)

rows = [{"estimator": m, "‖bias‖": b, "variance (trace)": v} for m, (b, v) in flat.items()]
for m, s in sweeps.items():
    i = ESTIMATOR_TAU_GRID.index(tau)
    rows.append({"estimator": f"{m} (τ = {tau:g})", "‖bias‖": s["bias"][i],
                 "variance (trace)": s["variance"][i]})
st.dataframe(pd.DataFrame(rows).set_index("estimator"), key="rb_table")

st.subheader("The naive reparameterization: a zero gradient")
if "naive_reparam" in runs:
    g = runs["naive_reparam"]["g"]
    st.markdown(
        f"Writing z = g(ℓ, ε) as a step function of uniform noise ε and differentiating it gives "
        f"**∇_ℓ z = 0 almost everywhere** (the sample only changes where ε crosses a step, a set "
        f"of probability zero), so every estimate is 0: here max |ĝ| = {np.abs(g).max():g} over "
        f"{len(g)} estimates, while the exact ∂/∂ℓ₁ is {exact[0]:.4g}. Plugged into a VAE it "
        "would leave only the KL term's gradient, pulling q toward the prior.")
