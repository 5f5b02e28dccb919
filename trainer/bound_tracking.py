"""Bounds recorded while a run trains, so the gaps can be drawn over training.

On a fixed subset of the test set: the ELBO (many samples), the IWAE bound L_k and, for
latent dimension ≤ 2, the exact log-likelihood by quadrature (for a categorical latent with
at most 4096 codes, by summing over all of them). The ordering
ELBO ≤ L_k ≤ log p(x) and its gaps are the second lecture's story told over time.
"""
from __future__ import annotations

import torch

from explorer.bounds import elbo, exact_log_marginal, iwae
from explorer.models import dvae_iwae, dvae_log_weights
from explorer.bounds.enumeration import can_enumerate, exact_log_marginal_categorical

ELBO_SAMPLES = 100  # enough that the recorded ELBO's Monte Carlo error is ≪ the gaps


def should_record(epoch: int, epochs: int, every: int) -> bool:
    """Record before training (epoch 0), every `every` epochs, and at the end."""
    if every <= 0:
        return False
    return epoch == 0 or epoch % every == 0 or epoch == epochs


@torch.no_grad()
def record_bounds(model, x: torch.Tensor, k: int, seed: int) -> dict[str, float]:
    """Mean ELBO, L_k and (d ≤ 2) exact log p(x) over x; leaves the caller's RNG untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        if model.kind == "dvae":  # weights over the joint (z, ζ): r(ζ|z) cancels
            out = {"bound_elbo": dvae_log_weights(model, x, ELBO_SAMPLES).mean(0).mean().item(),
                   "bound_iwae": dvae_iwae(model, x, k).mean().item()}
        else:
            out = {"bound_elbo": elbo(model, x, k=ELBO_SAMPLES).mean().item(),
                   "bound_iwae": iwae(model, x, k).mean().item()}
        if model.kind == "gaussian" and model.latent_dim <= 2:
            out["bound_exact"] = exact_log_marginal(model, x).mean().item()
        elif can_enumerate(model):  # a small categorical latent: sum over every code
            out["bound_exact"] = exact_log_marginal_categorical(model, x).mean().item()
    return out
