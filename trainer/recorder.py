"""Per-step metrics on their way to the store: buffered, then flushed every FLUSH_SECONDS.

A flush is also the run's heartbeat, and the heartbeat is how a worker learns that a
cancel was requested, so the training loop asks the recorder whether to stop.
"""
from __future__ import annotations

import time
from typing import Callable

from trainer.store import RunStore

FLUSH_SECONDS = 0.5  # how often metrics and progress reach the store

Progress = Callable[[int, int, dict], None]


def metric_row(step: int, epoch: int, terms) -> dict:
    """What one training step records: its loss and the ELBO's terms, per example."""
    return {
        "step": step, "epoch": epoch, "loss": terms.objective.item(),
        "elbo": terms.elbo.mean().item(),
        "reconstruction": terms.reconstruction.mean().item(),
        "kl": terms.kl.mean().item(),
        "kl_per_dim": terms.kl_per_dim.mean(0).tolist(),
    }


class Recorder:
    """Buffers the metric rows of one run and keeps its clock (seconds trained so far).

    `seconds` counts on from a resumed run's checkpoint and is updated at each flush, so a
    checkpoint written after a flush stores the time up to that flush.
    """

    def __init__(self, store: RunStore, run_id: str, total_steps: int, seconds: float,
                 on_progress: Progress | None = None):
        self.store, self.run_id, self.total_steps = store, run_id, total_steps
        self.on_progress = on_progress
        self.seconds = seconds
        self._t0 = time.perf_counter() - seconds
        self._buffer: list[dict] = []
        self._last_flush = time.perf_counter()

    def add(self, row: dict) -> bool:
        """Buffer one step's row; flush when due. True when a cancel was requested."""
        self._buffer.append(row)
        if time.perf_counter() - self._last_flush <= FLUSH_SECONDS:
            return False
        if self.flush(row["epoch"], row["step"]):
            return True
        # The buffer has just been flushed, so the callback sees no step's metrics here
        # (as before the loop was split); epoch ends report the test results.
        self.progress(row["step"], {})
        return False

    def flush(self, epoch: int, step: int) -> bool:
        """Write the buffer and a heartbeat; True when a cancel was requested."""
        self.seconds = time.perf_counter() - self._t0
        self.store.append_metrics(self.run_id, self._buffer)
        self._buffer = []
        self._last_flush = time.perf_counter()
        return self.store.heartbeat(self.run_id, epoch, step, self.total_steps, self.seconds)

    def progress(self, step: int, results: dict):
        if self.on_progress:
            self.on_progress(step, self.total_steps, results)
