"""The training loop: minibatch Adam on the β-ELBO, resumable from its last checkpoint.

Randomness is reseeded from (seed, epoch) at every epoch, so a run resumed from a
checkpoint retraces exactly the steps the uninterrupted run would have taken.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from explorer import data
from explorer.models import evaluation_terms, training_terms

from trainer.bound_tracking import record_bounds, should_record
from trainer.checkpoints import build_model, load_checkpoint, save_checkpoint
from trainer.code_stats import EpochStats, test_code_stats
from trainer.recorder import Progress, Recorder, metric_row
from trainer.spec import RunSpec
from trainer.store import RunStore

EPOCH_EVAL_SAMPLES = 1  # z samples per test point for the per-epoch curve
FINAL_EVAL_SAMPLES = 10  # and for the final test ELBO a run reports


def epoch_seed(seed: int, epoch: int) -> int:
    return (seed * 1_000_003 + epoch * 7919 + 12345) % (2**63 - 1)


@torch.no_grad()
def evaluate(model, x: torch.Tensor, seed: int, n_samples: int = EPOCH_EVAL_SAMPLES,
             batch_size: int = 1000) -> dict[str, float]:
    """Mean test ELBO, reconstruction term and KL per example (nats), and for models with
    discrete codes their usage (the family's evaluation_terms)."""
    totals = {"test_elbo": 0.0, "test_reconstruction": 0.0, "test_kl": 0.0}
    with torch.random.fork_rng(devices=[]):  # leaves the training stream untouched
        torch.manual_seed(seed)
        for i in range(0, len(x), batch_size):
            t = evaluation_terms(model, x[i : i + batch_size], n_samples=n_samples)
            totals["test_elbo"] += t.elbo.sum().item()
            totals["test_reconstruction"] += t.reconstruction.sum().item()
            totals["test_kl"] += t.kl.sum().item()
    out = {k: v / len(x) for k, v in totals.items()}
    out.update(test_code_stats(model, x))
    return out


def train_step_terms(model, spec: RunSpec, xb: torch.Tensor, step: int):
    """The loss terms of one step for any latent family (its step options: τ, β_c, …)."""
    return training_terms(model, xb, n_samples=spec.n_samples, beta=spec.beta,
                          estimator=spec.estimator, **spec.family.step_options(spec, step))


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

    @property
    def finished(self) -> bool:
        return self.epoch >= self.spec.epochs


@dataclass
class Stop:
    """Why an epoch ended early: the status the run finishes with, and its store fields."""

    status: str
    fields: dict = field(default_factory=dict)


def resume(store: RunStore, run_id: str, x_train: torch.Tensor) -> Training:
    """The run's model and optimiser, from its checkpoint when it has one; the store forgets
    whatever was recorded after that checkpoint, so a resumed run writes no duplicates."""
    spec = store.get(run_id).spec
    torch.manual_seed(spec.seed)
    model = build_model(spec)
    model.init_output_bias(x_train.mean(0))
    state = Training(run_id, spec, model, torch.optim.Adam(model.parameters(), lr=spec.lr))
    path = store.checkpoint_path(run_id)
    if path.exists():
        saved = load_checkpoint(path)
        model.load_state_dict(saved["model"])
        state.optimizer.load_state_dict(saved["optimizer"])
        state.epoch, state.step = int(saved["epoch"]), int(saved["step"])
        state.seconds, state.fresh = float(saved["seconds"]), False
    store.truncate_after(run_id, state.step, state.epoch)
    store.heartbeat(run_id, state.epoch, state.step, total_steps(spec, len(x_train)),
                    state.seconds)
    return state


def total_steps(spec: RunSpec, n: int) -> int:
    return spec.epochs * math.ceil(n / spec.batch_size)


def checkpoint(store: RunStore, state: Training):
    save_checkpoint(store.checkpoint_path(state.run_id), {
        "model": state.model.state_dict(), "optimizer": state.optimizer.state_dict(),
        "epoch": state.epoch, "step": state.step, "seconds": state.seconds})
    store.set_checkpoint_epoch(state.run_id, state.epoch)


def track_bounds(store: RunStore, state: Training, x_test: torch.Tensor):
    """The bound ladder on the first test points, at epoch 0, every few epochs and at the end."""
    spec = state.spec
    every = spec.bounds_every if spec.tracks_bounds else 0
    if not should_record(state.epoch, spec.epochs, every):
        return
    model = state.model
    was_training = model.training
    store.add_evals(state.run_id, state.epoch, state.step,
                    record_bounds(model.eval(), x_test[: spec.bounds_points], spec.bounds_k,
                                  seed=spec.seed))
    model.train(was_training)


def _non_finite(loss: torch.Tensor, params: list) -> str | None:
    """What became NaN/inf after backward: "loss", "a gradient", or None."""
    # One reduction over all gradients: a NaN or inf anywhere makes the sum non-finite.
    grad_sum = torch.stack([p.grad.sum() for p in params if p.grad is not None]).sum()
    if bool(torch.isfinite(loss) & torch.isfinite(grad_sum)):
        return None
    return "loss" if not torch.isfinite(loss) else "a gradient"


def _diverged(state: Training, what: str) -> Stop:
    step, epoch = state.step, state.epoch
    return Stop("diverged", {"diverged_step": step, "error": (
        f"{what} became NaN/inf at step {step} (epoch {epoch}); "
        "try a smaller learning rate or a larger obs_std")})


def train_epoch(state: Training, x_train: torch.Tensor, recorder: Recorder) -> EpochStats | Stop:
    """One epoch of Adam steps, reseeded from (seed, epoch); its code statistics, or a Stop
    when the run diverged or was cancelled mid-epoch."""
    spec, model, optimizer = state.spec, state.model, state.optimizer
    params = list(model.parameters())
    torch.manual_seed(epoch_seed(spec.seed, state.epoch))
    order = torch.randperm(len(x_train))
    stats = EpochStats(model)
    for i in range(0, len(x_train), spec.batch_size):
        xb = x_train[order[i : i + spec.batch_size]]
        if spec.binarize:
            xb = torch.bernoulli(xb)
        terms = train_step_terms(model, spec, xb, state.step)
        optimizer.zero_grad(set_to_none=True)
        terms.loss.backward()
        what = _non_finite(terms.loss, params)
        if what is not None:
            recorder.flush(state.epoch, state.step)
            return _diverged(state, what)
        optimizer.step()
        if spec.family.after_step is not None:  # e.g. the VQ-VAE's EMA codebook update
            spec.family.after_step(model, terms, spec)
        stats.add(terms.extras)
        state.step += 1
        if recorder.add(metric_row(state.step, state.epoch, terms)):
            return Stop("cancelled", {"error": None})
    return stats


def end_epoch(store: RunStore, state: Training, x_test: torch.Tensor, stats: EpochStats,
              recorder: Recorder) -> tuple[dict, bool]:
    """Record a completed epoch (test ELBO, code statistics, bounds), flush and checkpoint;
    returns the test results and whether a cancel was requested."""
    spec, model = state.spec, state.model
    state.epoch += 1
    model.eval()
    results = evaluate(model, x_test, seed=spec.seed,
                       n_samples=FINAL_EVAL_SAMPLES if state.finished else EPOCH_EVAL_SAMPLES)
    model.train()
    scheduled = spec.family.epoch_record(spec, state.step)  # e.g. the τ the next step uses
    store.add_evals(state.run_id, state.epoch, state.step,
                    {**results, **stats.summary(), **scheduled})
    track_bounds(store, state, x_test)
    cancel = recorder.flush(state.epoch, state.step)
    state.seconds = recorder.seconds
    if state.epoch % spec.checkpoint_every == 0 or state.finished:
        checkpoint(store, state)
    recorder.progress(state.step, results)
    return results, cancel


def train_run(store: RunStore, run_id: str, on_progress: Progress | None = None) -> str:
    """Train a claimed (running) run to the end; returns its final status.

    Stops early as `cancelled` when a cancel is requested, or `diverged` (with the step)
    when the loss or a gradient becomes NaN/inf.
    """
    spec = store.get(run_id).spec
    x_train, _ = data.load(spec.dataset, "train")
    x_test, _ = data.load(spec.dataset, "test")
    state = resume(store, run_id, x_train)
    recorder = Recorder(store, run_id, total_steps(spec, len(x_train)), state.seconds,
                        on_progress)
    if state.fresh:
        checkpoint(store, state)  # the untrained model: pages can show a run from its first second
        track_bounds(store, state, x_test)
    results = (evaluate(state.model.eval(), x_test, seed=spec.seed, n_samples=FINAL_EVAL_SAMPLES)
               if state.finished else {})
    state.model.train()
    while not state.finished:
        outcome = train_epoch(state, x_train, recorder)
        if isinstance(outcome, Stop):
            store.finish(run_id, outcome.status, **outcome.fields)
            return outcome.status
        results, cancel = end_epoch(store, state, x_test, outcome, recorder)
        if cancel and not state.finished:
            store.finish(run_id, "cancelled", error=None)
            return "cancelled"
    store.finish(run_id, "done", test_elbo=results["test_elbo"], seconds=state.seconds)
    return "done"
