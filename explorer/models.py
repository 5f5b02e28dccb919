"""Gaussian-latent VAE following the model protocol: prior(), encode(x), decode(z).

Each method returns a `torch.distributions.Distribution` whose event shape is the
latent (d) or data (D) dimension and whose batch shape follows the leading dims of its
input, so `decode(z)` for z of shape (K, B, d) has batch shape (K, B).
"""
from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

import torch
from torch import nn
from torch.distributions import Bernoulli, Distribution, Independent, Normal

LIKELIHOODS = ("bernoulli", "gaussian_fixed", "gaussian_learned")

# exp(0.5 * log σ²) overflows float32 near log σ² ≈ 176; far tighter bounds keep the KL
# and its gradient finite while leaving every useful σ reachable.
LOGVAR_MIN, LOGVAR_MAX = -20.0, 10.0


@runtime_checkable
class LatentVariableModel(Protocol):
    """The protocol every model implements (DEVELOPERS.md)."""

    latent_dim: int

    def prior(self) -> Distribution: ...

    def encode(self, x: torch.Tensor) -> Distribution: ...

    def decode(self, z: torch.Tensor) -> Distribution: ...


def mlp(sizes: Sequence[int], activation: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """Linear layers of the given sizes with `activation` between them (none at the end)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


def observation_model(out: torch.Tensor, likelihood: str, obs_std: float = 1.0,
                      min_std: float = 0.01) -> Distribution:
    """p(x|z) from the decoder's output `out` (shared by every model in the app).

    "bernoulli": logits; "gaussian_fixed": the mean, std obs_std; "gaussian_learned": the
    mean and a raw std (first and second half of the last axis), std = min_std + softplus.
    """
    if likelihood == "bernoulli":
        # validate_args=False: grey-level targets in [0, 1] are allowed on purpose.
        return Independent(Bernoulli(logits=out, validate_args=False), 1, validate_args=False)
    if likelihood == "gaussian_fixed":
        return Independent(Normal(out, obs_std), 1)
    mean, raw = out.chunk(2, dim=-1)
    return Independent(Normal(mean, min_std + nn.functional.softplus(raw)), 1)


def check_likelihood(likelihood: str) -> None:
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")


def output_size(data_dim: int, likelihood: str) -> int:
    """Decoder outputs: one per pixel, two for a learned variance."""
    return 2 * data_dim if likelihood == "gaussian_learned" else data_dim


@torch.no_grad()
def set_output_bias(last: nn.Linear, likelihood: str, data_mean: torch.Tensor) -> None:
    """Start the decoder at the data mean (logit of mean intensity for Bernoulli), so early
    steps shape z instead of learning the average image."""
    dim = data_mean.shape[-1]
    if likelihood == "bernoulli":
        p = data_mean.clamp(1e-3, 1 - 1e-3)
        last.bias[:dim] = torch.log(p) - torch.log1p(-p)
    else:
        last.bias[:dim] = data_mean


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
