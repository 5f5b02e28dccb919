"""Per-step metrics on their way to the store: kept as tensors, read and flushed every
FLUSH_SECONDS.

A step only stacks its metrics into one small tensor; the floats are read once per flush
(one `tolist`), not with five `.item()` calls per step. A flush is also the run's heartbeat,
and the heartbeat is how a worker learns that a cancel was requested, so the training loop
asks the recorder whether to stop.
"""
from __future__ import annotations

import time
from typing import Callable

import torch

from trainer.store import RunStore

FLUSH_SECONDS = 0.5  # how often metrics and progress reach the store

Progress = Callable[[int, int, dict], None]

SCALARS = ("loss", "elbo", "reconstruction", "kl")  # then kl_per_dim, one value per latent


@torch.no_grad()
def step_metrics(terms) -> torch.Tensor:
    """What one training step records, per example, as one tensor: its loss, the ELBO's
    terms and the KL of each latent dimension (`metric_row` reads it back)."""
    return torch.cat([terms.objective.detach().reshape(1),
                      torch.stack([terms.elbo.mean(), terms.reconstruction.mean(),
                                   terms.kl.mean()]),
                      terms.kl_per_dim.mean(0)])


def metric_row(step: int, epoch: int, values: list[float]) -> dict:
    """The store's row of one step from its `step_metrics` values."""
    row = {"step": step, "epoch": epoch, **dict(zip(SCALARS, values))}
    row["kl_per_dim"] = values[len(SCALARS):]
    return row


class Recorder:
    """Buffers the metrics of one run and keeps its clock (seconds trained so far).

    `seconds` counts on from a resumed run's checkpoint and is updated at each flush, so a
    checkpoint written after a flush stores the time up to that flush.
    """

    def __init__(self, store: RunStore, run_id: str, total_steps: int, seconds: float,
                 on_progress: Progress | None = None):
        self.store, self.run_id, self.total_steps = store, run_id, total_steps
        self.on_progress = on_progress
        self.seconds = seconds
        self._t0 = time.perf_counter() - seconds
        self._steps: list[tuple[int, int]] = []
        self._values: list[torch.Tensor] = []
        self._rows: list[dict] | None = []  # the buffer read back, None until asked for
        self._last_flush = time.perf_counter()

    def add(self, step: int, epoch: int, values: torch.Tensor) -> bool:
        """Buffer one step's `step_metrics`; True when a flush is due."""
        self._steps.append((step, epoch))
        self._values.append(values)
        self._rows = None
        return time.perf_counter() - self._last_flush > FLUSH_SECONDS

    def pending(self) -> list[dict]:
        """The buffered rows, read from their tensors in one go."""
        if self._rows is None:
            values = torch.stack(self._values).tolist()
            self._rows = [metric_row(s, e, v) for (s, e), v in zip(self._steps, values)]
        return self._rows

    def keep(self, n: int):
        """Forget the buffered steps after the first n (a run stopped at step n)."""
        rows = self.pending()[:n]
        self._steps, self._values, self._rows = self._steps[:n], self._values[:n], rows

    def flush(self, epoch: int, step: int) -> bool:
        """Write the buffer and a heartbeat; True when a cancel was requested."""
        self.seconds = time.perf_counter() - self._t0
        if self._steps:
            self.store.append_metrics(self.run_id, self.pending())
        self._steps, self._values, self._rows = [], [], []
        self._last_flush = time.perf_counter()
        return self.store.heartbeat(self.run_id, epoch, step, self.total_steps, self.seconds)

    def progress(self, step: int, results: dict):
        if self.on_progress:
            self.on_progress(step, self.total_steps, results)
