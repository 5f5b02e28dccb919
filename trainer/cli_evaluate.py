"""`python -m trainer evaluate RUN_ID`: a run's test ELBO, L_k, KL and active units as JSON."""
from __future__ import annotations

import json
import sys

EXIT_OK, EXIT_BAD_INPUT = 0, 2


def add_evaluate_parser(sub):
    ev = sub.add_parser("evaluate", help="test ELBO, L_k, KL and active units of a run")
    ev.add_argument("run_id")
    ev.add_argument("--k", type=int, default=5000, help="importance samples of L_k (default 5000)")
    ev.add_argument("--points", type=int, default=None, help="test points (default: all)")
    ev.add_argument("--seed", type=int, default=0, help="seeds the z samples (default 0)")
    ev.add_argument("--quiet", action="store_true", help="no progress bar")
    ev.add_argument("--store", default=None, help="store directory")


def cmd_evaluate(args, store, bar) -> int:
    from trainer.checkpoints import NoCheckpoint
    from trainer.evaluation import evaluate_run

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
