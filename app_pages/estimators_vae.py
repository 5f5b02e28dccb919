"""Gradient estimators on a real VAE: encoder-gradient noise on real data, and training curves."""
import numpy as np
import pandas as pd
import streamlit as st

from explorer.plots.encoder_gradients import snr_histogram
from explorer.plots.training import compare_curves
from trainer import families
from ui import jobs
from ui import estimator_vae_data as ed
from ui.figures import show
from ui.latent_data import test_codes
from ui.point_picker import point_input
from explorer.models.gaussian import has_diagonal_encoder
from ui.run_picker import checkpointed_run
from ui.state import get_store

st.title("Gradient estimators on a real VAE")
st.markdown("The encoder's gradient of E_q[log p(x|z)] by the reparameterisation trick and by "
            "the score function (REINFORCE), for a trained run's encoder on real test data. "
            "Each estimate uses one z ~ q(z|x).")
st.latex(r"\underbrace{\mathbb{E}_\epsilon\big[\nabla_\phi \log p(x\,|\,\mu_\phi+\sigma_\phi\epsilon)\big]}"
         r"_{\text{pathwise}} \;=\; \underbrace{\mathbb{E}_{q_\phi}\big[(\log p(x|z) - b)\,"
         r"\nabla_\phi \log q_\phi(z|x)\big]}_{\text{score function}}")
st.caption("Only each weight's mean and variance over the estimates is kept: a Linear "
           "layer's gradient for estimate i is δᵢaᵀ (its output gradient δᵢ times its input a, "
           "the same for every estimate), so both sums need only δ and a (one test point):")
st.latex(r"\bar g = \bar\delta\, a^\top, \qquad \sum_i (g_i - \bar g)^2 = "
         r"\Big(\sum_i (\delta_i - \bar\delta)^2\Big)\,(a^2)^\top")
rec = checkpointed_run(view="encoder_gradients", where=has_diagonal_encoder)
codes = test_codes(rec.run_id, rec.checkpoint_epoch, rec.spec.dataset)
c1, c2 = st.columns(2)
i = point_input(len(codes["mu"]), c1)
n = c2.select_slider("Gradient samples per estimator", [100, 250, 500, 1000, 2000], 500, key="n_grad")
stats = ed.encoder_noise(rec.run_id, rec.checkpoint_epoch, rec.spec.dataset, i, n)
table = pd.DataFrame([{"estimator": name, **{k: v for k, v in s.items() if k != "snr"}}
                      for name, s in stats.items()])
st.dataframe(table, hide_index=True, column_config={
    "mean variance": st.column_config.NumberColumn(format="%.3g"),
    "median SNR": st.column_config.NumberColumn(format="%.3g"),
    "seconds": st.column_config.NumberColumn(format="%.2f")})
show(snr_histogram({k: s["snr"] for k, s in stats.items()}), key="snr_hist")

st.subheader("Learning curves: the same VAE trained with each estimator")
store = get_store()
runs = families.estimator_runs(rec.spec, store.list())
missing = families.missing(families.estimator_specs(rec.spec), runs.values())
if missing and st.button(f"Train the {len(missing)} missing variant(s) in the background",
                         key="train_variants"):
    if len(jobs.submit_all(missing)) == len(missing):  # else the reason is shown
        st.rerun()


@st.fragment(run_every=2.0)
def curves():
    shown = {}
    for name, r in runs.items():
        m = store.metrics(r.run_id)
        if m["step"]:
            k = max(1, len(m["step"]) // 400)
            w = min(9, len(m["elbo"]))
            elbo = np.convolve(m["elbo"], np.ones(w) / w, mode="valid")  # moving average
            steps = np.asarray(m["step"][w - 1:])
            shown[f"{name} · {store.get(r.run_id).status}"] = (steps[::k], elbo[::k])
    if shown:
        show(compare_curves(shown, "Training ELBO per batch (smoothed) for each encoder-gradient "
                                   "estimator; everything else in the spec is the same"),
             key="estimator_curves")
    else:
        st.caption("No variants trained yet.")


curves()
