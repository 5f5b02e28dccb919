"""The training loop: minibatch Adam on the β-ELBO, resumable from its last checkpoint.

Randomness is reseeded from (seed, epoch) at every epoch, so a run resumed from a
checkpoint retraces exactly the steps the uninterrupted run would have taken.
"""
from __future__ import annotations

import math
import time
from typing import Callable

import torch

from explorer import data
from explorer.models import evaluation_terms, training_terms

from trainer.bound_tracking import record_bounds, should_record
from trainer.checkpoints import build_model, load_checkpoint, save_checkpoint
from trainer.code_stats import EpochStats, test_code_stats
from trainer.spec import RunSpec
from trainer.store import RunStore

FLUSH_SECONDS = 0.5  # how often metrics and progress reach the store
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


def train_run(
    store: RunStore,
    run_id: str,
    on_progress: Callable[[int, int, dict], None] | None = None,
) -> str:
    """Train a claimed (running) run to the end; returns its final status.

    Stops early as `cancelled` when a cancel is requested, or `diverged` (with the step)
    when the loss or a gradient becomes NaN/inf.
    """
    rec = store.get(run_id)
    spec = rec.spec
    x_train, _ = data.load(spec.dataset, "train")
    x_test, _ = data.load(spec.dataset, "test")
    torch.manual_seed(spec.seed)
    model = build_model(spec)
    model.init_output_bias(x_train.mean(0))
    params = list(model.parameters())
    optimizer = torch.optim.Adam(params, lr=spec.lr)
    n = len(x_train)
    steps_per_epoch = math.ceil(n / spec.batch_size)
    total_steps = spec.epochs * steps_per_epoch
    start_epoch, step, seconds = 0, 0, 0.0
    ckpt_path = store.checkpoint_path(run_id)
    if ckpt_path.exists():
        state = load_checkpoint(ckpt_path)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, step, seconds = int(state["epoch"]), int(state["step"]), float(state["seconds"])
    store.truncate_after(run_id, step, start_epoch)
    store.heartbeat(run_id, start_epoch, step, total_steps, seconds)

    def checkpoint(epoch: int):
        save_checkpoint(ckpt_path, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                    "epoch": epoch, "step": step, "seconds": seconds})
        store.set_checkpoint_epoch(run_id, epoch)

    x_bounds = x_test[: spec.bounds_points]

    bounds_every = spec.bounds_every if spec.tracks_bounds else 0

    def track_bounds(epoch: int):
        if should_record(epoch, spec.epochs, bounds_every):
            was_training = model.training
            store.add_evals(run_id, epoch, step,
                            record_bounds(model.eval(), x_bounds, spec.bounds_k, seed=spec.seed))
            model.train(was_training)

    if start_epoch == 0 and not ckpt_path.exists():
        checkpoint(0)  # the untrained model, so pages can show a run from its first second
        track_bounds(0)
    buffer: list[dict] = []
    last_flush = time.perf_counter()
    t0 = time.perf_counter() - seconds

    def flush(epoch: int) -> bool:
        nonlocal buffer, last_flush, seconds
        seconds = time.perf_counter() - t0
        store.append_metrics(run_id, buffer)
        buffer = []
        last_flush = time.perf_counter()
        return store.heartbeat(run_id, epoch, step, total_steps, seconds)

    results = (evaluate(model.eval(), x_test, seed=spec.seed, n_samples=FINAL_EVAL_SAMPLES)
               if start_epoch >= spec.epochs else {})
    model.train()
    for epoch in range(start_epoch, spec.epochs):
        torch.manual_seed(epoch_seed(spec.seed, epoch))
        order = torch.randperm(n)
        stats = EpochStats(model)
        for i in range(0, n, spec.batch_size):
            xb = x_train[order[i : i + spec.batch_size]]
            if spec.binarize:
                xb = torch.bernoulli(xb)
            terms = train_step_terms(model, spec, xb, step)
            loss = terms.loss
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            # One reduction over all gradients: a NaN or inf anywhere makes the sum non-finite.
            grad_sum = torch.stack([p.grad.sum() for p in params if p.grad is not None]).sum()
            if not bool(torch.isfinite(loss) & torch.isfinite(grad_sum)):
                flush(epoch)
                what = "loss" if not torch.isfinite(loss) else "a gradient"
                store.finish(run_id, "diverged", diverged_step=step,
                             error=f"{what} became NaN/inf at step {step} (epoch {epoch}); "
                                   "try a smaller learning rate or a larger obs_std")
                return "diverged"
            optimizer.step()
            if spec.family.after_step is not None:  # e.g. the VQ-VAE's EMA codebook update
                spec.family.after_step(model, terms, spec)
            stats.add(terms.extras)
            step += 1
            buffer.append({
                "step": step, "epoch": epoch, "loss": terms.objective.item(),
                "elbo": terms.elbo.mean().item(),
                "reconstruction": terms.reconstruction.mean().item(),
                "kl": terms.kl.mean().item(),
                "kl_per_dim": terms.kl_per_dim.mean(0).tolist(),
            })
            if time.perf_counter() - last_flush > FLUSH_SECONDS:
                if flush(epoch):
                    store.finish(run_id, "cancelled", error=None)
                    return "cancelled"
                if on_progress:
                    on_progress(step, total_steps, buffer[-1] if buffer else {})
        model.eval()
        last = epoch + 1 == spec.epochs
        results = evaluate(model, x_test, seed=spec.seed,
                           n_samples=FINAL_EVAL_SAMPLES if last else EPOCH_EVAL_SAMPLES)
        model.train()
        scheduled = spec.family.epoch_record(spec, step)  # e.g. the τ the next step uses
        store.add_evals(run_id, epoch + 1, step, {**results, **stats.summary(), **scheduled})
        track_bounds(epoch + 1)
        cancel = flush(epoch + 1)
        if (epoch + 1) % spec.checkpoint_every == 0 or last:
            checkpoint(epoch + 1)
        if on_progress:
            on_progress(step, total_steps, results)
        if cancel and epoch + 1 < spec.epochs:
            store.finish(run_id, "cancelled", error=None)
            return "cancelled"
    store.finish(run_id, "done", test_elbo=results["test_elbo"], seconds=seconds)
    return "done"
