"""Per-sample gradients of the ELBO with respect to a GaussianVAE's encoder parameters φ.

Each estimate is a Monte Carlo estimate of ∇_φ Σ_b ELBO(x_b), the decoder held fixed:
  reparam:   ∇_φ [log p(x, z) − log q_φ(z|x)] at z = μ_φ(x) + σ_φ(x) ε (Kingma & Welling 2013)
  reinforce: (r(z) − b) ∇_φ log q_φ(z|x), r = log p(x, z) − log q_φ(z|x), z ~ q held fixed
             (Williams 1992). The full gradient of E_q[r(z, φ)] also has the term
             E_q[∇_φ r] = −E_q[∇_φ log q] = 0, which is dropped (Mohamed et al. 2019, §4).
The vectorised version maps torch.func.grad over the noise with torch.func.vmap; the loop
version runs one backward pass per estimate through the model's distribution objects and
is the independent oracle for it. `encoder_gradient_moments` returns only each coordinate's
mean and variance over the estimates, without materialising them (n × |φ| floats).
"""
from __future__ import annotations

import math

import torch
from torch import nn
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
    """Scalar whose gradient is one estimate; r and log_q have shape (…, S, B) (one scalar
    per leading index)."""
    if method == "reparam":
        return r.sum(-1).mean(-1)
    w = r.detach()
    if baseline == "loo":
        w = w - leave_one_out(w, dim=-2)
    return (w * log_q).sum(-1).mean(-1)


def _estimate(model, dec, x, h, e, method, baseline):
    """One estimate's surrogate (a scalar per leading index of h) from the encoder output
    h (…, B, 2d) = (μ, log σ²) and its noise e (…, S, B, d)."""
    mu, logvar = h.chunk(2, dim=-1)
    std = torch.exp(0.5 * logvar.clamp(LOGVAR_MIN, LOGVAR_MAX))
    mu, std = mu.unsqueeze(-3), std.unsqueeze(-3)  # over the S samples of one estimate
    z = mu + std * e
    if method == "reinforce":
        z = z.detach()
    log_q = _normal_log_pdf(z, mu, std)
    out = functional_call(model.decoder, dec, (z,))
    log_prior = (-0.5 * z**2 - 0.5 * _LOG_2PI).sum(-1)
    r = _log_likelihood(model, out, x) + log_prior - log_q
    return _surrogate(r, log_q, method, baseline)


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
        h = functional_call(model.encoder, phi, (x,))
        return _estimate(model, dec, x, h, e, method, baseline)

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


def encoder_gradient_moments(model, x: Tensor, method: str, n: int,
                             **options) -> dict[str, tuple[Tensor, Tensor]]:
    """Per-coordinate mean and unbiased variance over the n estimates that
    `encoder_gradient_samples` returns (the same noise for the same seed), without them.

    x is fixed, so the encoder's activations are the same for every estimate and only the
    cotangent δ_i = ∂f_i/∂(μ, log σ²) differs: one batched backward gives each Linear
    layer's output gradients δ_i (B, out) for all i, and with its input a (B, in) the
    estimate is g_i = δ_iᵀ a. Hence ḡ = δ̄ᵀ a and Σ_i (g_i − ḡ)² = Σ_bc [Σ_i δ̃_ib δ̃_ic] ⊙
    (a_b a_c) with δ̃ = δ − δ̄ — for one point (B = 1) the (δ̃²)ᵀ(a²) identity. Returns
    {"encoder.<name>": (mean, variance)} in float64, with the parameters' shapes.
    """
    if n < 2:
        raise ValueError(f"a variance needs n ≥ 2 estimates, got {n}")
    x, eps, baseline = _setup(model, x, method, n, options)
    names = {m: name for name, m in model.encoder.named_modules()}
    linears = [m for m in model.encoder.modules() if isinstance(m, nn.Linear)]
    if sum(p.numel() for m in linears for p in m.parameters()) != sum(
            p.numel() for p in model.encoder.parameters()):
        raise ValueError("encoder_gradient_moments needs an encoder whose parameters all "
                         "belong to Linear layers; use encoder_gradient_samples")
    seen: dict = {}
    hooks = [m.register_forward_hook(lambda m, i, o: seen.__setitem__(m, (i[0].detach(), o)))
             for m in linears]
    dec = {k: v.detach() for k, v in model.decoder.named_parameters()}
    try:
        with torch.enable_grad():
            h = model.encoder(x.detach().requires_grad_(True))  # a graph even for frozen φ
            cot = h.detach().expand(n, *h.shape).clone().requires_grad_(True)
            f = _estimate(model, dec, x, cot, eps, method, baseline)  # (n,): f_i
            (delta_out,) = torch.autograd.grad(f.sum(), cot)  # row i: ∂f_i/∂h
            deltas = torch.autograd.grad(h, [seen[m][1] for m in linears], delta_out,
                                         is_grads_batched=True)
    finally:
        for hook in hooks:
            hook.remove()
    out = {}
    for m, delta in zip(linears, deltas):
        a, delta = seen[m][0].double(), delta.double()  # a (B, in), delta (n, B, out)
        mean = delta.mean(0)
        dev = delta - mean
        pair = torch.einsum("ibo,ico->bco", dev, dev)  # Σ_i δ̃_ib δ̃_ic per output unit
        a_pair = torch.einsum("bj,cj->bcj", a, a)
        var_w = pair.flatten(0, 1).T @ a_pair.flatten(0, 1) / (n - 1)
        prefix = f"encoder.{names[m]}"
        out[f"{prefix}.weight"] = (mean.T @ a, var_w)
        if m.bias is not None:
            g_b = delta.sum(1)  # the bias gradient of estimate i is Σ_b δ_ib
            out[f"{prefix}.bias"] = (g_b.mean(0), g_b.var(0))
    order = [f"encoder.{k}" for k, _ in model.encoder.named_parameters()]
    return {k: out[k] for k in order}
