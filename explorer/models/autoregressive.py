"""An autoregressive decoder p(x|z) = Π_i Bernoulli(x_i; σ(f_i(x_<i, z))): a MADE (Germain et
al. 2015, masked autoencoder for distribution estimation) conditioned on z.

It can model the pixels' dependencies without z, which is why a VAE with such a decoder
tends to leave z unused (posterior collapse; Bowman et al. 2016, Chen et al. 2017 "Variational
Lossy Autoencoder"). Pixels are taken in raster order x_1 … x_D.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn
from torch.distributions import Distribution, constraints
from torch.nn import functional as F

from explorer.bounds.log_weights import bernoulli_log_likelihood


class MaskedLinear(nn.Linear):
    """y = (W ⊙ M) x + b with a fixed 0/1 mask M of shape (out, in)."""

    def __init__(self, n_in: int, n_out: int, mask: torch.Tensor):
        super().__init__(n_in, n_out)
        self.register_buffer("mask", mask.to(self.weight.dtype), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


def hidden_degrees(n_units: int, data_dim: int) -> torch.Tensor:
    """Degrees m_k ∈ {1, …, D−1} spread evenly over the units (Germain et al. draw them at
    random; even spacing lets every pixel but the last feed some unit, deterministically)."""
    k = torch.arange(n_units)
    return 1 + (k * max(data_dim - 1, 0)) // max(n_units, 1)


class MADE(nn.Module):
    """logits_i = f_i(x_<i, z): masked layers on x (unit of degree m sees x_1 … x_m; output i
    sees units with m < i) plus an unmasked projection of z into every layer."""

    def __init__(self, data_dim: int, latent_dim: int, hidden: Sequence[int] = (400,)):
        super().__init__()
        self.data_dim, self.hidden = int(data_dim), tuple(int(h) for h in hidden)
        previous = torch.arange(1, self.data_dim + 1)  # the inputs' degrees: pixel i has i
        layers, n_in = [], self.data_dim
        for h in self.hidden:
            degrees = hidden_degrees(h, self.data_dim)
            layers.append(MaskedLinear(n_in, h, degrees[:, None] >= previous[None, :]))
            previous, n_in = degrees, h
        self.layers = nn.ModuleList(layers)
        out_degrees = torch.arange(1, self.data_dim + 1)
        self.output = MaskedLinear(n_in, self.data_dim, out_degrees[:, None] > previous[None, :])
        self.context = nn.Linear(latent_dim, sum(self.hidden) + self.data_dim, bias=False)

    def _contexts(self, z: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return self.context(z).split([*self.hidden, self.data_dim], dim=-1)

    def forward(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """Logits (…, D); x (…, D) and z (…, d) broadcast against each other's batch dims."""
        *contexts, c_out = self._contexts(z)
        h = x
        for layer, c in zip(self.layers, contexts):
            h = F.relu(layer(h) + c)
        return self.output(h) + c_out

    @torch.no_grad()
    def sample(self, z: torch.Tensor) -> torch.Tensor:
        """x ~ p(x|z), one pixel at a time (D steps; shape z.shape[:-1] + (D,)).

        The first layer's pre-activation is updated by one column per pixel and only row i
        of the output is computed, so one hidden layer costs O(D·H) per image (like one
        pass); each further layer adds a full pass per pixel, O(D·H²)."""
        *contexts, c_out = self._contexts(z)
        x = torch.zeros(*z.shape[:-1], self.data_dim, dtype=z.dtype, device=z.device)
        first = self.layers[0] if self.layers else None
        a1 = (first.bias + contexts[0]) if first is not None else None
        w_out = self.output.weight * self.output.mask
        w1 = first.weight * first.mask if first is not None else None
        for i in range(self.data_dim):
            if first is None:
                h = x
            else:
                h = F.relu(a1)
                for layer, c in zip(self.layers[1:], contexts[1:]):
                    h = F.relu(layer(h) + c)
            logit = h @ w_out[i] + self.output.bias[i] + c_out[..., i]
            x[..., i] = torch.bernoulli(torch.sigmoid(logit))
            if first is not None:
                a1 = a1 + x[..., i, None] * w1[:, i]
        return x


class AutoregressiveBernoulli(Distribution):
    """p(x|z) = Π_i Bernoulli(x_i; σ(f_i(x_<i, z))) for a MADE f; batch shape z.shape[:-1],
    event shape (D,). log_prob is one masked pass (teacher forcing); sample() takes D
    sequential steps. The mean has no closed form: `display_mean` gives the conditional
    means σ(f_i(x_<i, z)) along one sample x, for pictures."""

    arg_constraints: dict = {}
    support = constraints.independent(constraints.boolean, 1)
    has_rsample = False
    autoregressive = True  # views show `display_mean()` instead of `mean`

    def __init__(self, made: MADE, z: torch.Tensor):
        self.made, self.z = made, z
        super().__init__(z.shape[:-1], torch.Size([made.data_dim]), validate_args=False)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """f_i(x_<i, z) for every i, with x's and z's batch dims broadcast."""
        return self.made(x, self.z)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Σ_i log Bernoulli(x_i; σ(f_i(x_<i, z))); grey levels in [0, 1] are scored with the
        same formula (the continuous BCE convention of the factorised decoder)."""
        return bernoulli_log_likelihood(x, self.logits(x))

    def sample(self, sample_shape=torch.Size()) -> torch.Tensor:
        z = self.z.expand(*sample_shape, *self.z.shape)
        return self.made.sample(z)

    @torch.no_grad()
    def display_mean(self) -> torch.Tensor:
        """σ(f_i(x_<i, z)) along one sample x ~ p(x|z): a picture of what the decoder
        expects at each pixel given the pixels drawn before it."""
        return torch.sigmoid(self.logits(self.sample()))

    @property
    def mean(self):
        raise NotImplementedError("an autoregressive p(x|z) has no closed-form mean; use "
                                  "display_mean() or sample()")


def is_autoregressive(model) -> bool:
    """Whether a model's p(x|z) is this module's autoregressive decoder."""
    return isinstance(getattr(model, "decoder", None), MADE)
