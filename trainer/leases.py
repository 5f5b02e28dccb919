"""A worker's lease on one run: every write names it, and a thread keeps it alive.

The heartbeat comes from its own thread, so a step or an evaluation that takes minutes
(bound tracking with k = 5000) never looks like a dead worker. The store refuses any write
made under a lease that is no longer the run's (`LeaseLost`): a worker that was reaped
while it lived, or whose run was claimed again, stops instead of training the run twice.
"""
from __future__ import annotations

import threading

from trainer import records
from trainer.records import LeaseLost


class Lease:
    """The store as one run's worker sees it: the same methods, fenced by the lease.

    Used as a context manager, it runs the heartbeat thread while the run trains.
    """

    def __init__(self, store, run_id: str, lease: int, interval: float | None = None):
        self.store, self.run_id, self.lease = store, run_id, int(lease)
        self.interval = records.HEARTBEAT_SECONDS if interval is None else interval
        self.lost = False  # set by the heartbeat thread; the next write raises anyway
        self.cancel = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- the fenced writes the training loop makes -------------------------
    def heartbeat(self, run_id, epoch, step, total_steps, seconds) -> bool:
        return self.store.heartbeat(run_id, epoch, step, total_steps, seconds, lease=self.lease)

    def append_metrics(self, run_id, rows):
        self.store.append_metrics(run_id, rows, lease=self.lease)

    def add_evals(self, run_id, epoch, step, values):
        self.store.add_evals(run_id, epoch, step, values, lease=self.lease)

    def truncate_after(self, run_id, step, epoch):
        self.store.truncate_after(run_id, step, epoch, lease=self.lease)

    def set_checkpoint_epoch(self, run_id, epoch):
        self.store.set_checkpoint_epoch(run_id, epoch, lease=self.lease)

    def finish(self, run_id, status, **fields):
        self.store.finish(run_id, status, lease=self.lease, **fields)

    def pause(self, run_id):
        self.store.pause(run_id, lease=self.lease)

    def check(self):
        """Raise LeaseLost unless the lease still holds (before a checkpoint is renamed in)."""
        rec = self.store.get(self.run_id)
        if rec.status != "running" or rec.lease != self.lease:
            raise LeaseLost(self.run_id, self.lease)

    def __getattr__(self, name):  # reads (get, checkpoint_path, …) go to the store
        return getattr(self.store, name)

    # ---- the heartbeat thread ----------------------------------------------
    def _beat(self):
        while not self._stop.wait(self.interval):
            try:
                self.cancel = self.store.touch(self.run_id, self.lease) or self.cancel
            except LeaseLost:
                self.lost = True
                return
            except Exception:  # a locked or briefly unavailable database: try next beat
                continue

    def __enter__(self) -> "Lease":
        self._thread = threading.Thread(target=self._beat, daemon=True,
                                        name=f"heartbeat-{self.run_id}")
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 1.0)
        return False
