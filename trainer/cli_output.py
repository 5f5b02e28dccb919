"""What the CLI prints: exit codes, a run's JSON summary and the progress bar on stderr."""
from __future__ import annotations

import sys
import time

from trainer.store import RunRecord, RunStore

EXIT_OK, EXIT_RUN_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def summary(rec: RunRecord, store: RunStore) -> dict:
    return {
        "run_id": rec.run_id, "status": rec.status, "test_elbo": rec.test_elbo,
        "epoch": rec.epoch, "step": rec.step, "seconds": round(rec.seconds, 2),
        "error": rec.error, "diverged_step": rec.diverged_step,
        "spec": rec.spec.model_dump(mode="json"), "store": str(store.root),
    }


class ProgressBar:
    """A one-line text progress bar on stderr."""

    def __init__(self, enabled: bool):
        self.enabled, self.t0 = enabled, time.perf_counter()

    def __call__(self, step: int, total: int, info: dict):
        if not self.enabled:
            return
        frac = step / max(total, 1)
        bar = "#" * int(30 * frac) + "-" * (30 - int(30 * frac))
        extra = f" test ELBO {info['test_elbo']:.2f}" if "test_elbo" in info else ""
        sys.stderr.write(f"\r[{bar}] {step}/{total} {time.perf_counter() - self.t0:5.1f}s{extra}   ")
        sys.stderr.flush()

    def close(self):
        if self.enabled:
            sys.stderr.write("\n")
