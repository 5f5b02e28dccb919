"""Relaxation bias: Gumbel-softmax and straight-through estimators against the temperature τ."""
import streamlit as st

from explorer.discrete import ESTIMATOR_TAU_GRID, TAU_DEFAULT
from explorer.estimators import comparison as cmp
from explorer.toys.costs import TOY_COSTS
from ui import estimator_data as ed
from ui import live
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

LOGIT_HELP = ("ℓ_j: the logits of q — bernoulli: P(z_j = 1) = σ(ℓ_j); categorical: "
              "softmax(ℓ₁, ℓ₂, 0).")
CONTROLS = (
    live.control("l1", "logit ℓ₁", url="rb_l1", lo=-12.0, hi=12.0, step=0.5, help=LOGIT_HELP),
    live.control("l2", "logit ℓ₂", url="rb_l2", lo=-12.0, hi=12.0, step=0.5, help=LOGIT_HELP),
    live.control("t", "target t", url="rb_t", lo=0.0, hi=1.0, step=0.01,
                 help="t: the target inside the cost f(z) shown above."),
    live.control("tau", "temperature τ", url="rb_tau", options=ESTIMATOR_TAU_GRID,
                 help="τ: the Gumbel-softmax temperature; small τ: nearly one-hot y, large τ: y "
                      "near the centre."))
DEFAULTS = {"l1": 0.0, "l2": 1.0, "t": 0.45, "tau": TAU_DEFAULT}

live.link_notices(CONTROLS)
url_notices(st.query_params, options={
    "rb_family": (cmp.FAMILIES[1:], "the family of q"),
    **{f"rb_cost_{f}": (tuple(cmp.cost_names(f)), f"the cost f(z) of {f}") for f in cmp.FAMILIES[1:]}})

c1, c2, c3 = st.columns([2, 2, 3])
family = c1.radio("family of q", cmp.FAMILIES[1:], key="rb_family", horizontal=True,
                  bind="query-params", help="q(z; ℓ): two Bernoulli bits, or one categorical "
                                            "variable with three categories.")
cost = c2.selectbox("cost f(z)", cmp.cost_names(family), key=f"rb_cost_{family}",
                    bind="query-params", help="f(z): the function whose expectation "
                                              "E_q[f(z)] is differentiated in ℓ.")
c3.latex(TOY_COSTS[cost].latex)
st.caption("bernoulli: two variables z_j ~ Bernoulli(σ(ℓ_j)); categorical: one variable with "
           "3 categories, logits (ℓ₁, ℓ₂, 0) and values v_c = 0, ½, 1. The four sliders below move "
           "in your browser: it recomputes every estimate from noise the page sends once.")
v = live.current("rb_live", CONTROLS, DEFAULTS)
values, t, tau = (v["l1"], v["l2"]), v["t"], v["tau"]
noise = ed.relaxation_noise(family)
REF = cmp.reference_label()
data = {"family": family, "cost": cost, "taus": list(ESTIMATOR_TAU_GRID), "reference": REF,
        "m": 400, **{k: a.tobytes() for k, a in noise.items()}}


def opening_figure(which: int, family: str, cost: str, values: tuple, t: float, tau: float):
    """The curves (0), histogram (1) or samples (2) as the browser would draw them here."""
    return ed.relaxation_opening(family, cost, values, t, tau)[which]


def opening(which: int, key: str, chars: int) -> str:
    return live.figure(opening_figure, which, family, cost, values, t, tau, key=key, chars=chars)


live.reporting_view("relaxation", "curves", key="rb_live", group="rb", values=v, controls=CONTROLS,
                    data=data, figure=opening(0, "rb_curves", 90))
st.caption(f"{cmp.N_TAU} estimates per point; the plotted floor is 10⁻⁶. Thin dotted lines: the "
           "noise level ‖SE‖ of each measured bias — below it a bias cannot be told from 0 with "
           "this many estimates (at small τ the variance, and so this level, is large). "
           "REINFORCE is unbiased: its ‖bias‖ line is its own noise level.")

view_data = {k: x for k, x in data.items() if not isinstance(x, bytes)}
left, right = st.columns(2)
with left:
    live.view("relaxation", "hist", key="rb_hist", group="rb", values=v, data=view_data,
              figure=opening(1, "rb_hist", 60))
with right:
    live.view("relaxation", "samples", key="rb_samples", group="rb", values=v, data=view_data,
              figure=opening(2, "rb_samples", 60))
live.view("relaxation", "table", key="rb_table", group="rb", values=v, data=view_data)

st.subheader("The naive reparameterization: a zero gradient")
live.view("relaxation", "naive", key="rb_naive", group="rb", values=v, data=view_data)
