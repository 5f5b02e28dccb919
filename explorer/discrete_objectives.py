"""Training and evaluation objectives for every model kind, as `ElboTerms`.

`training_terms` picks the gradient estimator the spec names; `evaluation_terms` is the
bound of the model itself, the same for every estimator, so runs compare fairly:
  gaussian     ELBO with z ~ q (eq. 22 KL);
  categorical  E_q[log p(x|z)] − KL with *hard* one-hot z ~ q — a relaxed decoder input
               would score a different model (Jang et al. 2017 report the same);
  dvae         E_{q(z,ζ|x)}[log p(x|ζ)] − KL(q(z|x) ‖ p(z)) with ζ ~ r(ζ|z) (Rolfe 2016);
  vqvae        log p(x|z_q(x)) − N log K (van den Oord et al. 2017, §3.1).
"""
from __future__ import annotations

import math

import torch
from torch.distributions import kl_divergence

from .bounds import auto_chunk_size
from .discrete import gumbel_softmax
from .objectives import ElboTerms, elbo_terms, score_function_surrogate
from .vq import quantize

ESTIMATORS_BY_KIND = {
    "gaussian": ("reparam", "reinforce", "reinforce_loo"),
    "categorical": ("gumbel_softmax", "st_gumbel_softmax", "reinforce", "reinforce_loo"),
    "dvae": ("smoothing",),
    "vqvae": ("straight_through",),
}


def training_terms(model, x: torch.Tensor, n_samples: int = 1, beta: float = 1.0,
                   estimator: str | None = None, tau: float = 1.0, commitment: float = 0.25,
                   codebook_loss: bool = True) -> ElboTerms:
    """The loss a model of any kind trains on, with the estimator's gradient."""
    kind = model.kind
    allowed = ESTIMATORS_BY_KIND[kind]
    estimator = estimator or allowed[0]
    if estimator not in allowed:
        raise ValueError(f"a {kind} model trains with one of {allowed}, not {estimator!r}")
    if kind == "gaussian":
        return elbo_terms(model, x, n_samples=n_samples, beta=beta, estimator=estimator)
    if kind == "categorical":
        return categorical_terms(model, x, n_samples, beta, estimator, tau)
    if kind == "dvae":
        return dvae_terms(model, x, n_samples, beta)
    return vq_terms(model, x, commitment, codebook_loss)


def evaluation_terms(model, x: torch.Tensor, n_samples: int = 1) -> ElboTerms:
    """The model's own ELBO (β = 1), independent of how it was trained."""
    kind = model.kind
    if kind == "gaussian":
        return elbo_terms(model, x, n_samples=n_samples)
    if kind == "categorical":
        return categorical_terms(model, x, n_samples, 1.0, "reinforce")
    if kind == "dvae":
        return dvae_terms(model, x, n_samples, 1.0)
    return vq_terms(model, x)


def _kl_per_variable(q, prior) -> torch.Tensor:
    """KL per latent variable (B, N) for factorised q and p (analytic, torch.distributions)."""
    # torch's Bernoulli KL masks by shape, so the prior must be expanded to q's batch first.
    return kl_divergence(q.base_dist, prior.base_dist.expand(q.base_dist.batch_shape))


def categorical_terms(model, x, n_samples: int = 1, beta: float = 1.0,
                      estimator: str = "gumbel_softmax", tau: float = 1.0) -> ElboTerms:
    """β-ELBO of a categorical-latent VAE (third lecture text §2.2).

    gumbel_softmax / st_gumbel_softmax: the decoder reads relaxed (or one-hot with the
    relaxed gradient) samples at temperature τ — biased for τ > 0 (Jang et al. 2017);
    reinforce / reinforce_loo: hard z ~ q and the score function (unbiased). The KL to the
    uniform prior is exact: Σ_n Σ_k q_nk log(K q_nk).
    """
    q = model.encode(x)
    kl_var = _kl_per_variable(q, model.prior())
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


def dvae_terms(model, x, n_samples: int = 1, beta: float = 1.0) -> ElboTerms:
    """β-ELBO of the smoothed Bernoulli VAE (text §2.3, f1; Rolfe 2016, eq. 6):
    ζ = f1(β_s, q(x), ε) with ε ~ U(0, 1) is a reparameterised draw of q(ζ|x), so the
    reconstruction term's gradient reaches the encoder through q = σ(ℓ(x)); the KL of the
    bits is analytic."""
    q = model.encode(x)
    kl_var = _kl_per_variable(q, model.prior())
    probs = q.base_dist.probs
    eps = torch.rand((n_samples, *probs.shape), dtype=probs.dtype, device=probs.device)
    zeta = model.smooth(probs, eps)
    reconstruction = model.decode(zeta).log_prob(x).mean(0)
    return ElboTerms(reconstruction, kl_var.sum(-1), kl_var, float(beta),
                     extras={"mean_q": probs.mean().item()})


def vq_terms(model, x, commitment: float = 0.25, codebook_loss: bool = True) -> ElboTerms:
    """VQ-VAE loss (text §2.4, loss (∗∗); van den Oord et al. 2017, eq. 3):
    −log p(x|z_q) + ‖sg[z_e] − e‖² + β_c ‖z_e − sg[e]‖², straight-through z_q. With
    codebook_loss=False the codebook is left to EMA updates (`VQVAE.ema_step`). The ELBO
    reported is log p(x|z_q) − N log K (deterministic q, uniform prior)."""
    z_e = model.encode_vectors(x)
    flat = z_e.reshape(-1, model.code_dim)
    z_q, indices, book_loss, commit_loss = quantize(flat, model.codebook)
    # quantize averages over B·N vectors; the loss (∗∗) sums over the N positions.
    n = model.latent_dim
    book_loss, commit_loss = book_loss * n, commit_loss * n
    reconstruction = model.decode_vectors(z_q.reshape(z_e.shape)).log_prob(x)
    kl_var = torch.full((x.shape[0], n), model.kl_constant() / n, dtype=reconstruction.dtype)
    penalty = commitment * commit_loss + (book_loss if codebook_loss else 0.0)
    extras = {"codebook_loss": book_loss.item(), "commitment_loss": commit_loss.item(),
              "indices": indices.reshape(z_e.shape[:-1]), "z_e": z_e.detach()}
    # β = 0: the constant KL carries no gradient and the penalty replaces it in the loss.
    return ElboTerms(reconstruction, kl_var.sum(-1), kl_var, 0.0, penalty=penalty, extras=extras)


def dvae_log_weights(model, x: torch.Tensor, k: int) -> torch.Tensor:
    """log w_i = log p(x|ζ_i) + log p(z_i) − log q(z_i|x) for z_i ~ q(z|x), ζ_i ~ r(ζ|z_i),
    shape (k, B). The proposal q(z|x) r(ζ|z) and the model p(z) r(ζ|z) p(x|ζ) share r, so
    it cancels from the weight (Rolfe 2016, §2; the IWAE bound of Burda et al. 2015 over the
    joint (z, ζ))."""
    q, prior = model.encode(x), model.prior()
    chunk = auto_chunk_size(x)
    parts = []
    for i in range(0, k, chunk):
        z = q.sample((min(chunk, k - i),))
        zeta = model.smooth(z, torch.rand_like(z))  # ζ ~ r(ζ|z): q ∈ {0, 1} picks a component
        parts.append(model.decode(zeta).log_prob(x) + prior.log_prob(z) - q.log_prob(z))
    return torch.cat(parts)


def dvae_iwae(model, x: torch.Tensor, k: int) -> torch.Tensor:
    """L_k = log mean_i w_i over the joint (z, ζ) weights of `dvae_log_weights`, shape (B,)."""
    return torch.logsumexp(dvae_log_weights(model, x, k), 0) - math.log(k)
