"""Pause, step one epoch and speed: what the Train page asks of a run's worker, through the store.

A request is a column of the run's row, read by the worker between steps: `pause_at` is
"step" (stop after the step in progress) or "epoch" (stop at the end of the epoch in
progress: "step one epoch"), and `speed` caps the steps per second. The worker stops by
writing a checkpoint that resumes exactly where it stopped (trainer/epoch_position.py) and
setting the run `paused`: no worker, not dead, resumable. Timing is all `speed` changes.
"""
from __future__ import annotations

import math
import shutil
import time
from dataclasses import dataclass

from trainer.records import RunBusy

PAUSE_AT = ("step", "epoch")
MAX_SPEED = 1000.0  # steps per second; above it a cap means nothing on this hardware
POLL_SECONDS = 0.25  # how often a throttled worker reads the controls while it waits


@dataclass(frozen=True)
class Controls:
    """The requests a worker reads: cancel, pause_at (None, "step", "epoch"), speed."""

    cancel: bool = False
    pause_at: str | None = None
    speed: float | None = None


def check_speed(speed: float | None) -> float | None:
    """None (full speed) or a number of steps per second in (0, MAX_SPEED]."""
    if speed is None:
        return None
    speed = float(speed)
    if not (math.isfinite(speed) and 0 < speed <= MAX_SPEED):
        raise ValueError(f"speed must be 'full' or a number of steps per second in "
                         f"(0, {MAX_SPEED:g}], not {speed:g}")
    return speed


class ControlStore:
    """The controls' columns of the runs table (mixed into RunStore, like History)."""

    def controls(self, run_id: str) -> Controls:
        with self._connect() as db:
            row = db.execute("SELECT cancel_requested, pause_at, speed FROM runs WHERE run_id=?",
                             (run_id,)).fetchone()
        if row is None:
            return Controls()
        return Controls(bool(row[0]), row[1], row[2])

    def request_pause(self, run_id: str, at: str = "step"):
        """A queued run pauses at once; a running one after its current step (or epoch)."""
        assert at in PAUSE_AT, at
        rec = self.get(run_id)
        if rec.status == "paused" and at == "step":
            return rec
        if rec.status not in ("queued", "running", "paused"):
            raise RunBusy(f"run {run_id} is {rec.status}; only a queued, running or paused run "
                          "can pause" + (" (resume continues it)" if rec.resumable else ""))
        if at == "step" and self._set(run_id, "AND status='queued'", status="paused",
                                      pause_at=None):
            return self.get(run_id)
        self._set(run_id, "AND status IN ('queued','running','paused')", pause_at=at)
        return self.get(run_id)

    def clear_pause(self, run_id: str):
        """Forget a pause not yet taken (▶ while the worker is still on its way to it)."""
        self._set(run_id, "", pause_at=None)

    def pause(self, run_id: str, lease: int | None = None):
        """The worker stops: paused, with no worker, its checkpoint written."""
        self._fenced(run_id, lease, status="paused", worker_pid=None, pause_at=None)

    def set_speed(self, run_id: str, speed: float | None):
        self.get(run_id)
        self._set(run_id, "", speed=check_speed(speed))

    def wipe(self, run_id: str):
        """Forget everything a stopped run has trained (metrics, evaluations, checkpoint,
        snapshots); it stays cancelled with its spec and speed, ready to train afresh."""
        with self._transaction() as db:
            row = db.execute("SELECT status FROM runs WHERE run_id=?", (run_id,)).fetchone()
            if row is None:
                self.get(run_id)  # raises RunNotFound
            if row["status"] in ("queued", "running"):
                raise RunBusy(f"run {run_id} is {row['status']}; cancel it first")
            for table in ("metrics", "evals"):
                db.execute(f"DELETE FROM {table} WHERE run_id=?", (run_id,))
            db.execute(
                "UPDATE runs SET status='cancelled', epoch=0, step=0, total_steps=NULL, "
                "checkpoint_epoch=NULL, worker_pid=NULL, heartbeat=NULL, cancel_requested=0, "
                "error=NULL, diverged_step=NULL, test_elbo=NULL, seconds=0, pause_at=NULL, "
                "updated=? WHERE run_id=?", (time.time(), run_id))
        # At rest (cancelled) while its files go: no worker can claim it meanwhile.
        shutil.rmtree(self.run_dir(run_id), ignore_errors=True)


class Pacer:
    """The worker's view of its controls and its speed cap, read from the store at every
    flush, and while it waits out a speed cap."""

    def __init__(self, store, run_id: str):
        self.store, self.run_id = store, run_id
        self.controls = store.controls(run_id)
        self._due = time.perf_counter()

    def read(self) -> Controls:
        self.controls = self.store.controls(self.run_id)
        return self.controls

    def wait(self):
        """Sleep until the next step is due under the cap (nothing else changes: no random
        numbers, no state, so a capped run trains exactly as a free one)."""
        speed = self.controls.speed
        if speed is None:
            return
        now = time.perf_counter()
        self._due = max(self._due + 1.0 / speed, now)  # a slow step is not made up for later
        while (left := self._due - time.perf_counter()) > 0:
            time.sleep(min(left, POLL_SECONDS))
            c = self.read()
            if c.cancel or c.pause_at == "step" or c.speed != speed:
                self._due = time.perf_counter()
                return
