"""Gaussian latent z ~ N(μ(x), diag σ²(x)) with prior N(0, I) (Kingma & Welling 2013)."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.distributions import Distribution, Independent, Normal

from explorer.models.protocol import (LOGVAR_MAX, LOGVAR_MIN, check_likelihood, mlp,
                                      observation_model, output_size, set_output_bias)
from explorer.bounds.log_weights import chunked_log_weights
from explorer.bounds.quadrature import exact_log_marginal
from explorer.models.registry import LatentFamily, LatentSize, NoOptions, register
from explorer.objectives import ESTIMATORS, OBJECTIVES, REGULARIZERS, elbo_terms, objective_terms


class GaussianVAE(nn.Module):
    """VAE with q(z|x) = N(μ(x), diag σ²(x)), p(z) = N(0, I) (Kingma & Welling 2013).

    likelihood:
      "bernoulli"        p(x|z) = Π Bernoulli(x_i; sigmoid(f(z))_i); grey-level targets are
                         scored with the same formula (the "continuous BCE" convention).
      "gaussian_fixed"   p(x|z) = N(x; f(z), s² I) with fixed s = obs_std; −log p is the
                         squared error / 2s², so s² plays the role of β (second lecture).
      "gaussian_learned" p(x|z) = N(x; f(z), diag σ²(z)), σ(z) ≥ min_std so the density
                         cannot collapse onto pixels that are exactly constant.
    """

    kind = "gaussian"

    def __init__(
        self,
        data_dim: int,
        latent_dim: int,
        hidden: Sequence[int] = (400, 400),
        likelihood: str = "bernoulli",
        obs_std: float = 1.0,
        min_std: float = 0.01,
    ):
        super().__init__()
        check_likelihood(likelihood)
        self.data_dim, self.latent_dim = int(data_dim), int(latent_dim)
        self.likelihood, self.obs_std, self.min_std = likelihood, float(obs_std), float(min_std)
        hidden = tuple(int(h) for h in hidden)
        self.encoder = mlp((data_dim, *hidden, 2 * latent_dim))
        self.decoder = mlp((latent_dim, *hidden[::-1], output_size(data_dim, likelihood)))
        self.register_buffer("_zero", torch.zeros(latent_dim), persistent=False)

    def prior(self) -> Distribution:
        """p(z) = N(0, I)."""
        return Independent(Normal(self._zero, torch.ones_like(self._zero)), 1)

    def encode(self, x: torch.Tensor) -> Distribution:
        """q(z|x) = N(μ(x), diag σ²(x)); the network outputs μ and log σ²."""
        mu, logvar = self.encoder(x).chunk(2, dim=-1)
        std = torch.exp(0.5 * logvar.clamp(LOGVAR_MIN, LOGVAR_MAX))
        return Independent(Normal(mu, std), 1)

    def decode(self, z: torch.Tensor) -> Distribution:
        """p(x|z) for the configured likelihood."""
        return observation_model(self.decoder(z), self.likelihood, self.obs_std, self.min_std)

    def init_output_bias(self, data_mean: torch.Tensor):
        """Start the decoder at the data mean (see `set_output_bias`)."""
        set_output_bias(self.decoder[-1], self.likelihood, data_mean)

    def config(self) -> dict:
        """Constructor arguments, enough to rebuild the model from a checkpoint."""
        return dict(
            data_dim=self.data_dim,
            latent_dim=self.latent_dim,
            hidden=[m.out_features for m in self.encoder if isinstance(m, nn.Linear)][:-1],
            likelihood=self.likelihood,
            obs_std=self.obs_std,
            min_std=self.min_std,
        )


def _exact(model, x: torch.Tensor) -> torch.Tensor | None:
    """Quadrature reaches log p(x) for d ≤ 2 (explorer.bounds.quadrature)."""
    return exact_log_marginal(model, x) if model.latent_dim <= 2 else None


FAMILY = register(LatentFamily(
    name="gaussian",
    label="Gaussian",
    description="Gaussian z ~ N(μ, σ²) — the reparameterisation trick",
    model_class=GaussianVAE,
    options=NoOptions,
    estimators=ESTIMATORS,
    estimator_help="How ∇_φ E_q[log p(x|z)] is estimated: the reparameterisation trick, the "
                   "score function (REINFORCE), or REINFORCE with a leave-one-out baseline "
                   "(≥ 2 samples).",
    size=LatentSize("latent_dim", "Latent dimension d", 2),
    build=lambda spec, data_dim: GaussianVAE(data_dim, spec.latent_dim, spec.hidden,
                                             spec.likelihood, spec.obs_std),
    training_terms=objective_terms,
    # The run's objective (ELBO, IWAE L_K, Rényi L_α) and regulariser (KL, L2, MMD).
    step_options=lambda spec, step: {"objective": spec.objective, "k": spec.k,
                                     "alpha": spec.alpha, "regularizer": spec.regularizer},
    objectives=OBJECTIVES,
    regularizers=REGULARIZERS,
    evaluation_terms=lambda model, x, n_samples=1: elbo_terms(model, x, n_samples=n_samples),
    log_weights=chunked_log_weights,
    exact_log_marginal=_exact,
    views=frozenset({"latent_space", "bound_ladder", "encoder_gradients", "rate_distortion"}),
    lineup=(dict(latent_dim=20),),
))
