"""Admission control: what a spec will cost, estimated before it is accepted.

A class shares one server, so a spec that would allocate 33 GB in its first step or train
for a day is refused with the number and the limit, instead of taking the machine down.
The estimate counts the networks' floats from the model built on PyTorch's "meta" device
(no memory is allocated) and the floating-point work of training and bound tracking at a
reference speed measured on these machines (bench/train_throughput.py: ~27 GFLOP/s for
one thread on a d = 50, k = 50 IWAE run; 20 is used, to stay on the safe side).
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass

import torch
from torch import nn

from explorer import data

from trainer.spec import RunSpec

FLOPS_PER_SECOND = 20e9  # one thread, CPU, float32 matmuls of these sizes
SECONDS_PER_STEP = 1.5e-3  # Python, optimiser and store overhead around each step
BYTES_PER_FLOAT = 4
SAVED_PER_ACTIVATION = 4  # pre-activation, activation, their gradients


class Refused(ValueError):
    """The spec costs more than this server allows; the message says what and how much."""


@dataclass(frozen=True)
class Limits:
    step_bytes: float  # memory of one training step (activations + parameters + Adam)
    run_seconds: float  # estimated training time, bound tracking included
    bound_samples: int  # bounds_points × bounds_k of one evaluation

    @classmethod
    def from_env(cls) -> "Limits":
        """VAE_EXPLORER_MAX_RUN_GB (default: a quarter of this machine's memory, at most 4),
        VAE_EXPLORER_MAX_RUN_HOURS (default 2), VAE_EXPLORER_MAX_BOUND_SAMPLES (2,000,000)."""
        ram = _physical_memory()
        gb = float(os.environ.get("VAE_EXPLORER_MAX_RUN_GB", min(4.0, ram / 4 / 2**30)))
        hours = float(os.environ.get("VAE_EXPLORER_MAX_RUN_HOURS", 2.0))
        bound = int(os.environ.get("VAE_EXPLORER_MAX_BOUND_SAMPLES", 2_000_000))
        return cls(gb * 2**30, hours * 3600.0, bound)


@dataclass(frozen=True)
class Estimate:
    step_bytes: float
    seconds: float
    bound_samples: int
    parameters: int
    samples_per_point: int

    def text(self) -> str:
        return (f"about {_size(self.step_bytes)} per step and {_duration(self.seconds)} of "
                f"training ({self.parameters:,} parameters)")


def _physical_memory() -> float:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def _size(b: float) -> str:
    return f"{b / 2**30:.1f} GB" if b >= 2**30 else f"{b / 2**20:.0f} MB"


def _duration(s: float) -> str:
    return f"{s / 3600:.1f} h" if s >= 3600 else f"{s / 60:.0f} min" if s >= 60 else f"{s:.0f} s"


def _linears(module: nn.Module | None) -> list[nn.Linear]:
    return [m for m in module.modules() if isinstance(m, nn.Linear)] if module is not None else []


def estimate(spec: RunSpec) -> Estimate:
    """Memory of one step and time of the whole run for `spec` (see the module docstring)."""
    info = data.info(spec.dataset)
    with torch.device("meta"):
        model = spec.family.build(spec, info.dim)
    enc, dec = _linears(getattr(model, "encoder", None)), _linears(getattr(model, "decoder", None))
    if not enc and not dec:
        enc = _linears(model)
    params = sum(p.numel() for p in model.parameters())
    s = spec.k if spec.objective in ("iwae", "renyi") else spec.n_samples
    b = min(spec.batch_size, info.n_train)
    dec_in = dec[0].in_features if dec else 0
    floats = b * sum(m.out_features for m in enc) + b * s * (dec_in + sum(m.out_features for m in dec))
    step_bytes = BYTES_PER_FLOAT * (SAVED_PER_ACTIVATION * floats + 4 * params)
    enc_macs = sum(m.in_features * m.out_features for m in enc)
    dec_macs = sum(m.in_features * m.out_features for m in dec)
    steps = spec.epochs * math.ceil(info.n_train / spec.batch_size)
    train_flops = 6.0 * spec.epochs * info.n_train * (enc_macs + s * dec_macs)
    evals = 0
    if spec.tracks_bounds and spec.bounds_every:
        evals = spec.epochs // spec.bounds_every + 2
    points = min(spec.bounds_points, info.n_test)
    bound_flops = 2.0 * evals * points * (enc_macs + spec.bounds_k * dec_macs)
    test_flops = 2.0 * spec.epochs * info.n_test * (enc_macs + dec_macs)
    seconds = (train_flops + bound_flops + test_flops) / FLOPS_PER_SECOND + steps * SECONDS_PER_STEP
    return Estimate(step_bytes, seconds, points * spec.bounds_k if evals else 0, params, s)


def check(spec: RunSpec, limits: Limits | None = None) -> Estimate:
    """The estimate, or `Refused` naming the number and the limit it exceeds."""
    limits = limits or Limits.from_env()
    est = estimate(spec)
    if est.step_bytes > limits.step_bytes:
        raise Refused(
            f"this run needs about {_size(est.step_bytes)} of memory per training step "
            f"(batch {spec.batch_size} × {est.samples_per_point} samples, {est.parameters:,} "
            f"parameters); the limit on this server is {_size(limits.step_bytes)} "
            "(VAE_EXPLORER_MAX_RUN_GB). Use a smaller batch, fewer samples or a smaller latent.")
    if est.bound_samples > limits.bound_samples:
        raise Refused(
            f"each bound evaluation would draw {est.bound_samples:,} importance samples "
            f"({spec.bounds_points} points × k = {spec.bounds_k}); the limit is "
            f"{limits.bound_samples:,} (VAE_EXPLORER_MAX_BOUND_SAMPLES). Use fewer points or a smaller k.")
    if est.seconds > limits.run_seconds:
        raise Refused(
            f"this run would train for about {_duration(est.seconds)}; the limit on this "
            f"server is {_duration(limits.run_seconds)} (VAE_EXPLORER_MAX_RUN_HOURS). Use "
            "fewer epochs, a larger batch or sparser bound tracking.")
    return est


def limit_worker_memory() -> float | None:
    """Cap this worker's address space (VAE_EXPLORER_WORKER_GB; default the per-step limit
    plus 3 GB for Python and PyTorch), so one run cannot push the server into swap."""
    import resource

    gb = os.environ.get("VAE_EXPLORER_WORKER_GB")
    cap = float(gb) * 2**30 if gb else Limits.from_env().step_bytes + 3 * 2**30
    try:
        resource.setrlimit(resource.RLIMIT_AS, (int(cap), int(cap)))
    except (ValueError, OSError):
        return None
    return cap


def explain_failure(cause: str, cap: float | None) -> str:
    """An allocation refused under the worker's memory cap, said in words."""
    if cap is not None and ("can't allocate memory" in cause or cause.startswith("MemoryError")):
        return (f"out of memory: the run needed more than this worker's limit of {_size(cap)} "
                f"(VAE_EXPLORER_WORKER_GB) — {cause}")
    return cause
