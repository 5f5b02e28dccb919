"""Command line: pre-train runs before class and inspect the store.

    python -m trainer train --dataset mnist5k --latent-dim 2 --epochs 30 --seed 0 [--store DIR]
    python -m trainer list [--store DIR]
    python -m trainer show RUN_ID [--store DIR]
    python -m trainer cancel|resume|delete RUN_ID [--store DIR]
    python -m trainer evaluate RUN_ID [--k 5000] [--points N] [--seed 0] [--store DIR]

`train` runs in the foreground with a progress bar on stderr and prints one JSON object
(run_id, status, test_elbo, …) as its last line; `evaluate` prints the test ELBO, L_k,
KL and active units of a run's checkpoint as JSON (trainer.evaluation). Exit codes: 0 done, 1 the run failed,
diverged or was cancelled, 2 bad input.
"""
from __future__ import annotations

import argparse
import json
import sys
import time

from pydantic import ValidationError

from explorer.models import registry as families

from trainer.spec import RunSpec, describe_errors
from trainer.store import RunBusy, RunNotFound, RunRecord, RunStore

EXIT_OK, EXIT_RUN_FAILED, EXIT_BAD_INPUT = 0, 1, 2


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
        p.add_argument("--store", default=None, help="store directory (default: $VAE_EXPLORER_STORE or ~/.cache/vae-explorer/runs)")
    train.add_argument("--store", default=None, help="store directory")
    ev = sub.add_parser("evaluate", help="test ELBO, L_k, KL and active units of a run")
    ev.add_argument("run_id")
    ev.add_argument("--k", type=int, default=5000, help="importance samples of L_k (default 5000)")
    ev.add_argument("--points", type=int, default=None, help="test points (default: all)")
    ev.add_argument("--seed", type=int, default=0, help="seeds the z samples (default 0)")
    ev.add_argument("--quiet", action="store_true", help="no progress bar")
    ev.add_argument("--store", default=None, help="store directory")
    return parser


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


def cmd_train(args, store: RunStore) -> int:
    from trainer.loop import train_run

    names = set(spec_flags())
    given = {k: v for k, v in vars(args).items() if k in names and v is not None}
    try:
        spec = RunSpec(**given)
    except ValidationError as exc:
        print(f"invalid run spec:\n{describe_errors(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    rec, created = store.create(spec)
    if not created and rec.resumable:
        store.requeue(rec.run_id)
    if store.get(rec.run_id).status == "queued":
        if store.claim(rec.run_id) is not None:
            bar = ProgressBar(not args.quiet)
            train_run(store, rec.run_id, on_progress=bar)
            bar.close()
    rec = store.get(rec.run_id)
    if rec.status == "running":
        print(f"run {rec.run_id} is already training in another process; showing its state",
              file=sys.stderr)
    print(json.dumps(summary(rec, store)))
    return EXIT_OK if rec.status in ("done", "running") else EXIT_RUN_FAILED


def cmd_evaluate(args, store: RunStore) -> int:
    from trainer.checkpoints import NoCheckpoint
    from trainer.evaluation import evaluate_run

    bar = ProgressBar(not args.quiet)
    try:
        result = evaluate_run(store, args.run_id, k=args.k, n_test=args.points, seed=args.seed,
                              on_progress=lambda done, total: bar(done, total, {}))
    except NoCheckpoint:
        print(f"run {args.run_id} has no checkpoint yet: nothing to evaluate", file=sys.stderr)
        return EXIT_BAD_INPUT
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        bar.close()
    print(json.dumps(result))
    return EXIT_OK


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
        if args.command == "evaluate":
            return cmd_evaluate(args, store)
        if args.command == "worker":
            from trainer.executor import work

            work(store, threads=args.threads)
            return EXIT_OK
        if args.command == "list":
            store.reap_orphans()
            for rec in store.list():
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
            from trainer.executor import LocalExecutor

            print(json.dumps(summary(LocalExecutor(store).resume(args.run_id), store)))
            return EXIT_OK
        if args.command == "delete":
            store.delete(args.run_id)
            print(json.dumps({"deleted": args.run_id}))
            return EXIT_OK
    except (RunNotFound, RunBusy) as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_BAD_INPUT
