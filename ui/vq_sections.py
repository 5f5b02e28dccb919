"""Sections of the VQ-VAE codebook page: hand-edited codes and the β_c family (widgets and
layout only; the numbers come from ui.vq_data)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from explorer.plots.codebook import commitment_effect
from explorer.plots.images import image_grid, image_row
from explorer.views import vq_views
from trainer import RunRecord, RunSpec
from trainer.class_models import UNFINISHED

from ui import vq_data
from ui.figures import show
from ui.point_picker import point_input
from ui.widget_state import clamp_state


@st.fragment
def reconstructions(rec: RunRecord, image_shape: tuple[int, ...]):
    """A test point's codes, one position hand-edited, and that position swept over the most
    used codes. Its own fragment: the pickers redraw these two figures only."""
    spec, epoch = rec.spec, rec.checkpoint_epoch
    cur = vq_data.encodings(rec.run_id, epoch, spec.dataset)
    n_pos, k_max = spec.latent_dim, spec.n_categories - 1
    clamp_state("vq_n", range(1, n_pos + 1), 1)
    clamp_state("vq_k", range(k_max + 1), 0)
    c1, c2, c3 = st.columns(3)
    i = point_input(len(cur["x"]), c1)
    n = int(c2.number_input("Position n to edit", 1, n_pos, 1, key="vq_n", bind="query-params",
                            help="Which of the image's code positions gets another codebook "
                                 "vector (1-based)."))
    k = int(c3.number_input("Code k to put there", 0, k_max, 0, key="vq_k", bind="query-params",
                            help="The codebook vector e_k written at position n; the decoder "
                                 "redraws the image from the edited code."))
    codes_one = cur["codes"][i]
    label = f" (label {cur['y'][i]})" if cur["y"] is not None else ""
    st.markdown(f"Test point {i}{label}: codes (k₁ … k_N) = **{tuple(int(c) for c in codes_one)}**")
    edited = vq_data.edited_images(rec.run_id, epoch, codes_one, n - 1, [k])
    images = np.vstack([cur["x"][i][None], cur["recon"][i][None], edited])
    show(image_row(images, image_shape,
                   titles=["input x", "decode(z_q(x))", f"k_{n}: {codes_one[n - 1]} → {k}"],
                   title=f"Hand-edited code: position n = {n} set to code k = {k}, the other "
                         "codes as encoded; decoder means of p(x|z_q)"), key="vq_edit")
    top = vq_views.most_used(cur["usage"]["counts"], 16)
    sweep = vq_data.edited_images(rec.run_id, epoch, codes_one, n - 1, [int(t) for t in top])
    show(image_grid(sweep, image_shape, ncols=len(top),
                    titles=[f"k={t}{'•' if t == codes_one[n - 1] else ''}" for t in top],
                    title=f"Position n = {n} set to each of the {len(top)} most used codes (• = "
                          "the encoded one), other codes kept: decoder means of p(x|z_q)"),
         key="vq_sweep")


def commitment_section(spec: RunSpec, done_ids: set[str], beta_view: float):
    """Progress of the β_c family, its table, the figure and what the runs show (rerunning
    the page when a run finishes, so the β_c slider above gets it)."""
    status = vq_data.family_status(spec)
    for beta, r in status:
        if r is None:
            st.caption(f"β_c = {beta:g} · not trained yet")
        else:
            line = f"β_c = {beta:g} · run {r.run_id} · {r.status} · epoch {r.epoch} of {r.spec.epochs}"
            if r.status in UNFINISHED:
                st.progress(r.progress, text=line)
            else:  # a bar stays on screen as if something were still to come
                st.caption(line)
    now_rows, now_beta = vq_data.family(spec)
    if {r.run_id for r in now_beta.values()} != done_ids:
        st.rerun()  # a run finished: the β_c slider above needs it
    if not now_rows:
        return
    table = pd.DataFrame(now_rows).rename(columns={
        "commitment": "β_c", "run_id": "run", "test_reconstruction": "test log p(x|z_q)",
        "test_perplexity": "test perplexity", "test_dead_codes": "test dead codes",
        "commitment_loss": "‖z_e − sg[e]‖² (train)", "codebook_loss": "‖sg[z_e] − e‖² (train)",
        "test_elbo": "test ELBO"})
    st.dataframe(table, hide_index=True)
    if len(now_rows) < 2:
        st.caption("One finished run so far; the comparison needs two.")
        return
    show(commitment_effect(now_rows, current=beta_view), key="vq_beta_effect")
    trends = [("commitment_loss", "‖z_e − e‖² (commitment loss)"),
              ("test_perplexity", "Test perplexity"), ("test_dead_codes", "Dead codes"),
              ("test_reconstruction", "Test reconstruction log p(x|z_q)")]
    st.markdown("**What these runs show:** " + " ".join(
        vq_views.describe_trend(now_rows, key, label) for key, label in trends)
        + " One seed per β_c: small differences may be noise.")
