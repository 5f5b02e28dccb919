"""Runs trained on a Dask cluster, behind the same seam as `LocalExecutor`.

    VAE_EXPLORER_EXECUTOR=tcp://127.0.0.1:8786 python -m trainer train --epochs 30

`submit` queues the run in the store (admission-checked, identical specs reuse their run)
and sends one task to the scheduler; on a Dask worker the task claims the run under a new
lease (pid and host of that worker) and calls `train_run`, which writes metrics and
checkpoints to the store exactly as a local worker does. So the store must be at the same
path for the app, the CLI and every worker: one machine, or a filesystem they all mount
(docs/dask.md). Cancel goes through the store (the run's heartbeat thread sees it) and
drops a task still waiting in Dask; the Dask scheduler, not this process, decides how
many runs train at once (its workers' threads).
"""
from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path

from distributed import Client, Future

from trainer.executor import admit, train_claimed
from trainer.liveness import HOST
from trainer.records import AT_REST, RunNotFound
from trainer.spec import RunSpec
from trainer.store import RunRecord, RunStore

THREADS_VARIABLE = "VAE_EXPLORER_WORKER_THREADS"  # torch threads per run on a worker (1)
DATA_VARIABLE = "VAE_EXPLORER_DATA"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT_HINT = (  # the scheduler unpickles task graphs, so it imports `trainer` too
    "the Dask scheduler and every worker must run in this project's Python environment with "
    f"the project importable (start them with PYTHONPATH={PROJECT_ROOT}; docs/dask.md)")
TASK_PREFIX = "vae-train"  # every task's key starts with it (the dashboard groups by it)


class SchedulerUnreachable(OSError):
    """No Dask scheduler answers at the address (`make_executor` says how to start one)."""


class StoreUnreachable(RuntimeError):
    """A Dask worker cannot open the run store at the path the app or CLI uses."""


class DaskExecutor:
    """Sends queued runs to the Dask scheduler at `address` (tcp://HOST:PORT)."""

    def __init__(self, store: RunStore, address: str, timeout: float = 10.0,
                 client: Client | None = None):
        self.store, self.address = store, address
        self.worker_store_root = str(Path(store.root).resolve())  # what workers open
        try:
            self.client = client or Client(address, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise SchedulerUnreachable(f"cannot reach the Dask scheduler at {address} "
                                       f"({exc}); is it running?") from None
        self._futures: dict[str, Future] = {}  # a future dropped here is cancelled by Dask
        self._lock = threading.RLock()
        self._closed = False

    # ---- the Executor protocol ----------------------------------------------
    def submit(self, spec: RunSpec) -> RunRecord:
        """Queue a run and send it to the cluster; an identical spec returns the existing
        run (a stopped one resumes). A new spec over this server's limits raises `Refused`."""
        rec = admit(self.store, spec)
        if rec.status == "queued":
            self._send(rec.run_id)
        return rec

    def cancel(self, run_id: str) -> RunRecord:
        rec = self.store.request_cancel(run_id)
        if rec.status == "cancelled":  # it was still queued: free its place in Dask too
            with self._lock:
                future = self._futures.pop(run_id, None)
            if future is not None:
                future.cancel()
        return rec

    def resume(self, run_id: str) -> RunRecord:
        rec = self.store.requeue(run_id)
        # The task that trained it may not have returned yet (the store says cancelled a moment
        # before the task ends): that task will never claim the run again, so it is no task
        # for the run now. A second one that never started is harmless: one claim wins.
        with self._lock:
            self._futures.pop(run_id, None)
        self._send(run_id)
        return rec

    def status(self, run_id: str) -> RunRecord:
        return self.store.get(run_id)

    def send(self, run_id: str) -> Future | None:
        """Make sure a queued run has a task on the cluster (idempotent: a run that has one
        keeps it), e.g. one queued by a control that does not submit (⏭ on a queued run)."""
        return self._send(run_id)

    # ---- the cluster ----------------------------------------------------------
    def ensure_workers(self) -> int:
        """Send every queued run this executor holds no task for (runs queued before the
        app started, or whose client went away); returns how many were sent. A run sent
        twice trains once: only one task can claim it."""
        sent = 0
        for rec in self.store.list(("queued",)):
            with self._lock:
                held = self._futures.get(rec.run_id)
            if held is None or held.done():
                self._send(rec.run_id)
                sent += 1
        return sent

    def worker_threads(self) -> int:
        """Runs the cluster can train at once (threads of its workers)."""
        return sum(self.client.nthreads().values())

    def _send(self, run_id: str) -> Future | None:
        with self._lock:
            if self._closed:
                return None
            held = self._futures.get(run_id)
            if held is not None and not held.done():
                return held
            future = self.client.submit(
                train_on_worker, self.worker_store_root, run_id, os.environ.get(DATA_VARIABLE),
                key=f"{TASK_PREFIX}-{run_id}-{uuid.uuid4().hex[:8]}", pure=False)
            self._futures[run_id] = future
        future.add_done_callback(lambda f: self._task_finished(run_id, f))
        return future

    def _task_finished(self, run_id: str, future: Future):
        """A task that failed before it could claim its run (a worker that cannot open the
        store or import the trainer) leaves the run queued: fail it with the cause."""
        with self._lock:
            if self._futures.get(run_id) is future:
                del self._futures[run_id]
        if future.status != "error":
            return
        try:
            exc = future.exception()
            cause = str(exc) if isinstance(exc, StoreUnreachable) else f"{type(exc).__name__}: {exc}"
            if isinstance(exc, ImportError) or "serializ" in cause:
                cause += f" — {ENVIRONMENT_HINT}"
            if self.store.get(run_id).status != "queued":
                return  # it trained (and recorded its own end), or another task has it
            claimed = self.store.claim(run_id)
            if claimed is not None:
                self.store.finish(run_id, "failed", lease=claimed.lease,
                                  error=f"the Dask task failed before training: {cause}; "
                                        "fix it, then resume the run")
        except Exception:  # the run was deleted meanwhile, or the client is closing
            return

    def shutdown(self, timeout: float = 10.0):
        """Ask this executor's runs to stop, wait for them up to `timeout`, disconnect."""
        with self._lock:
            self._closed = True
            ids = list(self._futures)
        for run_id in ids:
            try:
                self.cancel(run_id)
            except RunNotFound:
                pass
        deadline = time.monotonic() + timeout
        while ids and time.monotonic() < deadline:
            ids = [i for i in ids if self.store.exists(i) and self.store.get(i).status not in AT_REST]
            time.sleep(0.2)
        self.close()

    def close(self):
        """Disconnect; tasks this client sent and no one else holds are dropped by Dask
        (a run already training goes on to its end, writing to the store)."""
        with self._lock:
            self._closed = True
            self._futures.clear()
        self.client.close()


# ---- what runs on a Dask worker ---------------------------------------------
_stores: dict[str, RunStore] = {}  # one per store on each worker: connections are reused


def open_store(root: str) -> RunStore:
    """The run store at `root` as this worker sees it; `StoreUnreachable` if it is not
    there (never an empty new store that nobody else would read)."""
    if root not in _stores:
        if not (Path(root) / "runs.sqlite").is_file():
            raise StoreUnreachable(
                f"the Dask worker on host {HOST} (pid {os.getpid()}) cannot open the run store "
                f"at {root}: the app, the CLI and every Dask worker must see the store at the "
                "same path (workers on the machine that holds it, or a filesystem all of them "
                "mount at that path; docs/dask.md)")
        _stores[root] = RunStore(root)
    return _stores[root]


def train_on_worker(store_root: str, run_id: str, data_dir: str | None = None) -> str:
    """The Dask task: claim the run for this worker process and train it; returns its final
    status (or its current one when it was cancelled or claimed before this task started)."""
    import torch

    store = open_store(store_root)
    if data_dir:
        os.environ[DATA_VARIABLE] = data_dir  # uploads and downloads of the submitting app
    rec = store.claim(run_id, pid=os.getpid(), host=HOST)
    if rec is None:
        return store.get(run_id).status
    torch.set_num_threads(max(1, int(os.environ.get(THREADS_VARIABLE, 1))))
    return train_claimed(store, rec)
