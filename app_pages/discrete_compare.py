"""Discrete vs Gaussian: test bounds of every finished run on one data set, side by side."""
import pandas as pd
import streamlit as st

from explorer import data
from explorer.plots.compare import comparison_bars
from trainer import RunSpec
from trainer.families import COLUMNS, comparison_rows, comparison_specs, latent_description
from ui import jobs
from ui.figures import show
from ui.spec_form import dataset_options
from ui.state import get_store

st.title("Discrete vs Gaussian latents")
st.markdown(
    "Every run reports the ELBO of its own model on the test set, so a Gaussian VAE, a "
    "categorical VAE trained through Gumbel-softmax and a DVAE trained through the "
    "spike-and-exponential smoothing are compared on the same footing: each number is a lower "
    "bound on that model's log-likelihood. The discrete models are scored with *hard* codes "
    "z ~ q(z|x), the model they define, whatever relaxation trained them.")
st.latex(r"\text{ELBO}(x) = \mathbb{E}_{q(z|x)}[\log p(x|z)] - \mathrm{KL}(q(z|x)\,\|\,p(z))"
         r"\qquad \text{VQ-VAE: } \log p(x|z_q(x)) - N\log K")
st.caption("A VQ-VAE's q is a point mass and its prior is uniform and never trained, so its "
           "KL is the constant N log K; compare it on the reconstruction term. Runs are listed "
           "best test ELBO first, VQ-VAEs last.")

store = get_store()
records = store.list()
datasets = [d for d in dataset_options() if any(r.spec.dataset == d for r in records)] or ["mnist5k"]
dataset = st.selectbox("Data set", datasets, key="cmp_dataset", bind="query-params")


@st.fragment(run_every=3.0)
def table():
    recs = store.list()
    rows = comparison_rows(recs, {r.run_id: store.evals(r.run_id) for r in recs
                                  if r.status == "done" and r.spec.dataset == dataset}, dataset)
    busy = [r for r in recs if r.spec.dataset == dataset and r.status in ("queued", "running")]
    for r in busy:
        st.progress(r.progress, text=f"{r.run_id} · {r.spec.model} · {r.status}")
    if not rows:
        st.info(f"No finished runs on {dataset} yet — train the line-up below, or any run on "
                "the **Train** page.")
        return
    frame = pd.DataFrame(rows, columns=COLUMNS)
    st.dataframe(frame, hide_index=True, key="cmp_table", column_config={
        c: st.column_config.NumberColumn(format="%.2f")
        for c in ("test ELBO", "E log p(x|z)", "KL", "L_k")})
    labels = [f"{r['model']} · {r['latent']} · {r['estimator']} · {r['run']}" for r in rows]
    show(comparison_bars(labels, frame["model"], frame["test ELBO"], frame["E log p(x|z)"]),
         key="cmp_bars", chars=80)
    st.caption("L_k: the importance-weighted bound recorded during training on a test subset "
               "(all but VQ-VAE runs). Equal epochs and seeds make the comparison fair; "
               "the table shows both.")


table()

st.subheader("Train the standard line-up")
c1, c2 = st.columns(2)
epochs = c1.number_input("Epochs for each run", 1, 500, 30, key="cmp_epochs")
seed = c2.number_input("Seed", 0, 2**31 - 1, 0, key="cmp_seed")
points = data.info(dataset).kind == "points"
base = RunSpec(dataset=dataset, epochs=int(epochs), seed=int(seed),
               likelihood="gaussian_fixed" if points else "bernoulli", obs_std=0.1 if points else 1.0,
               hidden=(64, 64) if points else (400, 400))
lineup = comparison_specs(base)
known = {r.run_id: r for r in store.list()}
st.dataframe(pd.DataFrame([{"model": s.model, "latent": latent_description(s), "estimator": s.estimator,
                            "run": s.run_id, "status": known[s.run_id].status if s.run_id in known else "–"}
                           for s in lineup]), hide_index=True, key="cmp_lineup")
missing = [s for s in lineup if s.run_id not in known]
st.caption("Same data, network sizes, optimiser, epochs and seed; only the latent differs. "
           "Identical specs are trained once and reused.")
jobs.train_button(f"Train the {len(missing)} missing run(s) in the background", missing,
                  key="cmp_train", disabled=not missing)
