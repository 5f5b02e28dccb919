"""Exact log p(x) for a categorical latent by summing over every code: the discrete
counterpart of the quadrature in explorer.bounds (log p(x) = log Σ_z p(x|z) p(z))."""
from __future__ import annotations

import torch

from explorer.bounds.log_weights import chunked, log_joint

MAX_CODES = 4096  # K^N codes decoded per data point: 3 variables × 16 categories, or 4 × 8


def n_codes(model) -> int:
    return model.n_categories ** model.latent_dim


def can_enumerate(model, max_codes: int = MAX_CODES) -> bool:
    return getattr(model, "enumerable_codes", False) and n_codes(model) <= max_codes


def all_codes(n: int, k: int, dtype=torch.float32) -> torch.Tensor:
    """Every one-hot code of N variables with K categories, shape (K^N, N, K), variable 1
    varying slowest."""
    digits = torch.cartesian_prod(*[torch.arange(k)] * n).reshape(-1, n)
    return torch.nn.functional.one_hot(digits, k).to(dtype)


@torch.no_grad()
def exact_log_marginal_categorical(model, x: torch.Tensor, chunk: int = 512,
                                   max_codes: int = MAX_CODES) -> torch.Tensor:
    """log p(x) = logsumexp_z [log p(x|z) + log p(z)] over all K^N codes, shape (B,).

    Raises ValueError when the model is not categorical or has more than max_codes codes."""
    if not can_enumerate(model, max_codes):
        raise ValueError(f"exact enumeration needs a categorical model with at most {max_codes} "
                         f"codes; this one has kind {getattr(model, 'kind', '?')!r}"
                         + (f" and {n_codes(model)} codes" if hasattr(model, "n_categories") else ""))
    codes = all_codes(model.latent_dim, model.n_categories, x.dtype)
    # codes (c, 1, N, K) in a chunk: every x against every code.
    log_f = chunked(lambda i, n: log_joint(model, x, codes[i:i + n].unsqueeze(1)), len(codes), chunk)
    return torch.logsumexp(log_f, 0)
