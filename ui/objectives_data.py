"""Test evaluations (L_5000, active units) computed off the script thread, and the cached
prior-match statistics of the Objectives page (the work: trainer.evaluation and
explorer.views.prior_match)."""
from __future__ import annotations

from functools import partial

import streamlit as st

from explorer import data
from explorer.views import latent, prior_match
from trainer import RunStore
from trainer.evaluation import cached_evaluation, evaluate_run

from ui.background import BackgroundJobs, Job
from ui.latent_data import model_for
from ui.state import get_store

Key = tuple[str, str, int, int | None, int]  # (store root, run id, k, points, seed)


class EvaluationJobs(BackgroundJobs):
    """Evaluations run one at a time in one background thread (the machine's cores are
    shared with the training workers); the page polls `job(key)` for progress."""

    def __init__(self):
        super().__init__("evaluate")

    def submit(self, key: Key) -> Job:
        """Queue an evaluation unless one for `key` is queued or running (a finished one
        answers from its cache file, or recomputes if the run has a newer checkpoint)."""
        return super().submit(key, partial(self._evaluate, key), again=True)

    @staticmethod
    def _evaluate(key: Key, report):
        root, run_id, k, points, seed = key
        evaluate_run(RunStore(root), run_id, k=k, n_test=points, seed=seed,
                     on_progress=lambda done, total: report(done / max(total, 1)))


@st.cache_resource
def evaluation_jobs() -> EvaluationJobs:
    """The one evaluation queue of this server process."""
    return EvaluationJobs()


def job_key(run_id: str, k: int, points: int | None, seed: int = 0) -> Key:
    return (str(get_store().root), run_id, int(k), points, int(seed))


def stored_evaluation(run_id: str, k: int, points: int | None, seed: int = 0) -> dict | None:
    """The cached evaluation of the run's checkpoint (a small JSON read), or None."""
    return cached_evaluation(get_store(), run_id, k, points, seed)


@st.cache_data(max_entries=16, show_spinner="Encoding the test set and sampling q(z) and p(z)…")
def prior_match_for(run_id: str, epoch: int, dataset: str, n_samples: int = 36) -> dict:
    """q(z) over the test set against p(z), and n decoded prior samples E[x|z], z ~ p(z)."""
    model = model_for(run_id, epoch)
    out = prior_match.prior_match(model, data.load(dataset, "test")[0])
    out["samples"] = latent.prior_samples(model, n_samples)[1]
    return out
