"""Choosing a run: a selectbox kept in sync with ?run=… so a view can be shared."""
from __future__ import annotations

import streamlit as st

from explorer.models import registry
from trainer import RunRecord
from trainer.class_models import order_for_display

from ui.preparation import trainer_command, waiting_for_class_model
from ui.state import get_store, run_label
from ui.url_notice import ignored


def _no_runs_hint(view: str | None, can_show):
    """A class model on its way: its progress. Otherwise how to get a run this page can
    show: the Train page, or the CLI for its first family."""
    if waiting_for_class_model(view, can_show):
        return
    families = registry.with_view(view) if view else ()
    kinds = f" with a {' or '.join(f.name for f in families)} latent" if families else ""
    first = families[0].name if families else registry.DEFAULT
    flag = "" if first == registry.DEFAULT else f" --model {first}"
    st.info(f"No runs yet{kinds} — start one on the **Train** page, or pre-train from the "
            f"command line: `{trainer_command(f'train --dataset mnist5k --latent-dim 2{flag}')}` "
            f"(or `{trainer_command('pretrain')}` for the runs every page needs).")


def pick_run(statuses: tuple[str, ...] | None = None, label: str = "Run",
             require_checkpoint: bool = False, view: str | None = None,
             where=None) -> RunRecord | None:
    """A run chosen from the store, or None with a hint (or a class model's progress) when
    there is none.

    The URL holds the run id; an unknown id (a deleted run, a bad link) falls back to the
    newest run someone trained, else the first class model (trainer/class_models.py).
    `view` keeps only runs whose latent family a page showing it can display, `where(spec)`
    only runs whose own settings it can (e.g. no autoregressive decoder).
    Labels carry no status: the live view beside the picker refreshes without it, so a
    status in the label would go stale.
    """
    def can_show(r: RunRecord) -> bool:
        return ((statuses is None or r.status in statuses)
                and (not require_checkpoint or r.checkpoint_epoch is not None)
                and (not view or view in r.spec.family.views)
                and (where is None or where(r.spec)))

    runs = [r for r in order_for_display(get_store().list()) if can_show(r)]
    if not runs:
        _no_runs_hint(view, can_show)
        return None
    by_id = {r.run_id: r for r in runs}
    wanted = st.session_state.get("run") or st.query_params.get("run")
    if wanted not in by_id:
        if wanted is not None and "run" not in st.session_state:  # it came from the link
            ignored("run", wanted, f"no run with this id that this page can show; showing "
                                   f"{run_label(runs[0], status=False)}.")
        wanted = runs[0].run_id
    # No on_change callback: after a delete it would fire for a key whose run is gone.
    st.session_state["run"] = wanted
    run_id = st.selectbox(label, list(by_id), key="run",
                          format_func=lambda i: run_label(by_id[i], status=False),
                          help="The trained run this page reads; the link keeps its id (?run=…).")
    st.query_params["run"] = run_id
    return by_id[run_id]


def checkpointed_run(label: str = "Run", view: str | None = "latent_space",
                     where=None) -> RunRecord:
    """A run with a checkpoint to inspect; stops the page (with a hint) when there is none,
    and says so when the checkpoint belongs to a run that is still training. Most pages read
    a Gaussian latent space, hence the default `view`."""
    rec = pick_run(require_checkpoint=True, label=label, view=view, where=where)
    if rec is None:
        st.stop()
    if rec.status in ("running", "queued"):
        st.info(f"Still training — showing the checkpoint after epoch {rec.checkpoint_epoch} of "
                f"{rec.spec.epochs}; reload the page for a newer one.")
    elif rec.status == "paused":
        st.info(f"Paused — showing the checkpoint after epoch {rec.checkpoint_epoch} of "
                f"{rec.spec.epochs}; ▶ Play on the Train page continues it.")
    return rec
