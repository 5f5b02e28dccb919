"""Computations that would leave a page blank for seconds run here, off the script thread: the
page's first run shows its cheap parts at once and the expensive ones as a progress bar, then
reruns when they are done (issue 12). The test evaluations (ui/objectives_data.py) and the
per-page results (a bound ladder, an SVI fit: `page_jobs`) are two such queues.

Each queue has one thread: the cores are shared with the training workers, and the seeded
computations fork torch's global RNG, so two of them at once in one process would mix their
random streams (the same inputs must give the same numbers).
"""
from __future__ import annotations

import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from ui.state import get_store

Report = Callable[..., None]  # report(fraction in [0, 1], text="")
Work = Callable[[Report], Any]


def _lower_priority():
    """Nice 10 for this thread (Linux nices threads one by one), like the training workers:
    a page's script run, which draws what a student sees first, comes before the job."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):  # not Linux, or not allowed: run at the same priority
        pass


@dataclass
class Job:
    """One computation: its progress in [0, 1] and what it is doing, then its result or the
    error message if it failed."""

    progress: float = 0.0
    text: str = ""
    done: bool = False
    error: str | None = None
    result: Any = None
    future: Future | None = field(default=None, repr=False)

    def report(self, fraction: float, text: str = ""):
        self.progress = min(max(float(fraction), 0.0), 1.0)
        if text:
            self.text = text


class BackgroundJobs:
    """A one-thread queue of keyed jobs. Identical keys share one job (two students on the
    same point wait for one computation); finished jobs keep their result, the `keep` most
    recent ones, so a key asked for again answers at once."""

    def __init__(self, name: str, keep: int = 64):
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name,
                                        initializer=_lower_priority)
        self._jobs: OrderedDict[Hashable, Job] = OrderedDict()
        self._groups: dict[Hashable, Hashable] = {}
        self._lock = threading.Lock()
        self._keep = keep
        self.ended = 0  # jobs finished so far (tests rerun a page that may have missed one)

    def submit(self, key: Hashable, work: Work, group: Hashable | None = None,
               again: bool = False) -> Job:
        """The job for `key`: the queued, running or finished one, else `work(report)` queued.
        `again` queues a finished job anew. A `group` (a session's view) holds one wish: its
        previous key, if still waiting in the queue, is dropped (the student moved on)."""
        with self._lock:
            if group is not None:
                old = self._groups.get(group)
                self._groups[group] = key
                self._drop_waiting(old, key)
            job = self._jobs.get(key)
            if job is not None and (not job.done or not again):
                self._jobs.move_to_end(key)
                return job
            job = self._jobs[key] = Job()
        job.future = self._pool.submit(self._run, key, job, work)
        return job

    def job(self, key: Hashable) -> Job | None:
        with self._lock:
            return self._jobs.get(key)

    def busy(self) -> bool:
        with self._lock:
            return any(not j.done for j in self._jobs.values())

    def wait(self, timeout: float = 600.0) -> bool:
        """Block until no job is queued or running (tests and benchmarks); False on timeout."""
        end = time.monotonic() + timeout
        while self.busy():
            if time.monotonic() > end:
                return False
            time.sleep(0.05)
        return True

    def _drop_waiting(self, old: Hashable | None, new: Hashable):
        job = self._jobs.get(old) if old is not None and old != new else None
        if job is None or old in self._groups.values():  # another session still waits for it
            return
        if job.future is not None and job.future.cancel():
            del self._jobs[old]  # never started: nobody else can be waiting on its progress

    def _forget_old(self):
        done = [k for k, j in self._jobs.items() if j.done]
        for k in done[: max(0, len(done) - self._keep)]:
            del self._jobs[k]

    def _run(self, key: Hashable, job: Job, work: Work):
        try:
            job.result = work(job.report)
        except Exception as exc:  # shown on the page; the thread must not die silently
            job.error = f"{type(exc).__name__}: {exc}"
        job.progress, job.done = 1.0, True
        with self._lock:
            self.ended += 1
            if self._jobs.get(key) is job:  # fresh: the last to be forgotten
                self._jobs.move_to_end(key)
            self._forget_old()


@st.cache_resource
def page_jobs() -> BackgroundJobs:
    """The one queue of per-page results of this server process."""
    return BackgroundJobs("page-job")


def _poll(key: Hashable, label: str):
    job = page_jobs().job(key)
    if job is None or job.done:  # done (or dropped by another tab of the session): draw it
        st.rerun()
    st.progress(job.progress, text=f"{label} · {job.text}" if job.text else label)


def result_or_progress(view: str, args: tuple, work: Work, label: str):
    """The result of `work(report)` for `view` of `args` (a run id, an epoch, a point …) when
    it is done; else a progress bar (refreshed every second, the page rerunning when the job
    ends) and None. A failed job shows its error and returns None. This session's earlier
    wish for the same view is dropped from the queue if it has not started yet (a student
    clicking through points waits for the last point only)."""
    key = (view, str(get_store().root), *args)
    ctx = get_script_run_ctx()
    group = (ctx.session_id, view) if ctx is not None else None
    job = page_jobs().submit(key, work, group)
    if job.done:
        if job.error:
            st.error(f"{label} failed: {job.error}")
            # A failure may be passing (memory, a run still writing): it is kept so thirty
            # sessions do not repeat it, and one click queues it again.
            if st.button("Try again", key=f"retry-{view}-{hash(key)}",
                         help="Queue this computation again."):
                page_jobs().submit(key, work, group, again=True)
                st.rerun()
            return None
        return job.result
    st.fragment(run_every=1.0)(_poll)(key, label)
    return None
