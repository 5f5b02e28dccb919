"""A run being trained — model, optimiser, how far it has come — and how it is saved and
restored: `resume` rebuilds it from its last checkpoint, `checkpoint` writes one (with its
place inside an epoch when a pause stopped it there: trainer/epoch_position.py)."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from trainer.bound_tracking import ExactInBackground
from trainer.checkpoints import CorruptCheckpoint, build_model, load_checkpoint, save_checkpoint
from trainer.epoch_position import EpochPosition
from trainer.spec import RunSpec
from trainer.store import RunStore


@dataclass
class Training:
    """A run being trained: its model, optimiser and how far it has come."""

    run_id: str
    spec: RunSpec
    model: torch.nn.Module
    optimizer: torch.optim.Optimizer
    epoch: int = 0  # epochs completed
    step: int = 0  # optimiser steps taken
    seconds: float = 0.0  # trained so far, as of the last epoch's end (a checkpoint keeps it)
    fresh: bool = True  # no checkpoint yet: the run starts from its untrained model
    first: dict | None = None  # the first step's metric row in this process (explosion test)
    snapshot: Callable[["Training"], None] | None = None  # called after every step (snapshots)
    note: str | None = None  # what resuming had to do (a damaged checkpoint set aside)
    position: EpochPosition | None = None  # a paused run's place inside its epoch

    @property
    def finished(self) -> bool:
        return self.epoch >= self.spec.epochs


def resume(store: RunStore, run_id: str, x_train: torch.Tensor) -> Training:
    """The run's model and optimiser, from its checkpoint when it has one; the store forgets
    whatever was recorded after that checkpoint, so a resumed run writes no duplicates."""
    spec = store.get(run_id).spec
    torch.manual_seed(spec.seed)
    model = build_model(spec)
    model.init_output_bias(x_train.mean(0))
    state = Training(run_id, spec, model, adam(model, spec.lr))
    paused = store.paused_path(run_id)
    path = paused if paused.exists() else store.checkpoint_path(run_id)
    saved = None
    if path.exists():
        try:
            saved = load_checkpoint(path)
        except CorruptCheckpoint as exc:
            # Resuming from it would fail forever: keep the file for inspection, start over.
            path.replace(path.with_suffix(".corrupt"))
            state.note = str(exc)
    if saved is not None:
        model.load_state_dict(saved["model"])
        state.optimizer.load_state_dict(saved["optimizer"])
        state.epoch, state.step = int(saved["epoch"]), int(saved["step"])
        state.seconds, state.fresh = float(saved["seconds"]), False
        state.first = saved.get("first")  # the explosion test keeps the run's own first step
        if "position" in saved:
            state.position = EpochPosition.restored(model, saved["position"])
    store.truncate_after(run_id, state.step, state.epoch)
    store.heartbeat(run_id, state.epoch, state.step, total_steps(spec, len(x_train)),
                    state.seconds)
    return state


def adam(model: torch.nn.Module, lr: float) -> torch.optim.Optimizer:
    """Adam, with PyTorch's fused kernel where the parameters allow it: the same update in one
    pass over each tensor instead of about ten (it took ~40% of a CPU step unfused)."""
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except (RuntimeError, ValueError):  # a device or dtype the fused kernel does not cover
        return torch.optim.Adam(model.parameters(), lr=lr)


def total_steps(spec: RunSpec, n: int) -> int:
    return spec.epochs * math.ceil(n / spec.batch_size)


def checkpoint(store: RunStore, state: Training, exact: ExactInBackground | None = None,
               position: dict | None = None):
    """Save the run; `position` (EpochPosition.saved) when it stops inside an epoch: then to
    its own file, so checkpoint.pt and checkpoint_epoch (what pages and the caches keyed on
    them read) keep meaning the last epoch end."""
    if exact is not None:  # a resumed run recomputes only its checkpoint epoch's exact bound,
        exact.drain(before=None if position else state.epoch)  # from an epoch-end model
    extra = {"position": position} if position is not None else {}
    path = store.paused_path(state.run_id) if position else store.checkpoint_path(state.run_id)
    save_checkpoint(path, {
        "model": state.model.state_dict(), "optimizer": state.optimizer.state_dict(),
        "epoch": state.epoch, "step": state.step, "seconds": state.seconds,
        "first": state.first, **extra},
        before_replace=getattr(store, "check", None))  # a Lease: never overwrite a new owner
    if position is None:
        store.set_checkpoint_epoch(state.run_id, state.epoch)
        store.paused_path(state.run_id).unlink(missing_ok=True)  # superseded

