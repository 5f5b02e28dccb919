"""Discrete-latent VAEs on the model protocol: prior(), encode(x), decode(z) → Distributions.

Third lecture text, section 2. Three ways to train a decoder on discrete codes:
  CategoricalVAE  N variables × K categories, one-hot z, Gumbel-softmax relaxation (§2.2;
                  Jang et al. 2017) — explorer.discrete_objectives trains it;
  BernoulliDVAE   d binary z smoothed to ζ ∈ [0, 1] by the spike-and-exponential (§2.3;
                  Rolfe 2016), factorial learned prior;
  VQVAE           N code positions, nearest of K codebook vectors, straight-through (§2.4;
                  van den Oord et al. 2017).
All decoders take z with the event shape of prior()'s samples (one-hot codes for the
categorical and VQ models, bits or ζ for the DVAE), so a page can decode a code it edits.
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn
from torch.distributions import Bernoulli, Distribution, Independent, OneHotCategorical

from . import smoothing as smoothing_lib
from .models import check_likelihood, mlp, observation_model, output_size, set_output_bias
from .vq import ema_update, nearest_code


class _Observed(nn.Module):
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


class CategoricalVAE(_Observed):
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


class BernoulliDVAE(_Observed):
    """q(z|x) = Π_i Bern(z_i; σ(ℓ_i(x))), p(z) = Π_i Bern(σ(b_i)) with learned b.

    The decoder reads ζ ∈ [0, 1]^d, the spike-and-exponential smoothing of z with sharpness
    `smoothing_beta` (Rolfe 2016, §2.1; text f1): r(ζ|z=0) = δ(ζ), r(ζ|z=1) ∝ e^{βζ}; or with
    smoothing="overlapping_exponential" r(ζ|0) ∝ e^{−βζ}, r(ζ|1) ∝ e^{β(ζ−1)} (DVAE++). Because
    r is shared by q and p, KL(q(z,ζ|x) ‖ p(z,ζ)) = KL(q(z|x) ‖ p(z)).
    """

    kind = "dvae"

    SMOOTHINGS = ("spike_exponential", "overlapping_exponential")

    def __init__(self, data_dim: int, latent_dim: int = 32, hidden: Sequence[int] = (400, 400),
                 likelihood: str = "bernoulli", obs_std: float = 1.0,
                 smoothing_beta: float = 5.0, smoothing: str = "spike_exponential"):
        super().__init__()
        if not smoothing_beta > 0:
            raise ValueError(f"the smoothing sharpness β must be positive, got {smoothing_beta}")
        if smoothing not in self.SMOOTHINGS:
            raise ValueError(f"smoothing must be one of {self.SMOOTHINGS}, got {smoothing!r}")
        self.latent_dim, self.smoothing_beta = int(latent_dim), float(smoothing_beta)
        self.smoothing = smoothing
        self._build_decoder(self.latent_dim, hidden, data_dim, likelihood, obs_std)
        self.encoder = mlp((data_dim, *self.hidden, self.latent_dim))
        self.prior_logits = nn.Parameter(torch.zeros(self.latent_dim))

    def prior(self) -> Distribution:
        """p(z) = Π_i Bern(σ(b_i)), a factorial prior with learned logits b."""
        return Independent(Bernoulli(logits=self.prior_logits), 1)

    def encode(self, x: torch.Tensor) -> Distribution:
        return Independent(Bernoulli(logits=self.encoder(x)), 1)

    def smooth(self, probs: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """ζ ~ q(ζ|x) from uniform ε, differentiable in q: f1(β, q, ε) (spike at 0), or the
        DVAE++ overlapping exponentials (Vahdat et al. 2018), which smooth both bit values."""
        if self.smoothing == "overlapping_exponential":
            return smoothing_lib.overlapping_exponential(self.smoothing_beta, probs, eps)
        return smoothing_lib.smoothing("spike_exponential", self.smoothing_beta, probs, eps)

    def decode(self, z: torch.Tensor) -> Distribution:
        """p(x|ζ) for ζ (or hard bits) of shape (..., d)."""
        return self._observe(z)


class VQVAE(_Observed):
    """Deterministic q: each of N encoder vectors z_e,n ∈ R^D snaps to its nearest of K codes.

    protocol view: prior() is uniform over the K codes at each position; encode(x) is the
    one-hot (point mass) of the nearest codes; decode(one-hot (..., N, K)) looks the codes
    up. Training uses `quantize_vectors`/`decode_vectors` for the straight-through path.
    """

    kind = "vqvae"

    def __init__(self, data_dim: int, latent_dim: int = 8, n_categories: int = 64,
                 code_dim: int = 16, hidden: Sequence[int] = (400, 400),
                 likelihood: str = "bernoulli", obs_std: float = 1.0):
        super().__init__()
        self.latent_dim, self.n_categories, self.code_dim = int(latent_dim), int(n_categories), int(code_dim)
        n, k, dim = self.latent_dim, self.n_categories, self.code_dim
        self._build_decoder(n * dim, hidden, data_dim, likelihood, obs_std)
        self.encoder = mlp((data_dim, *self.hidden, n * dim))
        self.codebook = nn.Parameter(torch.empty(k, dim).uniform_(-1 / k, 1 / k))
        # EMA statistics start consistent with the codebook: N_k = 1, m_k = e_k.
        self.register_buffer("ema_size", torch.ones(k))
        self.register_buffer("ema_sum", self.codebook.detach().clone())
        self.register_buffer("_flat", torch.zeros(n, k), persistent=False)

    def encode_vectors(self, x: torch.Tensor) -> torch.Tensor:
        """z_e(x), shape (..., N, D)."""
        return self.encoder(x).unflatten(-1, (self.latent_dim, self.code_dim))

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        """Nearest-code indices, shape (..., N)."""
        z_e = self.encode_vectors(x)
        return nearest_code(z_e.reshape(-1, self.code_dim), self.codebook).reshape(z_e.shape[:-1])

    def prior(self) -> Distribution:
        """p(z) = uniform over the K codes at each of the N positions (log p = −N log K)."""
        return Independent(OneHotCategorical(logits=self._flat), 1)

    def encode(self, x: torch.Tensor) -> Distribution:
        """q(z|x): a point mass on the nearest codes, so KL(q ‖ p) = N log K."""
        onehot = nn.functional.one_hot(self.codes(x), self.n_categories).to(self.codebook.dtype)
        return Independent(OneHotCategorical(probs=onehot), 1)

    def decode_vectors(self, z_q: torch.Tensor) -> Distribution:
        """p(x|z_q) for code vectors z_q of shape (..., N, D)."""
        return self._observe(z_q.flatten(-2))

    def decode(self, z: torch.Tensor) -> Distribution:
        """p(x|z) for one-hot codes z of shape (..., N, K)."""
        return self.decode_vectors(z @ self.codebook)

    def kl_constant(self) -> float:
        return self.latent_dim * math.log(self.n_categories)

    @torch.no_grad()
    def ema_step(self, z_e: torch.Tensor, indices: torch.Tensor, decay: float):
        """Move the codebook by one EMA step (explorer.vq.ema_update) on a batch's codes."""
        book, size, total = ema_update(self.codebook, self.ema_size, self.ema_sum,
                                       z_e.reshape(-1, self.code_dim), indices.reshape(-1), decay)
        self.codebook.copy_(book)
        self.ema_size.copy_(size)
        self.ema_sum.copy_(total)
