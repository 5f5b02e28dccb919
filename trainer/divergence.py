"""How a run ends badly: NaN/inf, an exploding loss, or an exception — each with its cause.

A learning rate up to 10 is allowed (a teaching moment), so these messages are what a class
reads on the Train page when it is too large.
"""
from __future__ import annotations

import traceback
from dataclasses import dataclass, field
from pathlib import Path

import torch

# A run has exploded when its loss is this many times worse than at its first step (scaled
# by at least one nat): no run that learns comes near, and lr = 5 gets there in a few steps.
EXPLODE_FACTOR = 100.0


@dataclass
class Stop:
    """Why an epoch ended early: the status the run finishes with, and its store fields."""

    status: str
    fields: dict = field(default_factory=dict)


def non_finite(loss: torch.Tensor, params: list) -> str | None:
    """What became NaN/inf after backward: "loss", "a gradient", or None."""
    # One reduction over all gradients: a NaN or inf anywhere makes the sum non-finite.
    grad_sum = torch.stack([p.grad.sum() for p in params if p.grad is not None]).sum()
    if bool(torch.isfinite(loss) & torch.isfinite(grad_sum)):
        return None
    return "loss" if not torch.isfinite(loss) else "a gradient"


def diverged(state, what: str) -> Stop:
    step, epoch = state.step, state.epoch
    return Stop("diverged", {"diverged_step": step, "error": (
        f"{what} became NaN/inf at step {step} (epoch {epoch}) with lr = {state.spec.lr:g}; "
        "try a smaller learning rate or a larger obs_std")})


def exploded(first: dict, loss: float) -> bool:
    """The loss is EXPLODE_FACTOR times worse than the first step's (scale-free, so it holds
    for bits and for Gaussian pixels whose ELBO may be positive)."""
    return loss > first["loss"] + (EXPLODE_FACTOR - 1.0) * max(abs(first["loss"]), 1.0)


def explosion(state, elbo: float, where: str) -> Stop:
    first, lr = state.first, state.spec.lr
    steps = state.step - first["step"]
    return Stop("diverged", {"diverged_step": state.step, "error": (
        f"lr = {lr:g} is too large: the {where} fell from {first['elbo']:.4g} to {elbo:.4g} "
        f"in {steps} step{'s' if steps != 1 else ''} (more than {EXPLODE_FACTOR:g}× worse "
        "than at the start); try a learning rate 10× smaller")})


def describe_failure(exc: BaseException) -> str:
    """The real cause of a failed run: the exception and where in our code it was raised."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "site-packages" not in f.filename]
    where = (f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno} in {frames[-1].name})"
             if frames else "")
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}{where}"[:2000]
