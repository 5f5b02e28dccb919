"""Estimator race: REINFORCE vs pathwise (and discrete) gradient estimators on toy costs."""
import pandas as pd
import streamlit as st

from explorer.discrete import ESTIMATOR_TAU_GRID, TAU_DEFAULT
from explorer.estimators import BASELINES, METHODS
from explorer.estimators import comparison as cmp
from explorer.estimators import race_families as rf
from explorer.plots.estimators import cloud_figure, histogram_figure, variance_scaling_figure
from explorer.toys.costs import TOY_COSTS
from ui import estimator_data as ed
from ui.figures import show
from ui.url_notice import ignored

st.title("Estimator race")
st.markdown(
    "Every estimator below is a random vector whose mean should be the gradient of "
    "E_q[f(z)] with respect to q's parameters. The lectures' claim: the pathwise "
    "(reparameterization) estimator has *typically much lower variance* than REINFORCE. "
    "Race them on a toy cost whose exact gradient is known (closed form, enumeration or "
    "quadrature), for any of the families below.")
st.latex(r"\text{REINFORCE: }\nabla_\phi \mathbb{E}_{q(z;\phi)}[f(z)] = "
         r"\mathbb{E}_{q}\big[(f(z) - b)\,\nabla_\phi \log q(z;\phi)\big]")
st.latex(r"\text{pathwise: }\nabla_\phi \mathbb{E}_{q}[f(z)] = "
         r"\mathbb{E}_{\varepsilon}\big[\nabla_\phi f(g(\varepsilon;\phi))\big],\ "
         r"z = g(\varepsilon;\phi)\ \text{(normal: } \mu + \sigma\varepsilon)")


def knob(col, kn: rf.Knob):
    tip = ("A constant of the cost f(z) in the formula above." if kn.param is None else
            "A parameter of q: the race estimates the gradient of E_q[f(z)] with respect to it.")
    if kn.choices:
        return col.select_slider(kn.label, kn.choices, kn.default, key=kn.key,
                                 bind="query-params", help=tip)
    return col.slider(kn.label, kn.lo, kn.hi, kn.default, kn.step, key=kn.key,
                      bind="query-params", help=tip)


asked = st.query_params.get("race_family")
if asked is not None and asked not in cmp.RACE_FAMILIES:
    ignored("race_family", asked, f"the race knows the families "
            f"{', '.join(cmp.RACE_FAMILIES)}; showing {cmp.RACE_FAMILIES[0]}.")
family = st.radio("family of q", cmp.RACE_FAMILIES, key="race_family", horizontal=True,
                  bind="query-params",
                  help="The distribution q(z; φ) whose gradient ∇_φ E_q[f(z)] is estimated.")
c2, c3 = st.columns([2, 3])
cost = c2.selectbox("cost f(z)", cmp.cost_names(family), key=f"race_cost_{family}",
                    bind="query-params",
                    help="The function averaged under q; its exact expected gradient is known.")
c3.latex(TOY_COSTS[cost].latex)
knobs = rf.knobs(family)
*values, k = (knob(col, kn) for col, kn in zip(st.columns(len(knobs)), knobs))
values, names = tuple(values), list(rf.gradient_names(family))
if family in rf.CAPTIONS:
    st.caption(rf.CAPTIONS[family])
m1, m2, m3, m4 = st.columns([3, 1, 1, 1])
methods = m1.multiselect("estimators to race", METHODS[family], list(METHODS[family][:2]),
                         key=f"race_methods_{family}", bind="query-params")
baseline_names = [cmp.baseline_name(b) for b in BASELINES]  # the URL says "none" for None
baseline = BASELINES[baseline_names.index(m2.radio("REINFORCE baseline b", baseline_names,
                                                   key="race_baseline", bind="query-params",
                                                   help="b is subtracted from f(z) in the "
                                                        "score-function estimator: no bias, "
                                                        "less variance when b ≈ E[f]."))]
spe = m3.select_slider("samples per estimate S", cmp.SPE_CHOICES, 1, key="race_spe",
                       bind="query-params",
                       help="Each estimate averages S samples: its variance falls as 1/S.")
tau = m4.select_slider("τ (relaxed)", ESTIMATOR_TAU_GRID, TAU_DEFAULT, key="race_tau",
                       disabled=not cmp.uses_tau(family),
                       help="The temperature of the Gumbel-softmax / concrete relaxation: small "
                            "τ is nearly discrete (low bias, high variance).")

exact, err = ed.exact(family, cost, values, k)
if exact is None:
    st.error(f"No exact gradient for these settings ({err}); move the sliders back.")
    st.stop()
if not methods:
    st.info("Pick at least one estimator to race.")
    st.stop()
runs = {}
for m in methods:
    r = ed.estimates(family, cost, values, k, m, baseline, spe, tau)
    if r["error"]:
        st.warning(f"**{m}** is not shown: {r['error']}")
    else:
        runs[m] = r
        if r["dropped"]:
            st.warning(f"**{m}**: {r['dropped']} of {cmp.N_EST} estimates were NaN/∞ and were "
                       "dropped — the parameters are at a numerical extreme.")
for note in cmp.degeneracy_notes(family, values, cost):
    st.info(note)
if not runs:
    st.stop()
label = {m: cmp.label(m, baseline) for m in runs}
desc = f"{cost}, {knobs[-1].label.split()[-1]} = {k:g}"
left, right = st.columns(2)
with left:
    show(histogram_figure({label[m]: r["g"][:, 0] for m, r in runs.items()}, exact[0],
                          title=f"{cmp.N_EST} estimates of {names[0]} E_q[f(z)] ({desc}, S = {spe}) "
                                "around the exact gradient (black line)", x_title=names[0]),
         key="race_hist", chars=60)
with right:
    show(cloud_figure({label[m]: r["g"][:, :2] for m, r in runs.items()}, exact[:2],
                      title=f"The 2-D gradient ({names[0]}, {names[1]}): one point per estimate, "
                            "exact gradient ★", axis_titles=tuple(names)), key="race_cloud", chars=60)

rows = []
for m, r in runs.items():
    s = cmp.estimate_stats(r["g"], exact)
    rows.append({"estimator": label[m], f"bias {names[0]}": s["bias"][0],
                 f"bias {names[1]}": s["bias"][1], f"variance {names[0]}": s["variance"][0],
                 f"variance {names[1]}": s["variance"][1], f"SNR {names[0]}": s["snr"][0],
                 f"SE of mean {names[0]}": s["se"][0],
                 "µs per estimate (S samples)": 1e6 * r["seconds"]})
st.dataframe(pd.DataFrame(rows).set_index("estimator"), key="race_table",
             column_config={c: st.column_config.NumberColumn(format="%.4g") for c in rows[0]
                            if c != "estimator"})
st.caption(f"Exact gradient: {names[0]} = {exact[0]:.4g}, {names[1]} = {exact[1]:.4g}. "
           "SNR = |mean| / standard deviation of one estimate. A bias smaller than about 2 SE "
           "is indistinguishable from 0 with this many estimates.")


@st.fragment
def scaling():
    st.subheader("Variance against the number of samples per estimate")
    st.markdown("Averaging S independent samples divides the variance by S (slope −1 on "
                "log-log axes) for every unbiased estimator; a baseline or the pathwise form "
                "moves the whole line down. The leave-one-out baseline needs S ≥ 2.")
    curves = {label[m]: ed.variance_curve(family, cost, values, k, m, baseline, tau) for m in runs}
    flat0 = [n for n, c in curves.items() if not (c[1] > 0).any()]
    exact_v = {label[m]: cmp.analytic_variance(m, baseline, cost, values, k, family)
               for m in runs}
    show(variance_scaling_figure({n: c[0] for n, c in curves.items()},
                                 {n: c[1] for n, c in curves.items()},
                                 title=f"Variance of {names[0]} estimates vs samples per estimate "
                                       "S (log-log); dashed: slope −1, Var ∝ 1/S",
                                 analytic={n: v for n, v in exact_v.items() if v is not None}),
         key="race_scaling", chars=80)
    if flat0:
        st.caption(f"Not drawn (variance exactly 0, off a log axis): {', '.join(flat0)}.")
    if any(v is not None for v in exact_v.values()):
        st.caption("Dotted: the closed-form variance for (z − k)², e.g. 4σ²/S for reparam and "
                   "((μ−k)⁴ + 18(μ−k)²σ² + 15σ⁴)/σ² − 4(μ−k)², divided by S, for REINFORCE.")


scaling()
