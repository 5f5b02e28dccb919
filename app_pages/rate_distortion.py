"""Rate and distortion: a β sweep from stored runs (first lecture: "a tighter ELBO does not
imply informative latent codes"; Alemi et al. 2018, "Fixing a broken ELBO")."""
import pandas as pd
import streamlit as st

from explorer.plots.rate_distortion import (collapse_figure, decoder_collapse_figure,
                                            rate_distortion_figure)
from trainer import families
from ui import jobs
from ui.decoder_toy_section import decoder_toy_section
from ui.figures import show
from ui.latent_data import last_kl_per_dim
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
# identical specs (this run among them) are reused
jobs.train_button(f"Train β ∈ {{{grid}}} in the background", lambda: families.beta_specs(spec),
                  key="train_beta_family")


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


st.subheader("A more powerful decoder")
st.markdown("Posterior collapse also comes from the other side. A factorised decoder must send "
            "everything the pixels share through z; an **autoregressive** decoder (a MADE, "
            "Germain et al. 2015) sees the pixels before x_i and can model x without z, and "
            "then the ELBO's cheapest move is R = 0 (Bowman et al. 2016; Chen et al. 2017). "
            "The sweep keeps this run's β and encoder; no KL annealing, which favours collapse.")
st.latex(r"\text{MLP: } p(x|z) = \prod_i p(x_i \mid z) \qquad"
         r"\text{MADE: } p(x|z) = \prod_i p(x_i \mid x_{<i}, z)")
decoder_toy_section()
st.markdown("#### On this run's data")
decoders = families.decoder_specs(spec)
if not decoders:
    st.info("This run's latent family has no choice of decoder.")
    st.stop()
if spec.likelihood != "bernoulli":
    st.caption("The MADE models binary pixels: with this run's likelihood only the MLPs train.")
names = ", ".join(families.decoder_label(s) for s in decoders)
jobs.train_button(f"Train the decoders {names} in the background", decoders,
                  key="train_decoder_family")


def decoder_sweep():
    """Progress, table, R–D points and active units of the decoder sweep."""
    records = store.list()
    for r in records:
        if r.status in ("queued", "running") and families.same_except_decoder(r.spec, spec):
            st.progress(r.progress, text=f"{families.decoder_label(r.spec)} · run {r.run_id} · "
                                         f"{r.status}")
    rows = families.rate_distortion_table(spec, records, store.evals, last_kl_per_dim,
                                          knobs=families.DECODER_KNOBS)
    if not rows:
        st.info("No finished run of the decoder sweep yet: press the button above.")
        return
    st.dataframe(pd.DataFrame(rows)[["decoder", "run_id", "rate", "distortion", "elbo",
                                     "active_units"]].rename(columns={
        "run_id": "run", "rate": "rate R (nats)", "distortion": "distortion D (nats)",
        "elbo": "test ELBO", "active_units": f"active units (of {spec.latent_dim})"}),
        hide_index=True)
    show(rate_distortion_figure(rows, current=families.decoder_label(spec), label="decoder"),
         key="rd_decoder_plane")
    st.caption("Same axes as above, one point per decoder; the dotted lines are D + R = −ELBO.")
    show(decoder_collapse_figure(rows), key="rd_decoder_collapse")
    st.markdown(f"**What these runs show:** {decoder_summary(rows, spec.latent_dim)}")


def decoder_summary(rows: list[dict], d: int) -> str:
    """One sentence from the numbers: weakest against strongest decoder, and the MADE."""
    first, last = rows[0], rows[-1]
    text = (f"from {first['decoder']} to {last['decoder']} the rate goes from "
            f"{first['rate']:.1f} to {last['rate']:.1f} nats, the distortion from "
            f"{first['distortion']:.1f} to {last['distortion']:.1f} nats, and the active units "
            f"from {first['active_units']} to {last['active_units']} of {d}")
    made = [r for r in rows if r["autoregressive"]]
    if not made:
        return text + "."
    m = made[-1]
    if m["active_units"] == 0:
        return text + f"; the autoregressive decoder {m['decoder']} ignores z altogether."
    return text + (f"; the autoregressive decoder {m['decoder']} still uses "
                   f"{m['active_units']} of {d} units in these runs.")


decoding = any(r.status in ("queued", "running") and families.same_except_decoder(r.spec, spec)
               for r in store.list())
st.fragment(run_every=2.0 if decoding else None)(decoder_sweep)()
