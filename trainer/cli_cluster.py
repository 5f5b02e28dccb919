"""The CLI's Dask path (VAE_EXPLORER_EXECUTOR set): send a run to the cluster, then follow it
in the store, so `train`, `resume`, `play`, `step` and `reset` print what they print for a
local run."""
from __future__ import annotations

import json
import sys
from typing import Any, Callable

from trainer import executors
from trainer.control import wait_at_rest
from trainer.cli_output import EXIT_OK, EXIT_RUN_FAILED, ProgressBar, summary
from trainer.store import RunRecord, RunStore


def on_cluster(store: RunStore, quiet: bool, start: Callable[[Any], RunRecord],
               ok: tuple[str, ...] = ("done", "running")) -> int:
    """A CLI command with $VAE_EXPLORER_EXECUTOR set: `start(executor)` sends the run to a Dask
    worker (train: submit; resume, play, step, reset), then this process shows its progress
    from the store until it finishes or pauses, and prints the same JSON summary with the same
    exit codes as a local run (0 for a status in `ok`); Ctrl-C cancels it. (Waiting keeps this client's task alive:
    Dask drops a task whose client has gone.)"""
    executor = executors.make_executor(store)
    try:
        rec = start(executor)
        if rec.status == "running":
            print(f"run {rec.run_id} is already training in another process; showing its "
                  "state", file=sys.stderr)
        elif rec.status == "queued":
            executor.send(rec.run_id)
            if not executor.worker_threads():
                print(f"the Dask scheduler at {executor.address} has no workers yet; the run "
                      "waits for one (dask worker ADDRESS --nworkers N --nthreads 1)",
                      file=sys.stderr)
            bar = ProgressBar(not quiet)
            try:
                rec = wait_at_rest(store, rec.run_id, bar)
            except KeyboardInterrupt:
                bar.close()
                executor.cancel(rec.run_id)
                try:  # the worker stops at its next heartbeat
                    rec = wait_at_rest(store, rec.run_id, None, timeout=30.0)
                except KeyboardInterrupt:
                    rec = store.get(rec.run_id)
                print(json.dumps(summary(rec, store)))
                return EXIT_RUN_FAILED
            bar.close()
        print(json.dumps(summary(rec, store)))
        return EXIT_OK if rec.status in ok else EXIT_RUN_FAILED
    finally:
        executor.close()
