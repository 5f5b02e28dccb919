"""Rate and distortion's toy with a known density: an MLP and a MADE decoder on bars and
stripes (trainer.decoder_toy), their rates against log 32 and log 2, their latent maps."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from explorer.data import bars_stripes
from explorer.plots.latent import latent_scatter
from explorer.plots.rate_distortion import decoder_toy_figure
from trainer import decoder_toy
from trainer.families import decoder_label, missing, same_except_decoder

from ui import jobs
from ui.figures import show
from ui.latent_data import last_kl_per_dim, model_for
from ui.state import get_store


data_log_likelihood = st.cache_data(show_spinner=False)(decoder_toy.data_log_likelihood)


@st.cache_data(max_entries=8, show_spinner="Encoding the images…")
def _orientation(run_id: str, epoch: int) -> tuple[np.ndarray, np.ndarray, float]:
    return decoder_toy.orientation(model_for(run_id, epoch))


def _training(records) -> list:
    """The pair's runs still queued or training."""
    base = decoder_toy.base_spec()
    return [r for r in records if r.status in ("queued", "running")
            and same_except_decoder(r.spec, base)]


def _results(was_busy: bool):
    store = get_store()
    records = store.list()
    training = _training(records)
    if was_busy and not training:
        st.rerun(scope="app")  # done: redraw once, and stop polling
    for r in training:
        st.progress(r.progress, text=f"{decoder_label(r.spec)} on bars and stripes · "
                                     f"{r.run_id} · {r.status}")
    rows = decoder_toy.toy_rows(records, store.evals, last_kl_per_dim)
    if not rows:
        st.info("No finished run of the pair yet: press the button above.")
        return
    truth = data_log_likelihood()
    done = {r.run_id: r for r in records}
    codes = {r["run_id"]: _orientation(r["run_id"], done[r["run_id"]].checkpoint_epoch)
             for r in rows}
    for row in rows:
        row["orientation"] = codes[row["run_id"]][2]
    st.dataframe(pd.DataFrame(rows)[["decoder", "run_id", "rate", "distortion", "elbo",
                                     "active_units", "orientation"]].rename(columns={
        "orientation": "bars vs stripes from μ (5-NN accuracy)",
        "run_id": "run", "rate": "rate R (nats)", "distortion": "distortion D (nats)",
        "elbo": "test ELBO", "active_units": "active units (of 2)"}), hide_index=True,
        key="toy_table")
    show(decoder_toy_figure(rows, truth, decoder_toy.REFERENCES), key="toy_rates")
    st.markdown(f"**What these runs show:** {decoder_toy.toy_summary(rows, truth)}")
    cols = st.columns(len(rows))
    for col, row in zip(cols, rows):
        mu, names, _ = codes[row["run_id"]]
        with col:
            show(latent_scatter(mu, names, title=f"{row['decoder']}: μ(x) of the test images, "
                                f"by orientation"), key=f"toy_map_{row['run_id']}", chars=50)
    st.caption("Each point is one test image's μ(x), coloured by its orientation. The table's "
               "last column reads the orientation back from μ (0.5: z knows nothing of it).")


def decoder_toy_section():
    """The section: why, the button, then the runs' numbers (polled while they train)."""
    st.markdown("#### On a data set whose density is known")
    st.markdown(
        "Bars and stripes: 4×4 images whose rows or columns are constant, one of 32 patterns, "
        f"each pixel flipped with probability {bars_stripes.FLIP:g}. Its log p(x) is exact, so "
        "we know the best ELBO possible. A factorised decoder must put the pattern in z "
        "(about log 32 ≈ 3.5 nats of rate); a MADE can model the mixture without z, so the "
        "ELBO no longer pays for a code (Chen et al. 2017) and z keeps only what the pixel "
        "order finds hardest — about a bit.")
    records = get_store().list()
    todo = missing(decoder_toy.toy_specs(), records)
    jobs.train_button(f"Train the MLP and the MADE on bars and stripes ({len(todo)} to train, "
                      "about a minute each)", todo, key="toy_train", disabled=not todo)
    busy = bool(_training(records))
    st.fragment(run_every=2.0 if busy else None)(_results)(busy)
