"""CLI run controls (trainer/control.py): each prints the run's summary as one JSON line.

    python -m trainer pause RUN_ID            # after the step in progress (queued: at once)
    python -m trainer play RUN_ID             # a paused run trains on from where it stopped
    python -m trainer step RUN_ID             # to the end of the epoch in progress, then pause
    python -m trainer speed RUN_ID VALUE      # full, or steps per second: 20, 5, 1, 0.5
    python -m trainer reset RUN_ID            # forget what it trained, train it afresh

Exit code 2, with the reason on stderr, for a bad run id, a bad speed, or a run in a state
the command cannot act on (a finished run cannot pause).
"""
from __future__ import annotations

import json

from trainer import control, executors
from trainer.cli_cluster import on_cluster
from trainer.cli_output import summary
from trainer.liveness import check_run_id

COMMANDS = {
    "pause": "pause a run after the step in progress",
    "play": "continue a paused run from where it stopped",
    "step": "train a run to the end of the epoch in progress, then pause it",
    "speed": "cap a run's steps per second (full, 20, 5, 1, …): timing only, same result",
    "reset": "stop a run, delete what it trained (checkpoints, metrics, snapshots), train it afresh",
}


def add_control_parsers(sub):
    for name, text in COMMANDS.items():
        p = sub.add_parser(name, help=text, description=text)
        p.add_argument("run_id")
        if name == "speed":
            p.add_argument("value", help="'full', or steps per second (e.g. 20, 5, 1, 0.5)")
        p.add_argument("--store", default=None, help="store directory")


def cmd_control(args, store) -> int:
    """Run one control; RunNotFound, RunBusy and ValueError reach `main`, which exits 2."""
    from trainer.executor import LocalExecutor  # as `resume` does: local workers

    run_id = check_run_id(args.run_id)
    if args.command == "pause":
        rec = control.pause(store, run_id)
    elif args.command == "speed":
        rec = control.set_speed(store, run_id, control.parse_speed(args.value))
    else:
        act = {"play": control.play, "step": control.step_epoch, "reset": control.reset}
        if executors.configured_address() is not None:  # a Dask run: follow it, as train does
            return on_cluster(store, False, lambda executor: act[args.command](
                executor, store, run_id), ok=("done", "running", "paused"))
        rec = act[args.command](LocalExecutor(store), store, run_id)
    print(json.dumps({**summary(rec, store), "pause_at": rec.pause_at,
                      "speed": control.speed_text(rec.speed)}))
    return 0
