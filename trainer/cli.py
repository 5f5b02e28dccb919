"""Command line: pre-train runs before class and inspect the store.

    python -m trainer train --dataset mnist5k --latent-dim 2 --epochs 30 --seed 0 [--store DIR]
    python -m trainer list [--store DIR]
    python -m trainer show RUN_ID [--store DIR]
    python -m trainer cancel|resume|delete RUN_ID [--store DIR]
    python -m trainer pretrain [--store DIR] [--wait]   # the class models (trainer/class_models.py)
    python -m trainer export RUN_ID --out FILE.zip [--store DIR]
    python -m trainer import FILE.zip [--store DIR]     (validated first: trainer/archive.py)
    python -m trainer evaluate RUN_ID [--k 5000] [--points N] [--seed 0] [--store DIR]
    python -m trainer pause|play|step|reset RUN_ID, speed RUN_ID VALUE   (trainer/cli_control.py)

`train` runs in the foreground with a progress bar on stderr and prints one JSON object
(run_id, status, test_elbo, …) as its last line; `evaluate` prints the test ELBO, L_k, KL and
active units of a run's checkpoint as JSON (trainer.evaluation). With $VAE_EXPLORER_EXECUTOR=tcp://HOST:PORT
the run trains on that Dask cluster instead and `train` waits for it (docs/dask.md). Exit codes: 0 done, 1 the run failed,
diverged or was cancelled, 2 bad input.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from pydantic import ValidationError

from explorer.models import registry as families

from trainer import admission, executors
from trainer.cli_control import COMMANDS as CONTROL_COMMANDS, add_control_parsers, cmd_control
from trainer.cli_cluster import on_cluster
from trainer.cli_output import EXIT_BAD_INPUT, EXIT_OK, EXIT_RUN_FAILED, ProgressBar, summary
from trainer.cli_evaluate import add_evaluate_parser, cmd_evaluate
from trainer.executor import admit

from trainer.spec import RunSpec, describe_errors
from trainer.store import LeaseLost, RunBusy, RunNotFound, RunStore



def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def spec_flags() -> dict:
    """Every RunSpec field and every registered family's own fields → (field, help text); a
    name two families share (n_categories) gets one flag whose help names both."""
    def default_text(field):
        d = field.default
        return ",".join(map(str, d)) if isinstance(d, tuple) else d

    flags = {name: (field, f"{field.description} (default {default_text(field)})")
             for name, field in RunSpec.model_fields.items()}
    for family in families.families():
        for name, field in family.option_fields().items():
            text = f"{family.name}: {field.description} (default {default_text(field)})"
            flags[name] = (field, f"{flags[name][1]}; {text}" if name in flags else text)
    return flags


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m trainer", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    train = sub.add_parser("train", help="train one run in the foreground")
    for name, (field, help_text) in spec_flags().items():
        if field.annotation is bool:
            train.add_argument(_flag(name), action="store_true", default=None, help=help_text)
        else:
            train.add_argument(_flag(name), default=None, help=help_text)
    train.add_argument("--quiet", action="store_true", help="no progress bar")
    for name in ("list", "show", "cancel", "resume", "delete", "worker"):
        p = sub.add_parser(name, help=f"{name} runs" if name != "worker" else argparse.SUPPRESS)
        if name not in ("list", "worker"):
            p.add_argument("run_id")
        if name == "worker":
            p.add_argument("--threads", type=int, default=1)
            p.add_argument("--slot", type=int, default=None)
        p.add_argument("--store", default=None, help="store directory (default: $VAE_EXPLORER_STORE or ~/.cache/vae-explorer/runs)")
    train.add_argument("--store", default=None, help="store directory")
    add_pretrain_parser(sub)
    add_archive_commands(sub)
    add_evaluate_parser(sub)
    add_control_parsers(sub)
    return parser


def add_archive_commands(sub):
    export = sub.add_parser("export", help="write a run as a zip (spec, metrics, checkpoint)")
    export.add_argument("run_id")
    export.add_argument("--out", required=True, help="the zip file to write")
    imp = sub.add_parser("import", help="add a run from a zip written by export (validated first)")
    imp.add_argument("archive", help="the zip file to read")
    for p in (export, imp):
        p.add_argument("--store", default=None, help="store directory")


def cmd_archive(args, store: RunStore) -> int:
    """export / import: one JSON line; exit 2 with the failed check on a refused archive."""
    from trainer.archive import export_run, import_run

    try:
        if args.command == "export":
            print(json.dumps(export_run(store, args.run_id, args.out)))
        else:
            print(json.dumps(import_run(store, args.archive)))
    except OSError as exc:
        print(f"cannot {args.command}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def cmd_train(args, store: RunStore) -> int:
    from trainer.loop import train_run

    names = set(spec_flags())
    given = {k: v for k, v in vars(args).items() if k in names and v is not None}
    try:
        spec = RunSpec(**given)
    except ValidationError as exc:
        print(f"invalid run spec:\n{describe_errors(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if executors.configured_address() is not None:
            return on_cluster(store, args.quiet, lambda executor: executor.submit(spec))
        rec = admit(store, spec)
    except admission.Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except executors.ExecutorUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    if store.get(rec.run_id).status == "queued":
        claimed = store.claim(rec.run_id)
        if claimed is not None:
            bar = ProgressBar(not args.quiet)
            try:
                train_run(store, rec.run_id, on_progress=bar)
            except KeyboardInterrupt:
                bar.close()
                try:
                    store.finish(rec.run_id, "cancelled", lease=claimed.lease,
                                 error="interrupted (Ctrl-C); resume continues from the last checkpoint")
                except LeaseLost:
                    pass
                print(json.dumps(summary(store.get(rec.run_id), store)))
                return EXIT_RUN_FAILED
            bar.close()
    rec = store.get(rec.run_id)
    if rec.status == "running":
        print(f"run {rec.run_id} is already training in another process; showing its state",
              file=sys.stderr)
    if rec.status == "paused":
        print(f"run {rec.run_id} was paused; `python -m trainer play {rec.run_id}` continues it",
              file=sys.stderr)
    print(json.dumps(summary(rec, store)))
    return EXIT_OK if rec.status in ("done", "running") else EXIT_RUN_FAILED


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        store = RunStore(args.store)
    except OSError as exc:
        print(f"cannot open store {args.store!r}: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        if args.command == "train":
            return cmd_train(args, store)
        if args.command == "pretrain":
            return cmd_pretrain(args, store)
        if args.command in ("export", "import"):
            return cmd_archive(args, store)
        if args.command in CONTROL_COMMANDS:
            return cmd_control(args, store)
        if args.command == "evaluate":
            return cmd_evaluate(args, store, ProgressBar(not args.quiet))
        if args.command == "worker":
            from trainer.executor import work

            work(store, threads=args.threads, slot=args.slot)
            return EXIT_OK
        if args.command == "list":
            for rec in store.list():  # reading marks runs whose worker died as failed
                s = rec.spec
                elbo = f"{rec.test_elbo:9.2f}" if rec.test_elbo is not None else "        -"
                print(f"{rec.run_id}  {rec.status:9s} {rec.progress:6.0%}  test ELBO {elbo}  "
                      f"{s.model} {s.dataset} d={s.latent_dim} {s.likelihood} β={s.beta} "
                      f"{s.estimator} seed={s.seed}")
            return EXIT_OK
        if args.command == "show":
            print(json.dumps(summary(store.get(args.run_id), store), indent=2))
            return EXIT_OK
        if args.command == "cancel":
            print(json.dumps(summary(store.request_cancel(args.run_id), store)))
            return EXIT_OK
        if args.command == "resume":
            if executors.configured_address() is not None:  # a Dask run: wait, as train does
                return on_cluster(store, False, lambda executor: executor.resume(args.run_id))
            from trainer.executor import LocalExecutor

            print(json.dumps(summary(LocalExecutor(store).resume(args.run_id), store)))
            return EXIT_OK
        if args.command == "delete":
            store.delete(args.run_id)
            print(json.dumps({"deleted": args.run_id}))
            return EXIT_OK
    except (RunNotFound, RunBusy, ValueError) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # `trainer list | head`: the reader left; stop quietly, as other Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's last flush is silent too
        return EXIT_OK
    return EXIT_BAD_INPUT


# ---- pretrain: the class models every page needs (trainer/class_models.py) -----------------
def add_pretrain_parser(sub):
    p = sub.add_parser("pretrain", help="queue the class models every page needs")
    p.add_argument("--wait", action="store_true", help="show progress until they finish")
    p.add_argument("--store", default=None, help="store directory")


def cmd_pretrain(args, store: RunStore) -> int:
    """Queue the class models (identical specs reuse their run); with --wait, a progress line
    on stderr until none is queued or running. Prints one JSON object; exit 1 if one failed."""
    from trainer import class_models

    cluster = executors.configured_address() is not None
    try:
        executor = executors.make_executor(store)  # local workers unless Dask is configured
        records = class_models.pretrain(executor)
    except admission.Refused as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except executors.ExecutorUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    if cluster and not args.wait:  # this client's tasks would be dropped when it closes
        print("a Dask executor is configured: waiting until the class models are trained",
              file=sys.stderr)
    try:
        return _pretrain_result(args.wait or cluster, records, store)
    finally:
        if cluster:
            executor.close()


def _pretrain_result(wait: bool, records, store: RunStore) -> int:
    from trainer import class_models

    if wait:
        tty = sys.stderr.isatty()
        records = class_models.wait(store, records, lambda line: sys.stderr.write(
            ("\r" + line + "   ") if tty else line + "\n"))
        sys.stderr.write("\n" if tty else "")
    print(json.dumps(class_models.summary(records, store)))
    return EXIT_RUN_FAILED if any(r.status in class_models.FAILED for r in records) else EXIT_OK
