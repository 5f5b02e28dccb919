"""Bound ladder: ELBO ≤ L_1 ≤ … ≤ L_5000 ≤ log p(x) for one test point of a trained run."""
import numpy as np
import streamlit as st

from explorer import data
from explorer.bounds.sweeps import LADDER_KS
from explorer.plots.bounds import (bound_ladder, family_gap_bars, gap_histogram,
                                   posterior_q_contours, renyi_curve)
from explorer.plots.latent import latent_scatter
from ui import bounds_data as bd
from ui import posterior_family_data as pfd
from ui.figures import show
from ui.latent_data import projection, test_codes
from ui.point_picker import SCATTER_KEY, point_input, sync_click_to_point
from ui.run_picker import checkpointed_run

st.title("Bound ladder")
st.markdown("Importance weighting tightens the ELBO: with k samples z_i ~ q(z|x) and weights "
            "w_i = p(x, z_i)/q(z_i|x), the IWAE bound (Burda et al. 2015) climbs to log p(x):")
st.latex(r"\mathcal{L}_k(x) = \mathbb{E}\Big[\log \tfrac{1}{k}\sum_{i=1}^k w_i\Big],\qquad "
         r"\text{ELBO} = \mathcal{L}_1 \le \mathcal{L}_k \le \mathcal{L}_{k'} \le \log p(x)"
         r"\quad (k \le k')")
rec = checkpointed_run(view="bound_ladder")
spec, epoch = rec.spec, rec.checkpoint_epoch
args = (rec.run_id, epoch, spec.dataset)
codes = test_codes(*args)
n, d = codes["mu"].shape
sync_click_to_point()
c1, c2 = st.columns([1, 3])
i = point_input(n, c1)
label = f", label {codes['y'][i]}" if codes["y"] is not None else ""

left, right = st.columns(2)
with left:
    coords, idx = projection(*args, "pca")
    fig = latent_scatter(coords, codes["y"][idx] if codes["y"] is not None else None,
                         codes["sigma"][idx] if d == 2 else None, selected=[i], indices=idx,
                         title="Click a test point (posterior means μ(x); PCA when d > 2)")
    show(fig, key=SCATTER_KEY, chars=55, on_select="rerun", selection_mode="points")
with right:
    pv = bd.point_view(*args, i)  # None (and a progress bar) while it is computed
    if pv is not None:
        lad, exact = pv["ladder"], pv["exact"]
        show(bound_ladder(lad["k"], lad["mean"], lad["se"], exact=exact, elbo=lad["mean"][0],
                          title=f"L_k for test point {i}{label}: mean ± 2 SE of repeated "
                                "estimates"), key="ladder", chars=55)
    k = st.select_slider("k (importance samples)", list(LADDER_KS), value=100, key="k",
                         bind="query-params",
                         help="Samples z₁ … z_k ~ q(z|x) inside the log of L_k = E log "
                              "(1/k) Σ p(x, z_i)/q(z_i|x); k = 1 is the ELBO.")
    if pv is not None:
        j = list(LADDER_KS).index(k)
        c = st.columns(3)
        c[0].metric(f"L_{k} (± 1 SE)", f"{lad['mean'][j]:.1f}", f"± {lad['se'][j]:.2f}",
                    delta_color="off")
        c[1].metric("ESS of the weights", f"{pv['ess'][k]:.1f} of {k}",
                    help="(Σw)²/Σw²: how many samples effectively count. A small ESS means q "
                         "misses where p(z|x) is.")
        if exact is not None:
            c[2].metric(f"log p(x) − L_{k}", f"{exact - lad['mean'][j]:.2f}")
        else:
            c[2].caption("d > 2: no exact log p(x); L_5000 is the best estimate here.")

st.subheader("The Rényi family")
alpha = st.slider("α", 0.0, 1.0, 0.5, 0.05, key="alpha", bind="query-params",
                  help="The order of the Rényi bound L_α (Li & Turner 2016): α = 0 is L_k, "
                       "α = 1 the ELBO, in between an interpolation.")
if pv is not None:
    show(renyi_curve(*pv["renyi"], alpha, exact=exact,
                     title=f"L_α with k = {bd.RENYI_K} samples for test point {i}: α = 0 is "
                           f"L_{bd.RENYI_K}, α = 1 the ELBO"), key="renyi")
else:
    st.caption("The L_α curve follows with the ladder above.")
st.latex(r"\mathcal{L}_\alpha = \frac{1}{1-\alpha}\log \frac{1}{k}\sum_i w_i^{\,1-\alpha}")

st.subheader("Where the gap comes from")
st.markdown("The inference gap log p(x) − ELBO(q_φ) splits into the **approximation gap** (the "
            "best Gaussian q* for this x, found by per-point SVI, still misses p(z|x)) and the "
            "**amortization gap** (the encoder's q_φ is worse than q*) — Cremer et al. 2018.")
if st.button("Optimise q for this point (SVI) and split its gap", key="run_gaps"):
    st.session_state[f"gaps_{rec.run_id}_{epoch}_{i}"] = True
gaps = bd.gaps_view(*args, (i,)) if st.session_state.get(f"gaps_{rec.run_id}_{epoch}_{i}") else None
if gaps is not None:
    g = st.columns(4)
    g[0].metric("log p(x)" + (" (exact)" if gaps["log_px_method"] == "exact" else " (L_k)"),
                f"{gaps['log_px'][0]:.2f}")
    g[1].metric("ELBO of encoder q_φ", f"{gaps['elbo_amortized'][0]:.2f}")
    g[2].metric("approximation gap", f"{gaps['approximation_gap'][0]:.3f}")
    g[3].metric("amortization gap", f"{gaps['amortization_gap'][0]:.3f}")

st.markdown("**What a richer q buys.** Fit the best q* of three nested families for this x — "
            "diagonal ⊂ full covariance ⊂ flow — and compare their approximation gaps "
            "log p(x) − ELBO(q*) on the same model (Cremer et al. 2018 compare a factorised "
            "Gaussian with a flow the same way).")
st.latex(r"\log p(x) - \mathrm{ELBO}(q^*_F) = \min_{q \in F} \mathrm{KL}\big(q(z)\,\|\,p(z|x)\big)")
if st.button("Fit q* per family (diagonal, full covariance, flow)", key="run_family_gaps"):
    st.session_state[f"fgaps_{rec.run_id}_{epoch}_{i}"] = True
fam = (pfd.family_gaps_view(*args, i) if st.session_state.get(f"fgaps_{rec.run_id}_{epoch}_{i}")
       else None)
if fam is not None:
    names = list(fam["families"])
    show(family_gap_bars(names, [fam["families"][f]["approximation_gap"] for f in names],
                         [fam["families"][f]["elbo_se"] for f in names],
                         title=f"Approximation gap by family of q* for test point {i} "
                               f"(log p(x) {'exact' if fam['log_px_method'] == 'exact' else 'by L_k'}"
                               "; ± 2 SE)"), key="family_gaps")
    st.caption(" · ".join(f"{f}: ELBO(q*) {fam['families'][f]['elbo']:.2f}" for f in names)
               + f" · encoder q_φ: ELBO {fam['elbo_amortized']:.2f} · log p(x) {fam['log_px']:.2f}")
if d == 2 and pv is not None:
    z_axes, log_post = pv["axes"], pv["log_post"]
    log_q = {f"encoder q_φ ({getattr(spec, 'posterior', 'diagonal')})": pv["log_q"]}
    if fam is not None:
        log_q.update({f"q* {f}": fam["log_q"][f] for f in fam["families"]})
    ellipses = None
    if gaps is not None:
        ellipses = {"diagonal q* (gap split)": (gaps["q_optimal_mean"][0], gaps["q_optimal_std"][0])}
    show(posterior_q_contours(z_axes[0], z_axes[1], log_post, log_q, ellipses,
                              title="Exact posterior p(z|x) (shaded) and q(z|x) contours at "
                                    "e^−½ and e^−2 of each q's peak"), key="posterior")

st.subheader("Gaps over the test set")
tb = (bd.test_set_view(*args, 100) if st.toggle("Compute for the first test points", key="test_gaps")
      else None)
if tb is not None:
    hist = {"L_100 − ELBO": tb["iwae"] - tb["elbo"]}
    if "exact" in tb:
        hist = {"log p(x) − ELBO": tb["exact"] - tb["elbo"], "log p(x) − L_100": tb["exact"] - tb["iwae"]}
    show(gap_histogram(hist, title=f"Per-example gaps on {len(tb['elbo'])} test points of "
                                   f"{data.info(spec.dataset).title} (nats)"), key="gap_hist")
    st.caption(f"Mean ELBO {np.mean(tb['elbo']):.2f}, mean L_100 {np.mean(tb['iwae']):.2f}"
               + (f", mean log p(x) {np.mean(tb['exact']):.2f}" if "exact" in tb else "") + " nats.")
