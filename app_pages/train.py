"""Train page: choose a spec, start it in the background, watch it learn."""
import streamlit as st

from trainer import RunBusy
from ui.run_picker import pick_run
from ui.spec_form import spec_form, upload_box
from ui.state import get_executor, get_store
from ui.training_view import live_run_view, runs_table

st.title("Train a VAE")
st.markdown("Training maximises the ELBO, a lower bound on the log-likelihood, averaged over "
            "the data; β weighs the KL term (β = 1 is the ELBO itself):")
st.latex(r"\mathcal{L}_\beta(x) = \mathbb{E}_{q_\phi(z|x)}[\log p_\theta(x|z)]"
         r" - \beta\,\mathrm{KL}(q_\phi(z|x)\,\|\,p(z)) \;\le\; \log p_\theta(x) \quad (\beta = 1)")

executor = get_executor()
left, right = st.columns([2, 3], gap="large")
with left:
    spec, pressed = spec_form()
    if pressed and spec is not None:
        rec = executor.submit(spec)
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
        live_run_view(rec.run_id)
        c1, c2, c3 = st.columns(3)
        if c1.button("Cancel", disabled=rec.status not in ("queued", "running")):
            executor.cancel(rec.run_id)
            st.rerun()
        if c2.button("Resume", disabled=not rec.resumable,
                     help="Continue from the last checkpoint."):
            executor.resume(rec.run_id)
            st.rerun()
        training = rec.status in ("queued", "running")
        if c3.button("Delete", disabled=training,
                     help="Cancel the run first." if training else None):
            try:
                get_store().delete(rec.run_id)  # the picker then falls back to the newest run
                st.rerun()
            except RunBusy as exc:
                st.warning(str(exc))

st.subheader("All runs")
runs_table()
