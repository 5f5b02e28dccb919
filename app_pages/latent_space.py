"""Latent space page: where the data lands in z, and what the decoder makes of z."""
import streamlit as st

from explorer import data
from explorer.plots.latent import latent_scatter
from ui import latent_sections as sections
from ui.figures import show_built
from ui.latent_data import (checkpoint_stamp, codes_csv, knn_accuracy, model_for, projection,
                            test_codes)
from ui.learning_view import watch_it_learn
from ui.point_picker import SCATTER_KEY, point_input, sync_click_to_point
from ui.run_picker import checkpointed_run

st.title("Latent space")
st.markdown("The encoder maps each test point x to q(z|x) = N(μ(x), diag σ²(x)); the decoder "
            "turns any z into p(x|z). Click a point (or type its index) to inspect it.")
rec = checkpointed_run(view="latent_space")
spec, epoch = rec.spec, rec.checkpoint_epoch
model = model_for(rec.run_id, epoch)
info = data.info(spec.dataset)
codes = test_codes(rec.run_id, epoch, spec.dataset)
n, d = codes["mu"].shape
images = info.image_shape is not None

live = rec.status in ("queued", "running")
# What every figure of this model depends on besides its sliders (the checkpoint's date too: a
# reset run reaches the same epochs again with other weights, and the frames outlive the server).
run = (rec.run_id, epoch, checkpoint_stamp(rec.run_id))
watch_it_learn(rec.run_id, live)

sync_click_to_point()
c1, c2, c3 = st.columns([1, 1, 2])
i = point_input(n, c1)
j = c2.number_input("Second point (interpolation)", 0, n - 1, min(1, n - 1), key="point_b",
                    bind="query-params")
method, shown = "pca", "PCA"
if d > 2:
    shown = c3.radio("Projection of μ to 2-D", ["PCA", "t-SNE"], horizontal=True, key="proj",
                     bind="query-params")
    method = {"PCA": "pca", "t-SNE": "tsne"}[shown]



def scatter(coords, labels, sigma, selected: list, idx, title: str, point_name: str):
    return latent_scatter(coords, labels, sigma, selected=selected, indices=idx, title=title,
                          point_name=point_name)


left, right = st.columns(2)
with left:
    coords, idx = projection(rec.run_id, epoch, spec.dataset, method)
    labels = codes["y"][idx] if codes["y"] is not None else None
    title = ("Posterior means μ(x) of q(z|x) on the test set; ellipses: 1σ and 2σ of the selected point"
             if d == 2 else f"{shown} projection of the {d}-D posterior means μ(x)")
    show_built(scatter, coords, labels, codes["sigma"][idx] if d == 2 else None,
               [p for p in (i, j) if p in set(idx.tolist())], idx, title,
               "μ" if d <= 2 else f"{shown} of μ", key=SCATTER_KEY, chars=55,
               by=(*run, method, i, j), on_select="rerun", selection_mode="points")
    acc = knn_accuracy(rec.run_id, epoch, spec.dataset)
    if acc is not None:
        st.caption(f"5-nearest-neighbour accuracy of the labels from μ (half the test set "
                   f"predicting the other half): **{acc:.2f}** — how well z separates the classes.")
    st.download_button("⬇ Latent codes of the test set (CSV)", key="codes_csv", mime="text/csv",
                       data=lambda: codes_csv(model, spec.dataset), on_click="ignore",
                       file_name=f"latent-codes-{rec.run_id}-epoch{epoch}.csv",
                       help="index, label, μ_1..μ_d and σ_1..σ_d of q(z|x) for every test point")
with right:
    if images and d == 2:
        sections.manifold(model, info.image_shape, run)
    elif not images:
        sections.data_space(model, codes)
    else:
        sections.active_units(codes["kl_dim"], run)

if images:
    st.subheader("The selected point")
    sections.one_point(model, codes["x"][i], codes["recon"][i], info.image_shape,
                       codes["y"][i] if codes["y"] is not None else "–", (*run, i))
    st.subheader("Interpolation")
    sections.interpolation(model, codes["x"][i], codes["x"][j], i, j, info.image_shape, run)
    st.subheader("Samples from the prior")
    sections.prior_samples(model, info.image_shape, run)
    st.subheader("Traversals")
    sections.traversal(model, codes["mu"][i], codes["kl_dim"], info.image_shape, (*run, i))
if (images and d == 2) or not images:  # otherwise the bars already stand beside the scatter
    st.subheader("Active units")
    sections.active_units(codes["kl_dim"], run)
