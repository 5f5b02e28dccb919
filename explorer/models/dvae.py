"""Binary latent smoothed to ζ ∈ [0, 1]: the discrete VAE (third lecture text §2.3; Rolfe 2016),
with the spike-and-exponential f1 or DVAE++'s overlapping exponentials (Vahdat et al. 2018).
"""
from __future__ import annotations

from typing import Literal, Sequence

from pydantic import BaseModel, ConfigDict

import torch
from torch import nn
from torch.distributions import Bernoulli, Distribution, Independent

from explorer.bounds.kl import kl_per_variable
from explorer.bounds.log_weights import auto_chunk_size, chunked, log_likelihood, log_mean_exp
from explorer.discrete import transformations
from explorer.models.protocol import ObservedDecoder, mlp
from explorer.objectives import ElboTerms
from explorer.models.registry import LatentFamily, LatentSize, option, register


class BernoulliDVAE(ObservedDecoder):
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
            return transformations.overlapping_exponential(self.smoothing_beta, probs, eps)
        return transformations.smoothing("spike_exponential", self.smoothing_beta, probs, eps)

    def decode(self, z: torch.Tensor) -> Distribution:
        """p(x|ζ) for ζ (or hard bits) of shape (..., d)."""
        return self._observe(z)


def dvae_terms(model, x, n_samples: int = 1, beta: float = 1.0) -> ElboTerms:
    """β-ELBO of the smoothed Bernoulli VAE (text §2.3, f1; Rolfe 2016, eq. 6):
    ζ = f1(β_s, q(x), ε) with ε ~ U(0, 1) is a reparameterised draw of q(ζ|x), so the
    reconstruction term's gradient reaches the encoder through q = σ(ℓ(x)); the KL of the
    bits is analytic."""
    q = model.encode(x)
    kl_var = kl_per_variable(q, model.prior())
    probs = q.base_dist.probs
    eps = torch.rand((n_samples, *probs.shape), dtype=probs.dtype, device=probs.device)
    zeta = model.smooth(probs, eps)
    reconstruction = model.decode(zeta).log_prob(x).mean(0)
    return ElboTerms(reconstruction, kl_var.sum(-1), kl_var, float(beta),
                     extras={"mean_q": probs.mean().item()})


def dvae_log_weights(model, x: torch.Tensor, k: int) -> torch.Tensor:
    """log w_i = log p(x|ζ_i) + log p(z_i) − log q(z_i|x) for z_i ~ q(z|x), ζ_i ~ r(ζ|z_i),
    shape (k, B). The proposal q(z|x) r(ζ|z) and the model p(z) r(ζ|z) p(x|ζ) share r, so
    it cancels from the weight (Rolfe 2016, §2; the IWAE bound of Burda et al. 2015 over the
    joint (z, ζ))."""
    q, prior = model.encode(x), model.prior()

    def part(_, n):
        z = q.sample((n,))
        zeta = model.smooth(z, torch.rand_like(z))  # ζ ~ r(ζ|z): q ∈ {0, 1} picks a component
        return log_likelihood(model, x, zeta) + prior.log_prob(z) - q.log_prob(z)

    return chunked(part, k, auto_chunk_size(x))


def dvae_iwae(model, x: torch.Tensor, k: int) -> torch.Tensor:
    """L_k = log mean_i w_i over the joint (z, ζ) weights of `dvae_log_weights`, shape (B,)."""
    return log_mean_exp(dvae_log_weights(model, x, k))


class DVAEOptions(BaseModel):
    """Spec fields of a smoothed binary latent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    smoothing_beta: float = option(
        5.0, "sharpness β of the smoothing r(ζ|z)", label="Smoothing sharpness β",
        choices=(1.0, 2.0, 5.0, 10.0, 20.0, 50.0), gt=0.0, le=100.0,
        help="Large β: ζ is nearly the bit itself, but ∂ζ/∂q is concentrated near the ends "
             "(see Smoothing transformations).")
    smoothing: Literal["spike_exponential", "overlapping_exponential"] = option(
        "spike_exponential", "r(ζ|z) — Rolfe's spike-and-exponential (f1) or DVAE++'s "
        "overlapping exponentials", label="Smoothing r(ζ|z)",
        choices=("spike_exponential", "overlapping_exponential"), url=True,
        help="spike_exponential (Rolfe 2016, f1): ζ = 0 exactly when z = 0. "
             "overlapping_exponential (DVAE++, Vahdat et al. 2018): both bit values are "
             "smoothed, e^{−βζ} and e^{β(ζ−1)}.")


def _describe(spec) -> str:
    kind = "DVAE++" if spec.smoothing == "overlapping_exponential" else "spike-exp"
    return f"{spec.latent_dim} bits ({kind}, β={spec.smoothing_beta:g})"


FAMILY = register(LatentFamily(
    name="dvae",
    label="DVAE",
    description="Binary z smoothed by the spike-and-exponential f1 — Rolfe's DVAE (§2.3)",
    model_class=BernoulliDVAE,
    options=DVAEOptions,
    estimators=("smoothing",),
    estimator_help="ζ = f1(β, q, ε) is a reparameterised draw, so the gradient passes through q.",
    size=LatentSize("dvae_bits", "Binary latents d", 32),
    build=lambda spec, data_dim: BernoulliDVAE(data_dim, spec.latent_dim, spec.hidden,
                                               spec.likelihood, spec.obs_std,
                                               spec.smoothing_beta, spec.smoothing),
    training_terms=lambda model, x, n_samples, beta, estimator: dvae_terms(model, x, n_samples,
                                                                            beta),
    evaluation_terms=lambda model, x, n_samples=1: dvae_terms(model, x, n_samples, 1.0),
    log_weights=dvae_log_weights,  # over the joint (z, ζ): r(ζ|z) cancels
    describe=_describe,
    views=frozenset({"codes", "rate_distortion"}),
    lineup=(dict(latent_dim=32), dict(latent_dim=32, smoothing="overlapping_exponential")),
))
