"""Building models from specs, and saving/loading checkpoints (atomically, weights only)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

from explorer import data

from trainer.spec import RunSpec
from trainer.store import RunStore


class NoCheckpoint(FileNotFoundError):
    """The run has not written a checkpoint yet."""


class CorruptCheckpoint(NoCheckpoint):
    """The checkpoint file exists but cannot be read (truncated, overwritten, not ours)."""


def build_model(spec: RunSpec):
    """The untrained model a spec describes, built by its latent family."""
    return spec.family.build(spec, data.info(spec.dataset).dim)


def save_checkpoint(path: Path, state: dict, before_replace=None):
    """Write to a temporary file, fsync it, then rename: neither a killed writer nor a power
    cut leaves half a file. `before_replace` (a worker's lease check) may veto the rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a crash
        finally:
            os.close(dir_fd)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: Path) -> dict:
    """Checkpoint contents; weights_only=True so a checkpoint can never run code."""
    if not path.exists():
        raise NoCheckpoint(f"no checkpoint at {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError, EOFError, RuntimeError from a damaged zip
        raise CorruptCheckpoint(
            f"the checkpoint {path} is damaged and cannot be read ({type(exc).__name__}); "
            "resuming the run starts it again from its untrained model") from None
    if not isinstance(state, dict) or "model" not in state:
        raise CorruptCheckpoint(f"the checkpoint {path} is not a VAE Explorer checkpoint")
    return state


def load_model(run_id: str, store: RunStore | str | os.PathLike | None = None):
    """The model of a run at its latest checkpoint, in eval mode."""
    if not isinstance(store, RunStore):
        store = RunStore(store)
    rec = store.get(run_id)
    state = load_checkpoint(store.checkpoint_path(run_id))
    model = build_model(rec.spec)
    model.load_state_dict(state["model"])
    model.checkpoint_epoch = int(state["epoch"])
    return model.eval()
