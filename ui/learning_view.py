"""Watch it learn: a run's latent-map snapshots, live while it trains and as a timeline after."""
from __future__ import annotations

import streamlit as st

from explorer import data
from explorer.plots.learning import latent_timeline, manifold_timeline
from trainer import snapshots
from trainer.class_models import ACTIVE

from ui.figures import show_built
from ui.state import get_store



@st.cache_resource(max_entries=2, show_spinner=False)
def _snapshots(run_id: str, steps: tuple[int, ...], dataset: str):
    """The snapshots, their labels and names, read once for the scatter and the manifold
    (every snapshot even for the newest alone: the scatter's fixed axes span all their μ)."""
    store = get_store()
    snaps = [snapshots.load(store, run_id, s) for s in steps]
    info = data.info(dataset)
    _, y = data.load(dataset, "test")
    labels = None if y is None else [int(v) for v in y[snapshots.test_indices(len(y))]]
    per_epoch = snapshots.steps_per_epoch(store.get(run_id).spec, info.n_train)
    names = [f"{snapshots.describe(s, per_epoch)} · snapshot {i + 1} of {len(steps)}"
             for i, s in enumerate(steps)]
    return snaps, labels, names, info


def _scatter(run_id: str, steps: tuple[int, ...], dataset: str, frames: bool):
    snaps, labels, names, _ = _snapshots(run_id, steps, dataset)
    return latent_timeline(snaps, labels, names,
                           "μ(x) of q(z|x) for 500 test points as the run learns", frames=frames)


def _manifold(run_id: str, steps: tuple[int, ...], dataset: str, frames: bool):
    snaps, _, names, info = _snapshots(run_id, steps, dataset)
    return manifold_timeline(snaps, info.image_shape, names,
                             "The decoder's mean over a grid of z as the run learns", frames=frames)


def _watch(run_id: str, live: bool):
    store = get_store()
    rec = store.get(run_id)
    steps = tuple(snapshots.steps(store, run_id))
    if not steps:
        st.caption("No snapshots for this run (runs trained before snapshots existed, or a "
                   "family without a Gaussian latent map).")
        return
    # While the run trains the newest snapshot is redrawn every 2 s in every open session: the
    # timeline's frames (megabytes for a long run) are sent only to who asks to scrub them.
    frames = not live or st.toggle(
        "Scrub the snapshots so far", key=f"watch_scrub_{run_id}",
        help="▶ and a slider over every snapshot taken yet; off, the newest alone is redrawn "
             "as it arrives. When the run ends the timeline is always shown.")
    st.caption((f"🔴 Live: the newest of {len(steps)} snapshots, redrawn as it arrives (every "
                "2 s). " if live and not frames else "🔴 Live: " if live else "")
               + (f"{len(steps)} snapshots, dense early (log-spaced steps) and at every epoch's "
                  "end. ▶ plays them, the slider scrubs the timeline — in the browser, with no "
                  "server round trip." if frames else ""))
    manifold = rec.spec.latent_dim == 2 and data.info(rec.spec.dataset).image_shape is not None
    cols = st.columns(2) if manifold else [st.container()]
    by = (run_id, steps if frames else (len(steps), steps[-1]), frames)
    args = (run_id, steps, rec.spec.dataset, frames)
    with cols[0]:
        show_built(_scatter, *args, key=f"watch_latent_{run_id}", by=by, chars=60, large=frames)
    if manifold:
        with cols[1]:
            show_built(_manifold, *args, key=f"watch_manifold_{run_id}", by=by, chars=60,
                       large=frames)


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
            _watch(run_id, active)
