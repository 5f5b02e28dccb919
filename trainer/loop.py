"""The training loop: minibatch Adam on the β-ELBO, resumable from its last checkpoint.

Randomness is reseeded from (seed, epoch) at every epoch, so a run resumed from a
checkpoint retraces exactly the steps the uninterrupted run would have taken.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from explorer import data
from explorer.models import evaluation_terms, training_terms

from trainer.bound_tracking import (ExactInBackground, bounds_due, has_exact, record_bounds,
                                    recover_exact)
from trainer import snapshots
from trainer.checkpoints import CorruptCheckpoint, build_model, load_checkpoint, save_checkpoint
from trainer.code_stats import EpochStats, test_code_stats
from trainer.divergence import Stop, describe_failure, diverged, exploded, explosion, non_finite
from trainer.leases import Lease
from trainer.recorder import Progress, Recorder, step_metrics
from trainer.records import LeaseLost
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
    first: dict | None = None  # the first step's metric row in this process (explosion test)
    snapshot: Callable[["Training"], None] | None = None  # called after every step (snapshots)
    note: str | None = None  # what resuming had to do (a damaged checkpoint set aside)

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
    path = store.checkpoint_path(run_id)
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


def checkpoint(store: RunStore, state: Training, exact: ExactInBackground | None = None):
    if exact is not None:  # a resumed run recomputes only its checkpoint epoch's exact bound
        exact.drain(before=state.epoch)
    save_checkpoint(store.checkpoint_path(state.run_id), {
        "model": state.model.state_dict(), "optimizer": state.optimizer.state_dict(),
        "epoch": state.epoch, "step": state.step, "seconds": state.seconds},
        before_replace=getattr(store, "check", None))  # a Lease: never overwrite a new owner
    store.set_checkpoint_epoch(state.run_id, state.epoch)


def track_bounds(store: RunStore, state: Training, x_test: torch.Tensor,
                 exact: ExactInBackground):
    """The bound ladder on the first test points, at epoch 0, every few epochs and at the
    end: the sampled bounds now, the exact log p(x) in the background."""
    spec = state.spec
    if not bounds_due(spec, state.epoch):
        return
    model = state.model
    was_training = model.training
    x = x_test[: spec.bounds_points]
    store.add_evals(state.run_id, state.epoch, state.step,
                    record_bounds(model.eval(), x, spec.bounds_k, seed=spec.seed, exact=False))
    if has_exact(model):
        exact.submit(state.epoch, state.step, model, x)
    model.train(was_training)


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
        what = non_finite(terms.loss, params)
        if what is not None:
            stop = check_explosion(state, recorder)  # an earlier step may have exploded
            recorder.flush(state.epoch, state.step)
            return stop or diverged(state, what)
        optimizer.step()
        if spec.family.after_step is not None:  # e.g. the VQ-VAE's EMA codebook update
            spec.family.after_step(model, terms, spec)
        stats.add(terms.extras)
        state.step += 1
        if state.snapshot is not None:
            state.snapshot(state)
        if recorder.add(state.step, state.epoch, step_metrics(terms)):
            stop = check_explosion(state, recorder)
            if stop is not None:
                return stop
            if recorder.flush(state.epoch, state.step):
                return Stop("cancelled", {"error": None})
            # The buffer has just been flushed, so the callback sees no step's metrics
            # here; epoch ends report the test results.
            recorder.progress(state.step, {})
    return check_explosion(state, recorder) or stats


def check_explosion(state: Training, recorder: Recorder) -> Stop | None:
    """The explosion test on the steps buffered since the last flush (read once per flush,
    not per step): the first step whose loss exploded ends the run there, as if it had been
    tested at once — its rows up to that step are written, the later ones dropped."""
    rows = recorder.pending()
    if not rows:
        return None
    state.first = state.first or rows[0]
    for i, row in enumerate(rows):
        if exploded(state.first, row["loss"]):
            recorder.keep(i + 1)
            state.step = row["step"]
            recorder.flush(state.epoch, state.step)
            return explosion(state, row["elbo"], "training ELBO")
    return None


def end_epoch(store: RunStore, state: Training, x_test: torch.Tensor, stats: EpochStats,
              recorder: Recorder, exact: ExactInBackground) -> tuple[dict, bool]:
    """Record a completed epoch (test ELBO, code statistics, bounds), flush and checkpoint;
    returns the test results and whether a cancel was requested."""
    spec, model = state.spec, state.model
    state.epoch += 1
    exact.write_done()
    track_bounds(store, state, x_test, exact)  # first: its exact part overlaps the evaluation
    model.eval()
    results = evaluate(model, x_test, seed=spec.seed,
                       n_samples=FINAL_EVAL_SAMPLES if state.finished else EPOCH_EVAL_SAMPLES)
    model.train()
    scheduled = spec.family.epoch_record(spec, state.step)  # e.g. the τ the next step uses
    store.add_evals(state.run_id, state.epoch, state.step,
                    {**results, **stats.summary(), **scheduled})
    cancel = recorder.flush(state.epoch, state.step)
    state.seconds = recorder.seconds
    if state.epoch % spec.checkpoint_every == 0 or state.finished:
        checkpoint(store, state, exact)
    recorder.progress(state.step, results)
    return results, cancel


def train_run(store: RunStore, run_id: str, on_progress: Progress | None = None) -> str:
    """Train a claimed (running) run to the end under its lease; returns its final status.

    Stops early as `cancelled` when a cancel is requested, `diverged` (with the step) when the
    loss or a gradient becomes NaN/inf or the loss explodes, `failed` with the exception's
    real cause, or "lost" — writing nothing more — when its lease was taken away.
    """
    rec = store.get(run_id)
    if rec.status != "running":
        raise LeaseLost(run_id, rec.lease)
    with Lease(store, run_id, rec.lease) as lease:
        try:
            return _train(lease, run_id, on_progress)
        except LeaseLost:
            return "lost"
        except Exception as exc:
            try:
                lease.finish(run_id, "failed", error=describe_failure(exc))
            except LeaseLost:
                return "lost"
            return "failed"


def _train(store: Lease, run_id: str, on_progress: Progress | None) -> str:
    spec = store.get(run_id).spec
    x_train, _ = data.load(spec.dataset, "train")
    x_test, _ = data.load(spec.dataset, "test")
    state = resume(store, run_id, x_train)
    exact = ExactInBackground(store, run_id)
    try:
        status, fields = _epochs(store, state, x_train, x_test, exact, on_progress)
        exact.drain()  # the run's bounds are complete before its status says it ended
    finally:
        exact.close()
    store.finish(run_id, status, **fields)
    return status


def _epochs(store: Lease, state: Training, x_train: torch.Tensor, x_test: torch.Tensor,
            exact: ExactInBackground, on_progress: Progress | None) -> tuple[str, dict]:
    """Train to the end or to an early stop; the status to finish with and its fields."""
    spec, run_id = state.spec, state.run_id
    recorder = Recorder(store, run_id, total_steps(spec, len(x_train)), state.seconds,
                        on_progress)
    state.snapshot = snapshots.snapshotter(store, state, x_test, len(x_train))
    if state.fresh:
        checkpoint(store, state)  # the untrained model: pages can show a run from its first second
        track_bounds(store, state, x_test, exact)
        if state.snapshot is not None:
            state.snapshot(state)
    if not state.fresh:
        recover_exact(store, run_id, spec, state.model, state.epoch, state.step, x_test)
    results = (evaluate(state.model.eval(), x_test, seed=spec.seed, n_samples=FINAL_EVAL_SAMPLES)
               if state.finished else {})
    state.model.train()
    while not state.finished:
        if store.cancel:  # seen by the heartbeat thread during a long evaluation
            return "cancelled", {"error": None}
        outcome = train_epoch(state, x_train, recorder)
        if isinstance(outcome, Stop):
            return outcome.status, outcome.fields
        results, cancel = end_epoch(store, state, x_test, outcome, recorder, exact)
        test = results["test_elbo"]
        if state.first and (not math.isfinite(test) or exploded(state.first, -test)):
            stop = explosion(state, test, "test ELBO")
            return stop.status, stop.fields
        if cancel and not state.finished:
            return "cancelled", {"error": None}
    return "done", {"test_elbo": results["test_elbo"], "seconds": state.seconds,
                    "error": state.note}
