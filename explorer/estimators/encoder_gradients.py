"""Per-sample gradients of the ELBO with respect to a GaussianVAE's encoder parameters φ.

Each estimate is a Monte Carlo estimate of ∇_φ Σ_b ELBO(x_b), the decoder held fixed:
  reparam:   ∇_φ [log p(x, z) − log q_φ(z|x)] at z = μ_φ(x) + σ_φ(x) ε (Kingma & Welling 2013)
  reinforce: (r(z) − b) ∇_φ log q_φ(z|x), r = log p(x, z) − log q_φ(z|x), z ~ q held fixed
             (Williams 1992). The full gradient of E_q[r(z, φ)] also has the term
             E_q[∇_φ r] = −E_q[∇_φ log q] = 0, which is dropped (Mohamed et al. 2019, §4).
The vectorised version maps torch.func.grad over the noise with torch.func.vmap; the loop
version runs one backward pass per estimate through the model's distribution objects and
is the independent oracle for it.
"""
from __future__ import annotations

import math

import torch
from torch.func import functional_call, grad, vmap
from torch.nn import functional as F

from explorer.bounds.log_weights import bernoulli_log_likelihood
from explorer.models import LOGVAR_MAX, LOGVAR_MIN
from explorer.objectives.score_function import leave_one_out

Tensor = torch.Tensor
ENCODER_METHODS = ("reparam", "reinforce")
_LOG_2PI = math.log(2 * math.pi)


def _normal_log_pdf(z, mean, std):
    return (-0.5 * ((z - mean) / std) ** 2 - torch.log(std) - 0.5 * _LOG_2PI).sum(-1)


def _log_likelihood(model, out: Tensor, x: Tensor) -> Tensor:
    """log p(x|z) from the decoder's output, the formulas of GaussianVAE.decode written out
    (distribution objects validate their arguments with data-dependent branches that vmap
    cannot trace)."""
    if model.likelihood == "bernoulli":
        return bernoulli_log_likelihood(x, out)
    if model.likelihood == "gaussian_fixed":
        return _normal_log_pdf(x, out, torch.full_like(out, model.obs_std))
    mean, raw = out.chunk(2, dim=-1)
    return _normal_log_pdf(x, mean, model.min_std + F.softplus(raw))


def _setup(model, x, method, n, options):
    if method not in ENCODER_METHODS:
        raise ValueError(f"method must be one of {ENCODER_METHODS}, got {method!r}")
    if getattr(model, "posterior", "diagonal") != "diagonal":
        raise ValueError("encoder gradients are written out for q = N(μ, diag σ²); this run's "
                         f"posterior is {model.posterior} — train one with posterior diagonal")
    unknown = set(options) - {"samples_per_estimate", "baseline", "seed", "chunk_size"}
    if unknown:
        raise ValueError(f"unknown options {sorted(unknown)}")
    s = int(options.get("samples_per_estimate", 1))
    baseline = options.get("baseline")
    if baseline not in (None, "loo") or (baseline and method != "reinforce"):
        raise ValueError(f"baseline must be None or 'loo' (reinforce only), got {baseline!r}")
    if baseline == "loo" and s < 2:
        raise ValueError("baseline 'loo' needs samples_per_estimate ≥ 2")
    x = x.reshape(-1, model.data_dim)
    seed = options.get("seed")
    gen = None if seed is None else torch.Generator().manual_seed(int(seed))
    eps = torch.randn((n, s, x.shape[0], model.latent_dim), generator=gen, dtype=x.dtype)
    return x, eps, baseline


def _surrogate(r: Tensor, log_q: Tensor, method: str, baseline) -> Tensor:
    """Scalar whose gradient is one estimate; r and log_q have shape (S, B)."""
    if method == "reparam":
        return r.sum(1).mean(0)
    w = r.detach()
    if baseline == "loo":
        w = w - leave_one_out(w)
    return (w * log_q).sum(1).mean(0)


def encoder_gradient_samples(model, x: Tensor, method: str, n: int, **options) -> dict[str, Tensor]:
    """n independent estimates of ∇_φ Σ_b ELBO(x_b) for the encoder parameters φ.

    x: one point (D,) or a small batch (B, D). Returns {"encoder.<name>": (n, *shape)}.
    options: samples_per_estimate (default 1), baseline None | "loo" (reinforce), seed,
    chunk_size (passed to vmap to bound memory). One vmap(grad(·)) call over the noise.
    """
    x, eps, baseline = _setup(model, x, method, n, options)
    enc = {k: v.detach() for k, v in model.encoder.named_parameters()}
    dec = {k: v.detach() for k, v in model.decoder.named_parameters()}

    def one(phi, e):
        mu, logvar = functional_call(model.encoder, phi, (x,)).chunk(2, dim=-1)
        std = torch.exp(0.5 * logvar.clamp(LOGVAR_MIN, LOGVAR_MAX))
        z = mu + std * e
        if method == "reinforce":
            z = z.detach()
        log_q = _normal_log_pdf(z, mu, std)
        out = functional_call(model.decoder, dec, (z,))
        log_prior = (-0.5 * z**2 - 0.5 * _LOG_2PI).sum(-1)
        r = _log_likelihood(model, out, x) + log_prior - log_q
        return _surrogate(r, log_q, method, baseline)

    grads = vmap(grad(one), in_dims=(None, 0), chunk_size=options.get("chunk_size"))(enc, eps)
    return {f"encoder.{k}": v for k, v in grads.items()}


def encoder_gradient_samples_loop(model, x: Tensor, method: str, n: int,
                                  **options) -> dict[str, Tensor]:
    """The same estimates (same noise for the same seed) from a Python loop of backward
    passes through model.encode / model.decode / model.prior — the oracle and the baseline."""
    x, eps, baseline = _setup(model, x, method, n, options)
    named = [(f"encoder.{k}", p) for k, p in model.encoder.named_parameters()]
    out = {k: torch.empty(n, *p.shape, dtype=p.dtype) for k, p in named}
    prior = model.prior()
    for i in range(n):
        q = model.encode(x)
        z = q.mean + q.stddev * eps[i]
        if method == "reinforce":
            z = z.detach()
        log_q = q.log_prob(z)
        r = model.decode(z).log_prob(x) + prior.log_prob(z) - log_q
        grads = torch.autograd.grad(_surrogate(r, log_q, method, baseline), [p for _, p in named])
        for (k, _), g in zip(named, grads):
            out[k][i] = g
    return out
