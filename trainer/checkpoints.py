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


def build_model(spec: RunSpec):
    """The untrained model a spec describes, built by its latent family."""
    return spec.family.build(spec, data.info(spec.dataset).dim)


def save_checkpoint(path: Path, state: dict):
    """Write to a temporary file, then rename: a killed writer never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_checkpoint(path: Path) -> dict:
    """Checkpoint contents; weights_only=True so a checkpoint can never run code."""
    if not path.exists():
        raise NoCheckpoint(f"no checkpoint at {path}")
    return torch.load(path, map_location="cpu", weights_only=True)


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
