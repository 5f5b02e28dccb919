"""The run controls of the Train page and the CLI: pause, play, step one epoch, speed, reset.

Pause, step and speed are requests the run's worker reads between steps
(trainer/run_controls.py); play and step queue a paused run again through its executor, so
local workers and a Dask cluster resume it alike. Each refuses a run in a state it cannot
act on with `RunBusy` and a sentence saying what would.
"""
from __future__ import annotations

import time

from trainer.records import AT_REST, RunBusy, RunRecord
from trainer.run_controls import check_speed

SPEEDS = {"full": None, "20/s": 20.0, "5/s": 5.0, "1/s": 1.0}  # the Train page's choices
RESET_WAIT_SECONDS = 30.0  # a running run stops at its worker's next flush (≤ 1 s) or beat


def wait_at_rest(store, run_id: str, on_poll=None, timeout: float | None = None,
                 poll: float = 0.5) -> RunRecord:
    """Poll the store until the run has finished or paused (or `timeout` passed), calling
    `on_poll(step, total_steps, {})` on each look (a progress bar)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        rec = store.get(run_id)  # a run whose worker died reads as failed here
        if on_poll is not None and rec.total_steps:
            on_poll(rec.step, rec.total_steps, {})
        if rec.status in AT_REST or (deadline is not None and time.monotonic() > deadline):
            return rec
        time.sleep(poll)


def parse_speed(text: str) -> float | None:
    """'full' (no cap), or steps per second: '20', '5/s', '0.5'."""
    value = str(text).strip().lower().removesuffix("/s").strip()
    if value in ("full", "max", "none"):
        return None
    try:
        return check_speed(float(value))
    except ValueError as exc:
        if "steps per second" in str(exc):
            raise
        raise ValueError(f"speed {text!r} is not 'full' or a number of steps per second "
                         "(e.g. 20, 5, 1, 0.5)") from None


def speed_text(speed: float | None) -> str:
    return "full" if speed is None else f"{speed:g}/s"


def pause(store, run_id: str) -> RunRecord:
    """❚❚: a queued run pauses at once, a running one after the step in progress."""
    return store.request_pause(run_id, at="step")


def play(executor, store, run_id: str) -> RunRecord:
    """▶: a paused run trains on from where it stopped; a run still on its way to a pause
    (or to the end of a stepped epoch) goes on without stopping."""
    rec = store.get(run_id)
    if rec.status == "paused":
        return executor.resume(run_id)
    if rec.status in ("queued", "running"):
        store.clear_pause(run_id)
        return store.get(run_id)
    hint = "; resume continues a cancelled or failed run" if rec.resumable else ""
    raise RunBusy(f"run {run_id} is {rec.status}; ▶ continues a paused run{hint}")


def step_epoch(executor, store, run_id: str) -> RunRecord:
    """⏭: train to the end of the epoch in progress (a whole epoch from an epoch's end),
    then pause; a run that is training stops at its current epoch's end."""
    rec = store.request_pause(run_id, at="epoch")
    return executor.resume(run_id) if rec.status == "paused" else rec


def set_speed(store, run_id: str, speed: float | None) -> RunRecord:
    store.set_speed(run_id, speed)
    return store.get(run_id)


def reset(executor, store, run_id: str, timeout: float = RESET_WAIT_SECONDS) -> RunRecord:
    """↺: stop the run, forget everything it trained and queue it afresh (same spec, same
    speed); deterministic, so it retraces the same run from its untrained model."""
    rec = store.get(run_id)
    if rec.status in ("queued", "running"):
        executor.cancel(run_id)
        if wait_at_rest(store, run_id, timeout=timeout, poll=0.1).status not in AT_REST:
            raise RunBusy(f"run {run_id} has not stopped yet (its worker stops at its next "
                          "heartbeat); reset it again in a moment")
    store.wipe(run_id)
    return executor.resume(run_id)
