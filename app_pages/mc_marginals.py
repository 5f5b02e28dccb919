"""Monte Carlo marginals: naive vs importance-sampling estimates of log p(x); Jensen's gap."""
import streamlit as st

from explorer.toys import marginals as mc
from explorer.toys import posterior as tp
from explorer.plots.toys import mc_convergence_figure, mc_jensen_figure
from ui import live
from ui import toy_data as toy

st.title("Monte Carlo marginals")
st.markdown(
    "The marginal p(x) = ∫ p(x|z) p(z) dz is an expectation under the prior, so eq. (1) of "
    "the second lecture estimates it with prior samples. That works when x is typical and "
    "fails when x is in the tail: almost no z ~ p(z) explains x. Sampling z from a proposal q "
    "near the posterior and reweighting fixes it. Model: p(z) = N(0, 2²), "
    "p(x|z) = N(x; tanh z + z, 0.5²); the exact log p(x) comes from quadrature.")
st.latex(r"p(x) = \mathbb{E}_{z\sim p(z)}[p(x|z)] \approx \frac{1}{n}\sum_{i=1}^n p(x|z_i)"
         r"\qquad p(x) = \mathbb{E}_{z\sim q}\Big[\frac{p(x,z)}{q(z)}\Big] \approx "
         r"\frac{1}{n}\sum_{i=1}^n w_i,\ \ w_i = \frac{p(x,z_i)}{q(z_i)}")

th = mc.THETA_TAIL
N_MAX, SEEDS = toy.MC_N_MAX, toy.MC_SEEDS
CONTROLS = (
    live.control("x", "Observation x", url="mc_x", lo=-12.0, hi=12.0, step=0.1,
                 help="The data point whose log p(x) is estimated; in the tail (|x| large) prior "
                      "samples rarely explain it."),
    live.control("m", "proposal q mean", url="mc_qm", lo=-10.0, hi=10.0, step=0.1,
                 help="The mean of the proposal q(z) the importance weights w = p(x,z)/q(z) use; "
                      "near the posterior mean the estimate is good."),
    live.control("v", "proposal q variance", url="mc_qv", options=tp.VARIANCE_CHOICES,
                 help="The variance of q (not σ). Too narrow a q gives heavy-tailed weights w."),
    live.control("reps", "repetitions", url="mc_reps", options=(20, 50, 100, 200),
                 help="Independent repetitions of each estimate; the bands are their 10–90%."))
DEFAULTS = {"x": mc.X_TAIL, "m": mc.Q_TAIL[0], "v": mc.Q_TAIL[1], "reps": 100}


# The first paint, per link: the prior samples do not depend on q (each half ≈0.15–0.6 s).
@st.cache_data(max_entries=16, show_spinner="Sampling from the prior…")
def naive_estimates(x: float, reps: int):
    return mc.naive_estimates(x, th, N_MAX, reps, seed=SEEDS["naive"]), tp.log_evidence(x, th)


@st.cache_data(max_entries=16, show_spinner="Sampling from q…")
def importance_estimates(x: float, m: float, v: float, reps: int):
    return (mc.importance_estimates(x, th, (m, v), N_MAX, reps, seed=SEEDS["importance"]),
            tp.elbo(x, th, m, v))


def convergence(x: float, m: float, v: float, reps: int):
    (naive, exact), (imp, _) = naive_estimates(x, reps), importance_estimates(x, m, v, reps)
    return mc_convergence_figure(naive.ns, mc.spread(naive.log_mean_w), mc.spread(imp.log_mean_w),
                                 exact, x, reps)


def jensen(x: float, m: float, v: float, reps: int):
    (_, exact), (imp, elbo) = naive_estimates(x, reps), importance_estimates(x, m, v, reps)
    return mc_jensen_figure(imp.ns, mc.spread(imp.log_mean_w), mc.spread(imp.mean_log_w), exact,
                            elbo)


live.link_notices(CONTROLS)
val = live.current("mc_live", CONTROLS, DEFAULTS)
at = (val["x"], val["m"], val["v"], int(val["reps"]))
live.reporting_view(
    "marginals", "convergence", key="mc_live", group="mc", values=val, controls=CONTROLS,
    filename="mc_convergence", data=toy.MC_LIVE,
    figure=live.figure(convergence, *at, key="mc_convergence", chars=80))
st.caption("The four sliders move in your browser: it draws the same standard normals as the "
           "server (a counter-based generator), so the estimates, bands and texts are the "
           "library's.")

st.subheader("Jensen's gap on the same samples")
st.markdown("The log of the average weight estimates log p(x); the average of the log weights "
            "estimates the ELBO. By Jensen's inequality the first is ≥ the second on **every** "
            "repetition, and for large n their gap tends to KL(q ‖ p(z|x)).")
st.latex(r"\log \frac{1}{n}\sum_i w_i \;\ge\; \frac{1}{n}\sum_i \log w_i"
         r"\quad\xrightarrow{n\to\infty}\quad \log p(x) \;\ge\; \mathcal{L}(x;\theta,q)")
live.view("marginals", "jensen", key="mc_jensen", group="mc", values=val, data={"chars": 80},
          filename="mc_jensen", figure=live.figure(jensen, *at, key="mc_jensen", chars=80))
