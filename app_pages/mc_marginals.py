"""Monte Carlo marginals: naive vs importance-sampling estimates of log p(x); Jensen's gap."""
import numpy as np
import streamlit as st

from explorer.toys import marginals as mc
from explorer.toys import posterior as tp
from explorer.plots.toys import BLUE, GREEN, ORANGE, RED, mc_figure
from ui.figures import show

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
c1, c2, c3, c4 = st.columns(4)
x = c1.slider("Observation x", -12.0, 12.0, mc.X_TAIL, 0.1, key="mc_x", bind="query-params",
              help="The data point whose log p(x) is estimated; in the tail (|x| large) prior "
                   "samples rarely explain it.")
m = c2.slider("proposal q mean", -10.0, 10.0, mc.Q_TAIL[0], 0.1, key="mc_qm", bind="query-params",
              help="The mean of the proposal q(z) the importance weights w = p(x,z)/q(z) use; "
                   "near the posterior mean the estimate is good.")
v = c3.select_slider("proposal q variance", tp.VARIANCE_CHOICES, mc.Q_TAIL[1], key="mc_qv",
                     bind="query-params",
                     help="The variance of q (not σ). Too narrow a q gives heavy-tailed "
                          "weights w.")
reps = c4.select_slider("repetitions", (20, 50, 100, 200), 100, key="mc_reps")
n_max = 10_000


# Two caches: the prior samples do not depend on q, so moving q's sliders redraws with the
# naive estimates already in hand (each half costs ≈0.15–0.6 s).
@st.cache_data(max_entries=64, show_spinner="Sampling from the prior…")
def naive_estimates(x: float, reps: int):
    return mc.naive_estimates(x, th, n_max, reps, seed=1), tp.log_evidence(x, th)


@st.cache_data(max_entries=128, show_spinner="Sampling from q…")
def importance_estimates(x: float, m: float, v: float, reps: int):
    return mc.importance_estimates(x, th, (m, v), n_max, reps, seed=2), tp.elbo(x, th, m, v)


(naive, exact), (imp, elbo) = naive_estimates(x, reps), importance_estimates(x, m, v, reps)
ns = naive.ns
floor = exact - 30.0
show(mc_figure(ns, [("naive, z ~ p(z)", mc.spread(naive.log_mean_w), RED),
                    ("importance, z ~ q", mc.spread(imp.log_mean_w), BLUE)],
               [("exact log p(x)", exact, "black")], y_floor=floor,
               title=f"Estimates log p̂(x) of eq. (1) vs the number of samples n, x = {x:g}: naive "
                     f"(prior samples) vs importance sampling; bands: 10–90% of {reps} repetitions"),
     key="mc_convergence", chars=80)
i100 = int(np.searchsorted(ns, 100))
off = np.mean(np.abs(naive.log_mean_w[:, i100] - exact) > 1.0)
k1, k2, k3 = st.columns(3)
k1.metric("exact log p(x)", f"{exact:.3f}")
k2.metric(f"naive, n = {ns[i100]}: median", f"{np.median(naive.log_mean_w[:, i100]):.2f}",
          help="median over repetitions of log p̂")
k3.metric(f"importance, n = {ns[i100]}: median", f"{np.median(imp.log_mean_w[:, i100]):.3f}")
st.caption(f"At n = {ns[i100]}, {off:.0%} of the naive estimates are more than 1 nat off. "
           "Note p̂ itself is unbiased (its mean is p(x)), but log p̂ is biased low (Jensen) and, "
           "in the tail, p̂ is usually far too small with rare huge values. Below the plot's floor "
           f"({floor:.0f}) estimates are clipped from view.")
ess = mc.relative_ess(x, th, (m, v))
if ess < 0.01:
    st.warning(f"The proposal q = N({m:g}, {v:g}) misses the posterior: the effective sample size "
               f"is {ess:.1e} of n, so a handful of weights dominate and importance sampling is "
               "no better than the naive estimator. Move q toward the posterior (or widen it).")
if abs(x) > 10:
    st.warning(f"x = {x:g} is very far in the tail: log p(x) = {exact:.1f}. The naive estimator "
               "needs astronomically many prior samples; only a good proposal can estimate it.")

st.subheader("Jensen's gap on the same samples")
st.markdown("The log of the average weight estimates log p(x); the average of the log weights "
            "estimates the ELBO. By Jensen's inequality the first is ≥ the second on **every** "
            "repetition, and for large n their gap tends to KL(q ‖ p(z|x)).")
st.latex(r"\log \frac{1}{n}\sum_i w_i \;\ge\; \frac{1}{n}\sum_i \log w_i"
         r"\quad\xrightarrow{n\to\infty}\quad \log p(x) \;\ge\; \mathcal{L}(x;\theta,q)")
gap = imp.jensen_gap
show(mc_figure(ns, [("log (1/n Σ w)", mc.spread(imp.log_mean_w), BLUE),
                    ("(1/n) Σ log w", mc.spread(imp.mean_log_w), ORANGE)],
               [("exact log p(x)", exact, "black"), ("ELBO", elbo, GREEN)],
               y_floor=min(elbo, exact) - 5.0,
               title="Jensen on the same importance samples: log (1/n Σ w) ≥ (1/n) Σ log w; "
                     "they approach log p(x) and the ELBO, a gap of KL(q‖p(z|x))"),
     key="mc_jensen", chars=80)
st.caption(f"Smallest gap over all {reps} repetitions and all n ≥ 2: **{gap[:, 1:].min():.2e}** (≥ 0); "
           f"at n = {ns[-1]} the mean gap is {gap[:, -1].mean():.3f} vs KL = {exact - elbo:.3f}.")
