"""The evidence lower bound: log p(x) = ELBO + KL(q(z|x) ‖ p(z|x)), the identity all three lectures build on."""
from __future__ import annotations

import torch

from explorer.bounds.log_weights import chunked_log_weights


def elbo(model, x: torch.Tensor, k: int = 1) -> torch.Tensor:
    """Monte Carlo ELBO per example: mean over k samples of log w = log p(x,z) − log q(z|x)
    (Kingma & Welling 2013, eq. 3), the weights drawn in chunks like L_k's."""
    return chunked_log_weights(model, x, k).mean(0)
