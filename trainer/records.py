"""What the run store hands out: a run's record, its statuses, and the errors of the store."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from trainer.spec import RunSpec

STATUSES = ("queued", "running", "paused", "done", "failed", "cancelled", "diverged")
FINISHED = ("done", "failed", "cancelled", "diverged")
# No worker holds the run and none will until someone acts: finished, or paused (▶ resumes it).
AT_REST = (*FINISHED, "paused")
HEARTBEAT_TIMEOUT = 60.0  # seconds without a heartbeat before a running run counts as orphaned
HEARTBEAT_SECONDS = 5.0  # how often a worker's heartbeat thread renews its lease


def default_store_dir() -> Path:
    """$VAE_EXPLORER_STORE, else ~/.cache/vae-explorer/runs (shared by the app and the CLI)."""
    env = os.environ.get("VAE_EXPLORER_STORE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "vae-explorer" / "runs"


class RunNotFound(KeyError):
    def __str__(self):
        return f"no run {self.args[0]!r} in this store"


class RunBusy(RuntimeError):
    """The operation needs the run to be stopped first."""


class LeaseLost(RuntimeError):
    """This worker's lease on the run has ended (the run was reaped, cancelled or claimed
    again): it must stop without writing anything more."""

    def __str__(self):
        return f"lease {self.args[1]} on run {self.args[0]} is no longer held"


@dataclass(frozen=True)
class RunRecord:
    """One row of the runs table."""

    run_id: str
    spec: RunSpec
    status: str
    created: float
    updated: float
    epoch: int
    step: int
    total_steps: int | None
    checkpoint_epoch: int | None
    worker_pid: int | None
    heartbeat: float | None
    cancel_requested: bool
    error: str | None
    diverged_step: int | None
    test_elbo: float | None
    seconds: float
    lease: int = 0  # incremented by every claim; a worker's writes name the lease it holds
    worker_host: str | None = None
    pause_at: str | None = None  # a pause asked of the worker: "step" (now) or "epoch" (its end)
    speed: float | None = None  # steps per second the worker may take; None: as fast as it can

    @property
    def progress(self) -> float:
        if self.status == "done":
            return 1.0
        return min(1.0, self.step / self.total_steps) if self.total_steps else 0.0

    @property
    def resumable(self) -> bool:
        return self.status in ("cancelled", "failed", "paused")
