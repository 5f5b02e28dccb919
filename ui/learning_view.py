"""Watch it learn: a run's latent-map snapshots, live while it trains and as a timeline after."""
from __future__ import annotations

import plotly.graph_objects as go
import streamlit as st

from explorer import data
from explorer.plots.learning import latent_timeline, manifold_timeline
from trainer import snapshots
from trainer.class_models import ACTIVE

from ui.figures import show
from ui.state import get_store



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
    # Plain dicts: a cached go.Figure is unpickled property by property (0.6 s per hit).
    return scatter.to_dict(), None if manifold is None else manifold.to_dict()


def _watch(run_id: str):
    store = get_store()
    rec = store.get(run_id)
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
    scatter, manifold = go.Figure(scatter), None if manifold is None else go.Figure(manifold)
    cols = st.columns(2) if manifold is not None else [st.container()]
    with cols[0]:
        show(scatter, key=f"watch_latent_{run_id}", chars=60)
    if manifold is not None:
        with cols[1]:
            show(manifold, key=f"watch_manifold_{run_id}", chars=60)


def watch_it_learn(run_id: str, active: bool):
    """The timeline of `run_id` in an expander, open while the run is queued or training (and
    refreshed every 2 s); drawn only while open — a 51-snapshot timeline is ≈4 MB of figures,
    seconds of a page's first run that a closed expander would hide."""
    key = f"watch_open_{run_id}"
    if active and key not in st.session_state:
        st.session_state[key] = True  # a live run opens it once; the student may close it
    st.fragment(run_every=2.0 if active else None)(_expander)(run_id, active, key)


def _expander(run_id: str, active: bool, key: str):
    """The expander, and inside it the timeline while it is open."""
    # A fragment: opening or closing the expander reruns this alone, not the page.
    if active and get_store().get(run_id).status not in ACTIVE:
        st.rerun(scope="app")  # finished: redraw once, then stop polling
    box = st.expander("Watch it learn: the latent map over training", key=key, on_change="rerun")
    if box.open:
        with box, st.spinner("Drawing the timeline of the run's snapshots…"):
            _watch(run_id)
