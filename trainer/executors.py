"""Which executor trains the runs: this machine's worker processes, or a Dask cluster.

    VAE_EXPLORER_EXECUTOR=tcp://HOST:PORT   runs go to the Dask scheduler at that address
    (unset, empty or "local")              runs train in local worker processes

The app (ui/state.py) and `python -m trainer train` both ask `make_executor`.
"""
from __future__ import annotations

import os
import re

from trainer.executor import Executor, LocalExecutor
from trainer.store import RunStore

EXECUTOR_VARIABLE = "VAE_EXPLORER_EXECUTOR"
TIMEOUT_VARIABLE = "VAE_EXPLORER_EXECUTOR_TIMEOUT"  # seconds to reach the scheduler (10)
ADDRESS = re.compile(r"^tcp://(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$")
HOW_TO_START = ("start one with `dask scheduler --port PORT --no-dashboard` and workers on "
                "the machine that holds the run store with `dask worker tcp://HOST:PORT "
                "--nworkers N --nthreads 1` (docs/dask.md), or unset "
                f"{EXECUTOR_VARIABLE} to train on this machine")


class ExecutorUnavailable(ValueError):
    """The configured executor cannot be used; the message says why and what to do."""


def configured_address(environ=None) -> str | None:
    """The Dask scheduler address from $VAE_EXPLORER_EXECUTOR, None for local training;
    anything that is not tcp://HOST:PORT raises `ExecutorUnavailable`."""
    value = (os.environ if environ is None else environ).get(EXECUTOR_VARIABLE, "").strip()
    if value in ("", "local"):
        return None
    m = ADDRESS.match(value)
    if m is None or not 0 < int(m.group(2)) < 65536:
        raise ExecutorUnavailable(
            f"{EXECUTOR_VARIABLE}={value!r} is not a Dask scheduler address: write "
            f"tcp://HOST:PORT (e.g. tcp://127.0.0.1:8786), or 'local'. To run a scheduler, "
            + HOW_TO_START)
    return value


def connect_timeout() -> float:
    try:
        return max(0.5, float(os.environ.get(TIMEOUT_VARIABLE, 10)))
    except ValueError:
        raise ExecutorUnavailable(f"{TIMEOUT_VARIABLE} must be a number of seconds") from None


def make_executor(store: RunStore, max_workers: int | None = None) -> Executor:
    """A `DaskExecutor` when $VAE_EXPLORER_EXECUTOR names a scheduler, else a
    `LocalExecutor(store, max_workers)`; `ExecutorUnavailable` says what is wrong."""
    address = configured_address()
    if address is None:
        return LocalExecutor(store, max_workers=max_workers)
    try:
        from trainer.dask_executor import DaskExecutor, SchedulerUnreachable
    except ImportError as exc:
        raise ExecutorUnavailable(
            f"{EXECUTOR_VARIABLE}={address} needs Dask, which is not installed here ({exc}): "
            "pip install 'dask[distributed]' (it is in requirements.txt)") from None
    try:
        return DaskExecutor(store, address, timeout=connect_timeout())
    except SchedulerUnreachable as exc:
        raise ExecutorUnavailable(f"{exc} To start one, {HOW_TO_START}") from None
