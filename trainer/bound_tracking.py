"""Bounds recorded while a run trains, so the gaps can be drawn over training.

On a fixed subset of the test set: the ELBO (many samples), the IWAE bound L_k and, for
latent dimension ≤ 2, the exact log-likelihood by quadrature (for a categorical latent with
at most 4096 codes, by summing over all of them): whatever the run's latent family offers. The ordering
ELBO ≤ L_k ≤ log p(x) and its gaps are the second lecture's story told over time.
"""
from __future__ import annotations

import torch

from explorer.bounds import log_mean_exp
from explorer.models import family_of

ELBO_SAMPLES = 100  # enough that the recorded ELBO's Monte Carlo error is ≪ the gaps


def should_record(epoch: int, epochs: int, every: int) -> bool:
    """Record before training (epoch 0), every `every` epochs, and at the end."""
    if every <= 0:
        return False
    return epoch == 0 or epoch % every == 0 or epoch == epochs


@torch.no_grad()
def record_bounds(model, x: torch.Tensor, k: int, seed: int) -> dict[str, float]:
    """Mean ELBO, L_k and, where the family reaches it, the exact log p(x) over x, from the
    family's own importance weights; leaves the caller's RNG untouched."""
    family = family_of(model)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        log_w = family.log_weights(model, x, k)
        out = {"bound_elbo": family.log_weights(model, x, ELBO_SAMPLES).mean(0).mean().item(),
               "bound_iwae": log_mean_exp(log_w).mean().item()}
        exact = family.exact_log_marginal(model, x) if family.exact_log_marginal else None
        if exact is not None:
            out["bound_exact"] = exact.mean().item()
    return out
