"""Where a run stands inside an epoch, so a pause can stop it mid-epoch and ▶ retrace exactly
the steps the uninterrupted run takes.

Every epoch reseeds torch from (seed, epoch) and draws its batch order; each step then draws
from the same stream (binarisation, ε, Gumbel noise). A paused run's checkpoint keeps that
order, how many batches of it are done, the generator's state after the last of them and the
epoch's running code statistics; resuming restores all four.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from trainer.code_stats import EpochStats


def epoch_seed(seed: int, epoch: int) -> int:
    return (seed * 1_000_003 + epoch * 7919 + 12345) % (2**63 - 1)


@dataclass
class EpochPosition:
    """The epoch in progress: its batch order, batches done, and statistics so far."""

    order: torch.Tensor
    stats: EpochStats
    done: int = 0  # batches of `order` already trained
    rng: torch.Tensor | None = None  # the generator's state after them (None: as it is now)

    @classmethod
    def start(cls, model, seed: int, epoch: int, n: int) -> "EpochPosition":
        """A new epoch: reseeded from (seed, epoch), then its batch order drawn."""
        torch.manual_seed(epoch_seed(seed, epoch))
        return cls(torch.randperm(n), EpochStats(model))

    def enter(self):
        """Put the random stream back where it stood after the batches done."""
        if self.rng is not None:
            torch.set_rng_state(self.rng)
            self.rng = None

    def saved(self, done: int) -> dict:
        """The checkpoint entry of a stop after `done` batches (taken right after the step)."""
        s = self.stats
        return {"order": self.order.clone(), "done": int(done), "rng": torch.get_rng_state(),
                "sums": dict(s.sums), "count": int(s.count), "indices": list(s.indices)}

    @classmethod
    def restored(cls, model, saved: dict) -> "EpochPosition":
        stats = EpochStats(model)
        stats.sums = {k: float(v) for k, v in saved["sums"].items()}
        stats.count, stats.indices = int(saved["count"]), list(saved["indices"])
        return cls(saved["order"], stats, int(saved["done"]), saved["rng"])
