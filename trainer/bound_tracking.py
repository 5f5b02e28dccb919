"""Bounds recorded while a run trains, so the gaps can be drawn over training.

On a fixed subset of the test set: the ELBO (many samples), the IWAE bound L_k and, for
latent dimension ≤ 2, the exact log-likelihood by quadrature (for a categorical latent with
at most 4096 codes, by summing over all of them): whatever the run's latent family offers. The ordering
ELBO ≤ L_k ≤ log p(x) and its gaps are the second lecture's story told over time.

The sampled bounds come from one batched log-weights call. The exact log p(x) — the costly
part, and deterministic (no random numbers) — runs on a frozen copy of the model in a
background thread while training goes on (`ExactInBackground`), so it costs no wall time
where a second core is free; a resumed run recomputes one its predecessor did not write.
"""
from __future__ import annotations

import copy
import os
from concurrent.futures import Future, ThreadPoolExecutor

import torch

from explorer.bounds import log_mean_exp
from explorer.models import family_of

ELBO_SAMPLES = 100  # enough that the recorded ELBO's Monte Carlo error is ≪ the gaps


def should_record(epoch: int, epochs: int, every: int) -> bool:
    """Record before training (epoch 0), every `every` epochs, and at the end."""
    if every <= 0:
        return False
    return epoch == 0 or epoch % every == 0 or epoch == epochs


def bounds_due(spec, epoch: int) -> bool:
    """Whether a run of this spec records its bounds after `epoch` epochs."""
    return should_record(epoch, spec.epochs, spec.bounds_every if spec.tracks_bounds else 0)


@torch.no_grad()
def record_bounds(model, x: torch.Tensor, k: int, seed: int, exact: bool = True) -> dict[str, float]:
    """Mean ELBO, L_k and, where the family reaches it and `exact`, the exact log p(x) over
    x, from the family's own importance weights; leaves the caller's RNG untouched.

    One call draws max(k, ELBO_SAMPLES) log weights: the ELBO averages all of them, L_k
    uses the first k (so ELBO ≤ L_k holds sample by sample when k ≥ ELBO_SAMPLES).
    """
    family = family_of(model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        log_w = family.log_weights(model, x, max(k, ELBO_SAMPLES))
        out = {"bound_elbo": log_w.mean(0).mean().item(),
               "bound_iwae": log_mean_exp(log_w[:k]).mean().item()}
    return {**out, **exact_bound(model, x)} if exact else out


@torch.no_grad()
def exact_bound(model, x: torch.Tensor) -> dict[str, float]:
    """{"bound_exact": mean exact log p(x)} where the model's family reaches it, else {}."""
    family = family_of(model)
    exact = family.exact_log_marginal(model, x) if family.exact_log_marginal else None
    return {} if exact is None else {"bound_exact": exact.mean().item()}


def has_exact(model) -> bool:
    return family_of(model).exact_log_marginal is not None


def recover_exact(store, run_id: str, spec, model, epoch: int, step: int, x_test: torch.Tensor):
    """A resumed run's checkpoint epoch may lack its exact bound (still computing in the
    background when the last process stopped): compute it now. The quadrature draws no
    random numbers, so it is the value the uninterrupted run would have written."""
    if not bounds_due(spec, epoch) or not has_exact(model):
        return
    if epoch in store.evals(run_id).get("bound_exact", {}).get("epoch", []):
        return
    was_training = model.training
    store.add_evals(run_id, epoch, step, _exact_on(exact_threads(epoch == spec.epochs),
                                                   model.eval(), x_test[: spec.bounds_points]))
    model.train(was_training)


def exact_threads(last: bool) -> int:
    """Intra-op threads for an exact bound: the caller's own count (the adaptive rule's
    choices depend on rounding, so a bound recomputed on resume uses the same count), one
    more for a run's last bound, which the training thread waits for, idle."""
    own = torch.get_num_threads()
    return min(os.cpu_count() or 1, own + 1) if last else own


def _exact_on(threads: int, model, x: torch.Tensor) -> dict[str, float]:
    """exact_bound with `threads` intra-op threads in the calling thread only (OpenMP's count
    is per thread: the training thread keeps its own)."""
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        return exact_bound(model, x)
    finally:
        torch.set_num_threads(before)


class ExactInBackground:
    """The exact bound of each recorded epoch, computed in one background thread on a copy
    of the model as it was; the training thread writes each result to the store when it is
    done (`write_done`) and waits for the rest before the run ends (`drain`)."""

    def __init__(self, store, run_id: str):
        self.store, self.run_id = store, run_id
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[tuple[int, int, Future]] = []

    def submit(self, epoch: int, step: int, model, x: torch.Tensor, last: bool = False):
        """Queue the exact bound of `model` as it is now. The `last` one (the run's end) is
        waited for by the training thread, so it takes that thread's core too."""
        frozen = copy.deepcopy(model).eval()
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"bounds-{self.run_id}")
        self._pending.append((epoch, step, self._pool.submit(_exact_on, exact_threads(last),
                                                             frozen, x.clone())))

    def write_done(self):
        """Write the results that are ready (in epoch order); the others keep running."""
        while self._pending and self._pending[0][2].done():
            epoch, step, future = self._pending.pop(0)
            self._write(epoch, step, future.result())

    def drain(self, before: int | None = None):
        """Wait for the pending results (those of epochs before `before`) and write them."""
        while self._pending and (before is None or self._pending[0][0] < before):
            epoch, step, future = self._pending.pop(0)
            self._write(epoch, step, future.result())

    def close(self):
        """Stop: results not yet written are dropped (the run has ended or its lease is lost)."""
        for _, _, future in self._pending:
            future.cancel()
        self._pending = []
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _write(self, epoch: int, step: int, values: dict):
        if values:
            self.store.add_evals(self.run_id, epoch, step, values)
