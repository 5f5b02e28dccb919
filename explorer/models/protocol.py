"""The model protocol every latent family follows, and the parts their networks share.

prior(), encode(x) and decode(z) each return a `torch.distributions.Distribution` whose
event shape is the latent or data dimension and whose batch shape follows the leading
dims of its input, so `decode(z)` for z of shape (K, B, d) has batch shape (K, B).
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
    """The protocol every model implements: p(z), q(z|x) and p(x|z) as Distributions."""

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


class ObservedDecoder(nn.Module):
    """The decoder half shared by the discrete models: an MLP and the observation model."""

    def _build_decoder(self, in_dim: int, hidden: Sequence[int], data_dim: int,
                       likelihood: str, obs_std: float, min_std: float = 0.01):
        check_likelihood(likelihood)
        self.data_dim, self.hidden = int(data_dim), tuple(int(h) for h in hidden)
        self.likelihood, self.obs_std, self.min_std = likelihood, float(obs_std), float(min_std)
        self.decoder = mlp((in_dim, *self.hidden[::-1], output_size(data_dim, likelihood)))

    def _observe(self, h: torch.Tensor) -> Distribution:
        return observation_model(self.decoder(h), self.likelihood, self.obs_std, self.min_std)

    def init_output_bias(self, data_mean: torch.Tensor):
        set_output_bias(self.decoder[-1], self.likelihood, data_mean)
