"""The training loop: minibatch Adam on the β-ELBO, resumable from its last checkpoint.

Randomness is reseeded from (seed, epoch) at every epoch, so a run resumed from a
checkpoint retraces exactly the steps the uninterrupted run would have taken; a paused run's
checkpoint also keeps its place inside the epoch (trainer/epoch_position.py).
"""
from __future__ import annotations

import math

import torch

from explorer import data
from explorer.models import evaluation_terms, training_terms

from trainer.bound_tracking import (ExactInBackground, bounds_due, has_exact, record_bounds,
                                    recover_exact)
from trainer import snapshots
from trainer.code_stats import EpochStats, test_code_stats
from trainer.divergence import Stop, describe_failure, diverged, exploded, explosion, non_finite
from trainer.epoch_position import EpochPosition
from trainer.leases import Lease
from trainer.recorder import Progress, Recorder, step_metrics
from trainer.records import LeaseLost
from trainer.run_controls import Pacer
from trainer.spec import RunSpec
from trainer.store import RunStore
from trainer.training_state import Training, checkpoint, resume, total_steps  # noqa: F401

EPOCH_EVAL_SAMPLES = 1  # z samples per test point for the per-epoch curve
FINAL_EVAL_SAMPLES = 10  # and for the final test ELBO a run reports


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
        exact.submit(state.epoch, state.step, model, x, last=state.finished)
    model.train(was_training)


def train_epoch(state: Training, x_train: torch.Tensor, recorder: Recorder,
                pacer: Pacer) -> EpochStats | Stop:
    """One epoch of Adam steps, reseeded from (seed, epoch) — or the rest of a paused one;
    its code statistics, or a Stop when the run diverged, was cancelled or paused mid-epoch
    (a pause's Stop carries its `position` for the checkpoint)."""
    spec, model, optimizer = state.spec, state.model, state.optimizer
    params = list(model.parameters())
    at = state.position or EpochPosition.start(model, spec.seed, state.epoch, len(x_train))
    state.position = None
    at.enter()
    stats, n_batches = at.stats, math.ceil(len(x_train) / spec.batch_size)
    for done in range(at.done + 1, n_batches + 1):
        i = (done - 1) * spec.batch_size
        xb = x_train[at.order[i : i + spec.batch_size]]
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
        due = recorder.add(state.step, state.epoch, step_metrics(terms))
        pacer.wait()  # the speed cap: timing only
        pause = pacer.controls.pause_at == "step" and done < n_batches  # else at the epoch end
        if due or pause:
            stop = check_explosion(state, recorder)
            if stop is not None:
                return stop
            if recorder.flush(state.epoch, state.step):
                return Stop("cancelled", {"error": None})
            # The buffer has just been flushed, so the callback sees no step's metrics
            # here; epoch ends report the test results.
            recorder.progress(state.step, {})
            pause = pause or (pacer.read().pause_at == "step" and done < n_batches)
        if pause:
            state.seconds = recorder.seconds
            return Stop("paused", {"position": at.saved(done)})
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
              recorder: Recorder, pacer: Pacer,
              exact: ExactInBackground) -> tuple[dict, bool, bool]:
    """Record a completed epoch (test ELBO, code statistics, bounds), flush and checkpoint (also
    off schedule when the run pauses here); returns the test results, whether a cancel was
    requested and whether the run pauses."""
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
    pausing = not state.finished and pacer.read().pause_at is not None  # a pause, or one epoch
    if state.epoch % spec.checkpoint_every == 0 or state.finished or pausing:
        checkpoint(store, state, exact)
    recorder.progress(state.step, results)
    return results, cancel, pausing


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
        if state.snapshot is not None:  # and its snapshots written (a resumed run forgets
            state.snapshot.drain()  # those after its checkpoint)
    finally:
        exact.close()
        if state.snapshot is not None:
            state.snapshot.close()
    if status == "paused":
        store.pause(run_id)
    else:
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
    if not state.fresh and state.position is None:  # a mid-epoch model is no epoch's model
        recover_exact(store, run_id, spec, state.model, state.epoch, state.step, x_test)
    results = (evaluate(state.model.eval(), x_test, seed=spec.seed, n_samples=FINAL_EVAL_SAMPLES)
               if state.finished else {})
    state.model.train()
    pacer = Pacer(store, run_id)
    while not state.finished:
        if store.cancel:  # seen by the heartbeat thread during a long evaluation
            return "cancelled", {"error": None}
        outcome = train_epoch(state, x_train, recorder, pacer)
        if isinstance(outcome, Stop):
            if outcome.status == "paused":
                checkpoint(store, state, exact, position=outcome.fields["position"])
                return "paused", {}
            return outcome.status, outcome.fields
        results, cancel, pausing = end_epoch(store, state, x_test, outcome, recorder, pacer,
                                             exact)
        test = results["test_elbo"]
        if state.first and (not math.isfinite(test) or exploded(state.first, -test)):
            stop = explosion(state, test, "test ELBO")
            return stop.status, stop.fields
        if cancel and not state.finished:
            return "cancelled", {"error": None}
        if pausing:
            return "paused", {}
    return "done", {"test_elbo": results["test_elbo"], "seconds": state.seconds,
                    "error": state.note}
