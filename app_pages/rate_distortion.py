"""Rate and distortion: a β sweep from stored runs (first lecture: "a tighter ELBO does not
imply informative latent codes"; Alemi et al. 2018, "Fixing a broken ELBO")."""
import pandas as pd
import streamlit as st

from explorer.plots.rate_distortion import collapse_figure, rate_distortion_figure
from trainer import families
from ui import jobs
from ui.figures import show
from ui.run_picker import pick_run
from ui.state import get_store

st.title("Rate and distortion")
st.markdown("Split the negative ELBO into the **rate** R, the nats the code z carries about x, "
            "and the **distortion** D, the nats of x the decoder still gets wrong. Training with "
            "weight β on the KL term moves a model along the R–D plane: large β buys a small "
            "rate, and past some β the encoder stops using z altogether (posterior collapse), "
            "however good the ELBO looks.")
st.latex(r"-\mathrm{ELBO} = \underbrace{-\mathbb{E}_{q(z|x)}[\log p(x|z)]}_{D\ \text{(distortion)}}"
         r" + \underbrace{\mathrm{KL}(q(z|x)\,\|\,p(z))}_{R\ \text{(rate)}},\qquad"
         r"\mathcal{L}_\beta = -(D + \beta R)")
rec = pick_run(label="Base run (the sweep keeps everything but β)", view="rate_distortion")
if rec is None:
    st.stop()
spec, store = rec.spec, get_store()
grid = ", ".join(f"{b:g}" for b in families.BETA_GRID)
if st.button(f"Train β ∈ {{{grid}}} in the background", key="train_beta_family"):
    specs = families.beta_specs(spec)  # identical specs (this run among them) are reused
    if len(jobs.submit_all(specs)) == len(specs):
        st.rerun()


def last_kl_per_dim(run_id: str) -> list:
    """KL per latent coordinate of the run's last training step (one row, not the history)."""
    last = store.metrics(run_id, since_step=store.get(run_id).step - 1)["kl_per_dim"]
    return last[-1] if last else []


def sweep():
    """Progress of the sweep, its table, the R–D plane and the collapse curve."""
    records = store.list()
    family = [r for r in records if families.same_except_beta(r.spec, spec)]
    running = [r for r in family if r.status in ("queued", "running")]
    for r in sorted(running, key=lambda r: r.spec.beta):
        st.progress(r.progress, text=f"β = {r.spec.beta:g} · run {r.run_id} · {r.status}")
    rows = families.rate_distortion_table(spec, records, store.evals, last_kl_per_dim)
    if not rows:
        st.info("No finished run of this sweep yet: press the button above.")
        return
    st.dataframe(pd.DataFrame(rows).drop(columns=["latent_dim"]).rename(columns={
        "beta": "β", "run_id": "run", "rate": "rate R (nats)", "distortion": "distortion D (nats)",
        "elbo": "test ELBO", "active_units": f"active units (of {spec.latent_dim})"}),
        hide_index=True)
    show(rate_distortion_figure(rows, current=spec.beta), key="rd_plane")
    st.caption("Runs on one dotted line have the same ELBO: the ELBO alone cannot tell a model "
               "that uses its code from one that ignores it. Test-set averages, nats per example.")
    show(collapse_figure(rows), key="rd_collapse")
    first, last = rows[0], rows[-1]
    st.markdown(f"**What these runs show:** from β = {first['beta']:g} to β = {last['beta']:g} "
                f"the rate goes from {first['rate']:.1f} to {last['rate']:.1f} nats, the "
                f"distortion from {first['distortion']:.1f} to {last['distortion']:.1f} nats, and "
                f"the active units from {first['active_units']} to {last['active_units']} of "
                f"{spec.latent_dim}.")


active = any(r.status in ("queued", "running") and families.same_except_beta(r.spec, spec)
             for r in store.list())
st.fragment(run_every=2.0 if active else None)(sweep)()  # polls only while the sweep trains
