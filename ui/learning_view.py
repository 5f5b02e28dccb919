"""Watch it learn: a run's latent-map snapshots, live while it trains and as a timeline after."""
from __future__ import annotations

import streamlit as st

from explorer import data
from explorer.plots.learning import latent_timeline, manifold_timeline
from trainer import snapshots

from ui.figures import show
from ui.state import get_store

ACTIVE = ("queued", "running")


@st.cache_data(max_entries=8, show_spinner=False)
def _figures(run_id: str, steps: tuple[int, ...], dataset: str, store_root: str):
    store = get_store()
    snaps = [snapshots.load(store, run_id, s) for s in steps]
    info = data.info(dataset)
    _, y = data.load(dataset, "test")
    labels = None if y is None else [int(v) for v in y[snapshots.test_indices(len(y))]]
    per_epoch = snapshots.steps_per_epoch(store.get(run_id).spec, info.n_train)
    names = [f"{snapshots.describe(s, per_epoch)} · snapshot {i + 1} of {len(steps)}"
             for i, s in enumerate(steps)]
    scatter = latent_timeline(snaps, labels, names,
                              "μ(x) of q(z|x) for 500 test points as the run learns")
    manifold = (manifold_timeline(snaps, info.image_shape, names,
                                  "The decoder's mean over a grid of z as the run learns")
                if "manifold" in snaps[-1] else None)
    return scatter, manifold


def _watch(run_id: str, was_active: bool):
    store = get_store()
    rec = store.get(run_id)
    if was_active and rec.status not in ACTIVE:
        st.rerun(scope="app")  # finished: redraw once, then stop polling
    steps = tuple(snapshots.steps(store, run_id))
    if not steps:
        st.caption("No snapshots for this run (runs trained before snapshots existed, or a "
                   "family without a Gaussian latent map).")
        return
    live = rec.status in ACTIVE
    st.caption(("🔴 Live: the newest snapshot is shown as it arrives (every 2 s). " if live else "")
               + f"{len(steps)} snapshots, dense early (log-spaced steps) and at every epoch's "
               "end. ▶ plays them, the slider scrubs the timeline — in the browser, with no "
               "server round trip.")
    scatter, manifold = _figures(run_id, steps, rec.spec.dataset, str(store.root))
    cols = st.columns(2) if manifold is not None else [st.container()]
    with cols[0]:
        show(scatter, key=f"watch_latent_{run_id}", chars=60)
    if manifold is not None:
        with cols[1]:
            show(manifold, key=f"watch_manifold_{run_id}", chars=60)


def watch_it_learn(run_id: str, active: bool):
    """The timeline of `run_id`; refreshed every 2 s while it is queued or training."""
    st.fragment(run_every=2.0 if active else None)(_watch)(run_id, active)
