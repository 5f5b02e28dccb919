"""Categorical latent: N variables × K categories, one-hot z, Gumbel-softmax relaxation
(third lecture text §2.2; Jang, Gu & Poole 2017; Maddison, Mnih & Teh 2017).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch.distributions import Distribution, Independent, OneHotCategorical

from explorer.bounds.kl import kl_per_variable
from explorer.discrete.gumbel import gumbel_softmax
from explorer.models.protocol import ObservedDecoder, mlp
from explorer.objectives import ElboTerms, score_function_surrogate


class CategoricalVAE(ObservedDecoder):
    """q(z|x) = Π_n Cat(z_n; softmax(ℓ_n(x))), p(z) = Π_n Cat(1/K), z_n one-hot in R^K.

    latent_dim is N, the number of categorical variables; the decoder reads the N·K one-hot
    (or relaxed) entries.
    """

    kind = "categorical"

    def __init__(self, data_dim: int, latent_dim: int = 20, n_categories: int = 10,
                 hidden: Sequence[int] = (400, 400), likelihood: str = "bernoulli",
                 obs_std: float = 1.0):
        super().__init__()
        self.latent_dim, self.n_categories = int(latent_dim), int(n_categories)
        n, k = self.latent_dim, self.n_categories
        self._build_decoder(n * k, hidden, data_dim, likelihood, obs_std)
        self.encoder = mlp((data_dim, *self.hidden, n * k))
        self.register_buffer("_flat", torch.zeros(n, k), persistent=False)

    def prior(self) -> Distribution:
        """p(z) = Π_n Cat(1/K): event shape (N, K)."""
        return Independent(OneHotCategorical(logits=self._flat), 1)

    def encode(self, x: torch.Tensor) -> Distribution:
        """q(z|x): N independent categoricals with logits from the encoder, event (N, K)."""
        logits = self.encoder(x).unflatten(-1, (self.latent_dim, self.n_categories))
        return Independent(OneHotCategorical(logits=logits), 1)

    def decode(self, z: torch.Tensor) -> Distribution:
        """p(x|z) for one-hot or relaxed z of shape (..., N, K)."""
        return self._observe(z.flatten(-2))


def categorical_terms(model, x, n_samples: int = 1, beta: float = 1.0,
                      estimator: str = "gumbel_softmax", tau: float = 1.0) -> ElboTerms:
    """β-ELBO of a categorical-latent VAE (third lecture text §2.2).

    gumbel_softmax / st_gumbel_softmax: the decoder reads relaxed (or one-hot with the
    relaxed gradient) samples at temperature τ — biased for τ > 0 (Jang et al. 2017);
    reinforce / reinforce_loo: hard z ~ q and the score function (unbiased). The KL to the
    uniform prior is exact: Σ_n Σ_k q_nk log(K q_nk).
    """
    q = model.encode(x)
    kl_var = kl_per_variable(q, model.prior())
    extras = {"tau": float(tau)}
    if estimator in ("gumbel_softmax", "st_gumbel_softmax"):
        logits = q.base_dist.logits.expand(n_samples, *q.base_dist.logits.shape)
        z = gumbel_softmax(logits, tau, hard=estimator == "st_gumbel_softmax")
        reconstruction = model.decode(z).log_prob(x).mean(0)
        return ElboTerms(reconstruction, kl_var.sum(-1), kl_var, float(beta), extras=extras)
    z = q.sample((n_samples,))
    log_px_z = model.decode(z).log_prob(x)
    surrogate = score_function_surrogate(log_px_z, q.log_prob(z), estimator)
    return ElboTerms(log_px_z.mean(0), kl_var.sum(-1), kl_var, float(beta), surrogate,
                     extras=extras)
