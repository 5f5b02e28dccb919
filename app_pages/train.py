"""Train page: choose a spec, start it in the background, watch it learn."""
import streamlit as st

from ui.run_picker import pick_run
from ui.spec_form import spec_form, upload_box
from ui import jobs
from ui.training_view import live_run_view, runs_table

st.title("Train a VAE")
st.markdown("Training maximises the ELBO, a lower bound on the log-likelihood, averaged over "
            "the data; β weighs the KL term (β = 1 is the ELBO itself):")
st.latex(r"\mathcal{L}_\beta(x) = \mathbb{E}_{q_\phi(z|x)}[\log p_\theta(x|z)]"
         r" - \beta\,\mathrm{KL}(q_\phi(z|x)\,\|\,p(z)) \;\le\; \log p_\theta(x) \quad (\beta = 1)")

left, right = st.columns([2, 3], gap="large")
with left:
    spec, pressed = spec_form()
    rec = jobs.submit(spec) if pressed and spec is not None else None
    if rec is not None:
        st.session_state["run"] = rec.run_id
        if rec.status == "done":
            st.info(f"An identical run ({rec.run_id}) already finished — showing it instead of "
                    "training again. Change the seed to train a new one.")
        else:
            st.toast(f"Run {rec.run_id} is {rec.status}.")
    upload_box()

with right:
    rec = pick_run(label="Run to watch")
    if rec is not None:
        # status, Cancel / Resume / Delete and curves, refreshed while the run trains
        live_run_view(rec.run_id, active=rec.status in ("queued", "running"))

st.subheader("All runs")
runs_table()
