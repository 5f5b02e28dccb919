"""Test evaluations (L_5000, active units) computed off the script thread, and the cached
prior-match statistics of the Objectives page (the work: trainer.evaluation and
explorer.views.prior_match)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import streamlit as st

from explorer import data
from explorer.views import latent, prior_match
from trainer import RunStore
from trainer.evaluation import cached_evaluation, evaluate_run

from ui.latent_data import model_for
from ui.state import get_store

Key = tuple[str, str, int, int | None, int]  # (store root, run id, k, points, seed)


@dataclass
class Job:
    """One evaluation: its progress in [0, 1], and the error message if it failed."""

    progress: float = 0.0
    done: bool = False
    error: str | None = None


class EvaluationJobs:
    """Evaluations run one at a time in one background thread (the machine's cores are
    shared with the training workers); the page polls `job(key)` for progress."""

    def __init__(self):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="evaluate")
        self._jobs: dict[Key, Job] = {}
        self._lock = threading.Lock()

    def submit(self, key: Key) -> Job:
        """Queue an evaluation unless one for `key` is queued or running (a finished one
        answers from its cache file, or recomputes if the run has a newer checkpoint)."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and not job.done:
                return job
            job = self._jobs[key] = Job()
        self._pool.submit(self._run, key, job)
        return job

    def job(self, key: Key) -> Job | None:
        with self._lock:
            return self._jobs.get(key)

    def busy(self) -> bool:
        with self._lock:
            return any(not j.done for j in self._jobs.values())

    @staticmethod
    def _run(key: Key, job: Job):
        root, run_id, k, points, seed = key

        def progress(done: int, total: int):
            job.progress = done / max(total, 1)

        try:
            evaluate_run(RunStore(root), run_id, k=k, n_test=points, seed=seed,
                         on_progress=progress)
        except Exception as exc:  # shown on the page; the thread must not die silently
            job.error = f"{type(exc).__name__}: {exc}"
        job.done = True


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
