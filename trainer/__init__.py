"""Background training of VAE Explorer runs: specs, the run store, workers and a CLI.

    python -m trainer train --dataset mnist5k --latent-dim 2 --epochs 30
"""
from trainer.checkpoints import NoCheckpoint, build_model, load_model
from trainer.executor import Executor, LocalExecutor
from trainer.spec import RunSpec, describe_errors
from trainer.store import RunBusy, RunNotFound, RunRecord, RunStore, default_store_dir

__all__ = [
    "Executor", "LocalExecutor", "NoCheckpoint", "RunBusy", "RunNotFound", "RunRecord",
    "RunSpec", "RunStore", "build_model", "default_store_dir", "describe_errors", "load_model",
]
