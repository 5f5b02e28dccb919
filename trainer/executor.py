"""Where runs execute: one small seam (submit / cancel / resume / status).

`LocalExecutor` runs them in worker processes on this machine, at most `max_workers`
(default: one per core) across every process sharing the store — each worker holds a slot
claimed atomically in the store (trainer/slots.py); the rest wait in the store's queue. Workers start when work is submitted or resumed (and
once when the app starts, for runs queued before it), never because a page polls. Workers
are separate sessions, so runs go on when a browser tab closes or the app restarts. A
distributed engine can implement the same four methods later.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Protocol

from trainer import admission
from trainer.slots import claim_slot, hand_over, release_slot
from trainer.spec import RunSpec
from trainer.store import RunRecord, RunStore

IDLE_GRACE_SECONDS = 1.0
WORKER_NICE = 10  # workers yield the CPU to the app's sessions
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Executor(Protocol):
    def submit(self, spec: RunSpec) -> RunRecord: ...

    def cancel(self, run_id: str) -> RunRecord: ...

    def resume(self, run_id: str) -> RunRecord: ...

    def status(self, run_id: str) -> RunRecord: ...


def admit(store: RunStore, spec: RunSpec) -> RunRecord:
    """The run for `spec` in the store: a new spec is admission-checked (`Refused`) and
    queued; an identical one returns the existing run, queued again if it had stopped."""
    if not store.exists(spec.run_id):
        admission.check(spec)
    rec, created = store.create(spec)
    if not created and rec.resumable:
        rec = store.requeue(rec.run_id)
    return rec


class LocalExecutor:
    """Runs queued runs in up to `max_workers` background worker processes."""

    def __init__(self, store: RunStore, max_workers: int | None = None):
        self.store = store
        self.max_workers = max(1, max_workers or os.cpu_count() or 1)
        self._workers: list[subprocess.Popen] = []
        self._lock = threading.RLock()  # watcher threads and the app's sessions share it
        self._closed = False

    def submit(self, spec: RunSpec) -> RunRecord:
        """Queue a run; an identical spec returns the existing run (a stopped one resumes).
        A new spec that costs more than this server allows raises `Refused` (admission)."""
        rec = admit(self.store, spec)
        self.ensure_workers()
        return rec

    def cancel(self, run_id: str) -> RunRecord:
        return self.store.request_cancel(run_id)

    def resume(self, run_id: str) -> RunRecord:
        rec = self.store.requeue(run_id)
        self.ensure_workers()
        return rec

    def status(self, run_id: str) -> RunRecord:
        """The run's record. Reading never starts workers: submit and resume do, and a
        worker keeps claiming queued runs until none is left."""
        return self.store.get(run_id)

    def live_workers(self) -> int:
        """Workers of this executor still running; crashed ones fail the queue loudly."""
        with self._lock:
            alive = []
            for w in self._workers:
                code = w.poll()
                if code is None:
                    alive.append(w)
                elif code > 0:
                    self._fail_queue(code)
            self._workers = alive
            return len(alive)

    def _fail_queue(self, code: int):
        """A worker that exits with an error before training (a broken install, an import
        error) would otherwise be respawned forever while runs wait in the queue."""
        log = Path(self.store.root) / "worker.log"
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
        reason = tail[0] if tail else f"exit code {code}"
        for rec in self.store.list(("queued",)):
            self.store.finish(rec.run_id, "failed", error=f"the worker process crashed: {reason} "
                              f"(full log: {log}); fix it, then resume the run")

    def ensure_workers(self) -> int:
        """Start workers for queued runs while a slot is free; returns workers started.
        Slots are shared by every process on the store, so the cap holds across them."""
        with self._lock:
            if self._closed:
                return 0
            self.live_workers()  # first: a crashed worker fails the queue it leaves
            started = 0
            queued = len(self.store.list(("queued",)))  # reading also reaps dead runs
            while started < queued:
                slot = claim_slot(self.store, self.max_workers)
                if slot is None:
                    break
                self._start_worker(slot)
                started += 1
            return started

    def _start_worker(self, slot: int):
        try:
            worker = spawn_worker(self.store.root, threads=self._threads(), slot=slot)
        except BaseException:
            release_slot(self.store, slot)
            raise
        hand_over(self.store, slot, worker.pid)
        self._workers.append(worker)
        threading.Thread(target=self._refill_after, args=(worker,), daemon=True).start()

    def _refill_after(self, worker: subprocess.Popen):
        """When a worker exits, start another if runs are still queued: one submitted just
        after the worker looked for the last time would otherwise wait for the next submit."""
        worker.wait()
        if self.store.list(("queued",)):
            self.ensure_workers()

    def _threads(self) -> int:
        return max(1, (os.cpu_count() or 1) // self.max_workers)

    def shutdown(self, timeout: float = 10.0):
        """Ask running runs to stop and wait for this executor's workers (tests, app exit);
        it starts no workers after this."""
        with self._lock:
            self._closed = True
        for rec in self.store.list(("running",)):
            self.store.request_cancel(rec.run_id)
        for w in self._workers:
            try:
                w.wait(timeout)
            except subprocess.TimeoutExpired:
                w.kill()
        self._workers = []


def spawn_worker(store_root: Path, threads: int = 1, slot: int | None = None) -> subprocess.Popen:
    """A detached `python -m trainer worker` process that drains the queue, then exits."""
    log = open(Path(store_root) / "worker.log", "ab")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    slot_args = [] if slot is None else ["--slot", str(slot)]
    return subprocess.Popen(
        [sys.executable, "-m", "trainer", "worker", "--store", str(store_root),
         "--threads", str(threads), *slot_args],
        stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env, cwd=PROJECT_ROOT,
        start_new_session=True,
    )


def yield_cpu(nice: int = WORKER_NICE) -> None:
    """Lower this process below the app's sessions: a class's page reruns come before training.

    A worker leads its own session (start_new_session), and with the kernel's autogroup
    scheduling (Linux's default on desktops and many servers) CPU is shared between sessions
    first, so the process's nice value alone leaves it an equal share with the app server;
    its session's autogroup takes the same nice value."""
    try:
        os.nice(nice)
    except OSError:
        pass
    try:
        with open("/proc/self/autogroup", "w") as f:
            f.write(str(nice))
    except OSError:  # no autogroup here (other systems, a container without it)
        pass


def work(store: RunStore, threads: int = 1, slot: int | None = None) -> int:
    """Worker body: claim queued runs one after another until none is left, then give the
    slot back."""
    import torch

    torch.set_num_threads(threads)
    yield_cpu()
    limit = admission.limit_worker_memory()
    done = 0
    try:
        while True:
            rec = store.claim()
            if rec is None:
                # A run queued while this worker was finishing would otherwise wait for the
                # next poll of the app; look once more before leaving.
                time.sleep(IDLE_GRACE_SECONDS)
                rec = store.claim()
                if rec is None:
                    return done
            train_claimed(store, rec, limit)
            done += 1
    finally:
        release_slot(store, slot)


def train_claimed(store: RunStore, rec: RunRecord, memory_cap: float | None = None) -> str:
    """Train a run this process has claimed; whatever escapes `train_run` fails the run
    (fenced by its lease) instead of taking the worker, and the queue, down."""
    from trainer.divergence import describe_failure
    from trainer.loop import train_run
    from trainer.records import LeaseLost

    try:
        return train_run(store, rec.run_id)  # records its own failures, fenced by its lease
    except Exception as exc:
        try:
            store.finish(rec.run_id, "failed", lease=rec.lease,
                         error=admission.explain_failure(describe_failure(exc), memory_cap))
        except LeaseLost:
            return "lost"
        return "failed"
