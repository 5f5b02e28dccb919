"""The Objectives page's prior-match section: what the KL, L2 and MMD regularisers leave of
the match between the aggregate posterior q(z) and p(z), and the samples it generates."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from explorer import data
from explorer.plots.images import image_grid
from explorer.plots.prior_match import marginal_histograms

from ui.figures import show
from ui.objectives_data import prior_match_for
from ui.state import get_store

SHOWN_DIMS = 4  # histogram panels


def prior_match_section(rows: list[dict], dataset: str):
    """Sample grids and q(z)-vs-p(z) numbers for the ELBO-objective runs (KL, L2, MMD)."""
    st.subheader("Prior match: KL, L2 and MMD")
    st.markdown("Generating a digit means drawing z ~ p(z), then x ~ p(x|z): the decoder only produces good "
                "digits where the codes it was trained on, z ~ q(z|x), actually lie. The KL "
                "term pulls every q(z|x) towards p(z); the L2 penalty pulls q's parameters "
                "(μ, σ) towards (0, 1); the MMD penalty pulls the *aggregate* posterior "
                "q(z) as a whole towards p(z) and leaves each q(z|x) free.")
    st.latex(r"q(z) = \frac{1}{N}\sum_{n=1}^{N} q(z|x_n),\qquad R_{\mathrm{KL}} = "
             r"\mathrm{KL}(q(z|x)\,\|\,p(z)),\quad R_{L2} = \textstyle\sum_j \mu_j^2 + "
             r"(\sigma_j - 1)^2,\quad R_{\mathrm{MMD}} = \mathrm{MMD}^2(q(z), p(z))")
    runs = [r for r in rows if r["objective"] == "elbo"]
    if not runs:
        st.info("No finished ELBO-objective run (KL, L2 or MMD regulariser) of this network "
                "yet.")
        return
    store, info = get_store(), data.info(dataset)
    stats = {r["run_id"]: prior_match_for(r["run_id"], store.get(r["run_id"]).checkpoint_epoch,
                                          dataset) for r in runs}
    for col, r in zip(st.columns(min(3, len(runs))), runs[:3]):
        with col:
            show(image_grid(stats[r["run_id"]]["samples"], info.image_shape, ncols=6,
                            title=f"{r['label']}: E[x|z], z ~ p(z)"), key=f"obj_samples_{r['run_id']}",
                 chars=40)
    st.dataframe(pd.DataFrame([{
        "objective": r["label"], "MMD²(q(z), p(z))": stats[r["run_id"]]["mmd2"],
        "KL(N(m, S) ‖ N(0, I))": stats[r["run_id"]]["kl_moment"],
        "same, z ~ p(z)": stats[r["run_id"]]["kl_moment_floor"],
        "mean |m_j|": float(np.abs(stats[r["run_id"]]["mean"]).mean()),
        "mean var_j": float(stats[r["run_id"]]["var"].mean()), "run": r["run_id"]}
        for r in runs]), hide_index=True, key="obj_prior_table",
        column_config={c: st.column_config.NumberColumn(format="%.3f") for c in (
            "MMD²(q(z), p(z))", "KL(N(m, S) ‖ N(0, I))", "same, z ~ p(z)", "mean |m_j|",
            "mean var_j")})
    st.caption("One z ~ q(z|x) per test point. m and S: the mean and covariance of those "
               "samples (p(z): m = 0, S = I); 'same, z ~ p(z)' is that KL for as many samples "
               "of p(z) itself, the floor a perfect match reaches with this many samples. MMD² "
               "with the kernel exp(−‖a − b‖² / 2d) of the MMD regulariser, unbiased (it can "
               "dip below 0).")
    labels = {r["run_id"]: f"{r['label']} · {r['run_id']}" for r in runs}
    chosen = st.selectbox("Run for the histograms", list(labels), format_func=labels.get,
                          key="obj_prior_run")
    s = stats[chosen]
    mismatch = s["mean"] ** 2 + (s["var"] - 1.0) ** 2
    dims = sorted(np.argsort(mismatch)[::-1][:SHOWN_DIMS].tolist())
    show(marginal_histograms(s["z"], dims), key="obj_prior_hist", chars=90)
    st.caption(f"The {len(dims)} coordinates z_j whose q(z_j) is furthest from N(0, 1) in mean "
               "and variance (m_j² + (v_j − 1)²). An unused coordinate has q(z_j|x) = p(z_j) "
               "for every x, so its histogram sits on the prior line.")
