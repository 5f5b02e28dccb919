"""REBAR: an unbiased, low-variance gradient estimator for discrete z (Tucker et al. 2017).

REINFORCE with the relaxed f(σ_τ(z̃)) as a control variate, corrected by its pathwise
gradient so the estimate stays unbiased for every temperature τ and weight η:

    ĝ = [f(b) − η f(σ_τ(z̃))] ∇_θ log q(b) + η ∇_θ f(σ_τ(z)) − η ∇_θ f(σ_τ(z̃)),

b = H(z) the hard sample, z the relaxed logit (logits + logistic / Gumbel noise) and z̃ a
second relaxed logit drawn from p(z | b) with fresh noise v, reparameterised in θ with b
held fixed (Tucker et al. 2017, eq. 3 and appendix C). Built on the same per-estimate
parameter copies as `explorer.estimators.sample_gradients`, which dispatches here.
"""
from __future__ import annotations

import torch
from torch.nn import functional as F

Tensor = torch.Tensor


def _uniform(shape, like: Tensor, generator) -> Tensor:
    info = torch.finfo(like.dtype)
    u = torch.rand(shape, generator=generator, dtype=like.dtype, device=like.device)
    return u.clamp(info.tiny, 1 - info.eps)


def bernoulli_relaxations(logits: Tensor, u: Tensor, v: Tensor):
    """(b, z, z̃) for q(b) = Bern(σ(ℓ)): z = ℓ + logit(u), b = 1[z > 0], and z̃ = ℓ + logit(u')
    with u' uniform on the part of (0, 1) that gives the same b: u' = 1 − θ + vθ if b = 1,
    u' = v(1 − θ) if b = 0 (θ = σ(ℓ)). z̃ depends on θ with b fixed."""
    z = logits + torch.log(u) - torch.log1p(-u)
    b = (z > 0).to(z.dtype).detach()
    # 1 − θ = σ(−ℓ), θ = σ(ℓ), written through logsigmoid so saturated ℓ stays finite.
    log_theta, log_1m_theta = F.logsigmoid(logits), F.logsigmoid(-logits)
    log_u1 = torch.logaddexp(log_1m_theta, torch.log(v) + log_theta)  # log(1 − θ + vθ)
    log_1m_u1 = torch.log1p(-v) + log_theta  # log(θ(1 − v))
    log_u0 = torch.log(v) + log_1m_theta  # log(v(1 − θ))
    log_1m_u0 = torch.log1p(-v * torch.exp(log_1m_theta))  # log(1 − v(1 − θ))
    z_tilde = logits + torch.where(b > 0, log_u1 - log_1m_u1, log_u0 - log_1m_u0)
    return b, z, z_tilde


def categorical_relaxations(logits: Tensor, u: Tensor, v: Tensor):
    """(b one-hot, z, z̃) for q = Cat(softmax ℓ): z = log θ + Gumbel(u), b = one-hot argmax z,
    and z̃ ~ p(z | b): z̃_b = −log(−log v_b), z̃_k = −log(−log v_k / θ_k − log v_b) for k ≠ b
    (Tucker et al. 2017, appendix C), θ = softmax ℓ."""
    log_theta = F.log_softmax(logits, -1)
    z = log_theta - torch.log(-torch.log(u))
    b = F.one_hot(z.argmax(-1), logits.shape[-1]).to(z.dtype).detach()
    log_vb = (torch.log(v) * b).sum(-1, keepdim=True)  # log v_b, broadcast over k
    other = -torch.log(-torch.log(v) * torch.exp(-log_theta) - log_vb)
    z_tilde = torch.where(b > 0, -torch.log(-log_vb).expand_as(z), other)
    return b, z, z_tilde


def rebar_surrogate(f_eval, log_prob, family: str, logits: Tensor, shape, generator,
                    tau: float, eta: float) -> Tensor:
    """Sum over estimates and samples of the REBAR surrogate; its gradient with respect to
    each estimate's parameter copy is that estimate (samples averaged by the caller's S).

    f_eval(z) evaluates f on (n, S, *shape) inputs → (n, S); log_prob(b) → (n, S)."""
    u = _uniform(shape, logits, generator)
    v = _uniform(shape, logits, generator)
    if family == "bernoulli":
        b, z, z_tilde = bernoulli_relaxations(logits, u, v)
        relax = lambda t: torch.sigmoid(t / tau)  # noqa: E731 — binary Concrete
    else:
        b, z, z_tilde = categorical_relaxations(logits, u, v)
        relax = lambda t: torch.softmax(t / tau, -1)  # noqa: E731 — Gumbel-softmax
    f_b = f_eval(b).detach()
    f_soft = f_eval(relax(z))
    f_cond = f_eval(relax(z_tilde))
    score = (f_b - eta * f_cond.detach()) * log_prob(b)
    return (score + eta * f_soft - eta * f_cond).sum()
