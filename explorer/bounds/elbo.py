"""The evidence lower bound: log p(x) = ELBO + KL(q(z|x) ‖ p(z|x)), the identity all three lectures build on."""
from __future__ import annotations

import torch


def elbo(model, x: torch.Tensor, k: int = 1) -> torch.Tensor:
    """Monte Carlo ELBO per example: mean over k samples of log p(x,z) − log q(z|x)."""
    q = model.encode(x)
    z = q.sample((k,))
    log_w = model.decode(z).log_prob(x) + model.prior().log_prob(z) - q.log_prob(z)
    return log_w.mean(0)
