"""The top half of a digit as the latent (first lecture, the digit-9 example): z are the hidden
pixels (a boolean mask, by default the top half), x the observed rest, and
q(z; φ) = Π_i φ_i^{z_i} (1 − φ_i)^{1 − z_i} a mean-field Bernoulli fitted by SVI:

    L(x; φ) = E_q[log p(x, z)] + H(q) ≤ log p(x) = log Σ_z p(x, z).

`log_joint` is any callable z (S, n) → log p(x, z) (S,): the IWAE estimate L_K of a trained VAE
(`vae_log_joint`), or a small exact model in tests.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch.nn import functional as F

from explorer.bounds import auto_chunk_size, bernoulli_log_likelihood, chunked, iwae, log_mean_exp
from explorer.objectives.score_function import score_function_surrogate

LogJoint = Callable[[torch.Tensor], torch.Tensor]

# |logit φ| ≤ 30: φ = 1 becomes 1 − 1e-13, so log q, H and z − φ stay finite (no 0·log 0, no
# ∞ − ∞) while the ELBO differs from the point mass's by < 1e-10 nats per pixel.
LOGIT_LIMIT = 30.0
MAX_ENUMERATED = 12  # hidden pixels summed over exactly: 2^12 = 4,096 codes
SETTLE = 0.25  # the last quarter of the SVI steps decays the learning rate (cosine) to 1%


def settle(step: int, steps: int, tail: float = SETTLE) -> float:
    """Learning-rate factor: 1, then a cosine decay to 0.01 over the last `tail` of the steps, so
    the last iterates settle instead of jittering at the gradient noise (a full-length decay
    stalls a 392-pixel fit before it has converged)."""
    start = (1 - tail) * steps
    if step <= start or tail <= 0:
        return 1.0
    return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, (step - start) / (tail * steps))))


def top_half_mask(image_shape: tuple[int, int]) -> torch.Tensor:
    """Boolean (h·w,) mask, True on the top ⌊h/2⌋ rows: the lecture's latent z."""
    h, w = image_shape
    mask = torch.zeros(h, w, dtype=torch.bool)
    mask[: h // 2] = True
    return mask.reshape(-1)


def binarize(image: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """A grey-level image as binary pixels (> threshold → 1), so z and x are Bernoulli variables."""
    return (image > threshold).float()


def compose(image: torch.Tensor, mask: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Images (S, D): `image` (D,) with its hidden pixels (mask True) replaced by each row of z (S, n)."""
    out = image.to(z.dtype).expand(z.shape[0], -1).clone()
    out[:, mask] = z
    return out


def clamped_logits(phi) -> torch.Tensor:
    """logit φ in float64, clipped to ±LOGIT_LIMIT so φ ∈ {0, 1} is allowed."""
    phi = phi.to(torch.float64) if torch.is_tensor(phi) else torch.tensor(phi, dtype=torch.float64)
    return torch.logit(phi).clamp(-LOGIT_LIMIT, LOGIT_LIMIT)


def bernoulli_entropy(logits: torch.Tensor) -> torch.Tensor:
    """H(q) = Σ_i softplus(l_i) − l_i σ(l_i), the closed-form entropy of the mean field (0-d)."""
    return (F.softplus(logits) - logits * torch.sigmoid(logits)).sum(-1)


def log_q(z: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
    """log q(z; φ) = Σ_i z_i l_i − softplus(l_i), per row of z (S,)."""
    return bernoulli_log_likelihood(z.to(logits.dtype), logits.expand(z.shape[0], -1))


def sample_q(logits: torch.Tensor, n_samples: int, generator: torch.Generator) -> torch.Tensor:
    """z ~ q(z; σ(logits)), shape (n_samples, n), float64 in {0, 1}."""
    u = torch.rand((n_samples, logits.shape[-1]), generator=generator, dtype=torch.float64)
    return (u < torch.sigmoid(logits.detach())).to(torch.float64)


def seeded_log_joint(log_joint: LogJoint, z: torch.Tensor, seed: int) -> torch.Tensor:
    """log p(x, z) with torch's global RNG seeded (the IWAE's importance samples) and restored."""
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return log_joint(z).to(torch.float64).reshape(-1)


def completion_elbo(log_joint: LogJoint, phi, n_samples: int = 256,
                    seed: int = 0) -> tuple[float, float]:
    """Monte Carlo ELBO E_q[log p(x, z)] + H(q) with z ~ q(z; φ), and its standard error.

    The entropy is exact, so only log p(x, z) is sampled (first lecture, the SVI slide).
    """
    logits = clamped_logits(phi)
    z = sample_q(logits, n_samples, torch.Generator().manual_seed(int(seed)))
    f = seeded_log_joint(log_joint, z, seed)
    se = float(f.std() / math.sqrt(n_samples)) if n_samples > 1 else float("nan")
    return float(f.mean() + bernoulli_entropy(logits)), se


def all_codes(n: int) -> torch.Tensor:
    """Every z ∈ {0, 1}^n, shape (2^n, n), float64; row r is r's binary digits (MSB first)."""
    r = torch.arange(2 ** n).unsqueeze(1)
    return ((r >> torch.arange(n - 1, -1, -1)) & 1).to(torch.float64)


def _enumerated_log_joint(log_joint: LogJoint, n: int) -> tuple[torch.Tensor, torch.Tensor]:
    if n > MAX_ENUMERATED:
        raise ValueError(f"enumeration needs at most {MAX_ENUMERATED} hidden pixels, got {n}")
    z = all_codes(n)
    return z, seeded_log_joint(log_joint, z, 0)


def exact_completion_elbo(log_joint: LogJoint, phi) -> torch.Tensor:
    """Σ_z q(z; φ) log p(x, z) + H(q) over all 2^n codes (n ≤ 12); differentiable in φ."""
    logits = clamped_logits(phi)
    z, f = _enumerated_log_joint(log_joint, logits.shape[-1])
    return (log_q(z, logits).exp() * f).sum() + bernoulli_entropy(logits)


def exact_log_marginal(log_joint: LogJoint, n: int) -> float:
    """log p(x) = log Σ_z p(x, z) over all 2^n codes: every ELBO's upper bound."""
    _, f = _enumerated_log_joint(log_joint, n)
    return float(torch.logsumexp(f, 0))


def elbo_surrogate(log_joint: LogJoint, logits: torch.Tensor, n_samples: int,
                   generator: torch.Generator, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A 0-d surrogate whose gradient in `logits` is an unbiased ELBO gradient, and the ELBO
    estimate (value). E_q[log p(x, z)] by the score function with the leave-one-out baseline
    (Kool et al. 2019; explorer.objectives.score_function), H(q) differentiated exactly."""
    z = sample_q(logits, n_samples, generator)
    f = seeded_log_joint(log_joint, z, seed)
    sampled = score_function_surrogate(f[:, None], log_q(z, logits)[:, None], "reinforce_loo")
    surrogate = sampled.squeeze(0) + bernoulli_entropy(logits)
    return surrogate, surrogate.detach()


@dataclass
class SVIResult:
    """An SVI fit: ELBO estimate per step (before that step's update), φ snapshots, final φ."""

    steps: np.ndarray
    elbo: np.ndarray
    snapshot_steps: np.ndarray
    snapshots: np.ndarray  # (T, n) φ at snapshot_steps
    phi: np.ndarray


def fit_svi(log_joint: LogJoint, n_hidden: int, steps: int = 300, lr: float = 0.1,
            n_samples: int = 32, init=0.5, seed: int = 0,
            callback: Callable[[int, float], None] | None = None,
            n_snapshots: int = 30) -> SVIResult:
    """φ = σ(logits) by Adam ascent on the ELBO (stochastic variational inference, first lecture).

    Each step draws n_samples z ~ q and follows the score-function gradient with a
    leave-one-out baseline (`elbo_surrogate`), the learning rate decaying over the
    last quarter (`settle`);
    init is a number or an array of φ (clamped).
    callback(step, elbo) after every step (progress bars); n_snapshots φ kept for animation.
    """
    if steps < 0 or n_samples < 2:
        raise ValueError("SVI needs steps ≥ 0 and n_samples ≥ 2 (the leave-one-out baseline)")
    init = torch.as_tensor(init, dtype=torch.float64).expand(n_hidden)
    logits = clamped_logits(init).clone().requires_grad_(True)
    opt = torch.optim.Adam([logits], lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: settle(t, steps))
    gen = torch.Generator().manual_seed(int(seed))
    keep = set(np.linspace(0, steps, min(n_snapshots, steps + 1)).round().astype(int).tolist())
    trace, snap_steps, snaps = [], [], []
    for step in range(steps + 1):
        if step in keep:
            snap_steps.append(step)
            snaps.append(torch.sigmoid(logits.detach()).numpy().copy())
        if step == steps:
            break
        surrogate, value = elbo_surrogate(log_joint, logits, n_samples, gen, seed + step)
        opt.zero_grad()
        (-surrogate).backward()
        opt.step()
        sched.step()
        with torch.no_grad():  # stay where φ = 0/1 are representable and gradients are not 0
            logits.clamp_(-LOGIT_LIMIT, LOGIT_LIMIT)
        trace.append(float(value))
        if callback is not None:
            callback(step, trace[-1])
    return SVIResult(np.arange(steps), np.asarray(trace), np.asarray(snap_steps),
                     np.stack(snaps), torch.sigmoid(logits.detach()).numpy())


def vae_log_joint(model, image: torch.Tensor, mask: torch.Tensor, k: int = 32,
                  chunk_size: int | None = None) -> LogJoint:
    """log p(x, z) = log p(image with z in the hidden pixels), each estimated by the VAE's IWAE
    bound L_K (Burda et al. 2015) with k importance samples; S images × K samples in chunks."""
    image = image.detach().float()

    def log_joint(z: torch.Tensor) -> torch.Tensor:
        with torch.no_grad():
            return iwae(model, compose(image, mask, z.float()), k, chunk_size)

    return log_joint


def vae_log_marginal(model, image: torch.Tensor, mask: torch.Tensor, proposal_image: torch.Tensor,
                     k: int = 1000, chunk_size: int | None = None, seed: int = 0) -> float:
    """log p(x) of the observed pixels alone by IWAE L_K: the hidden pixels are summed out of
    the factorised Bernoulli p(image|h) exactly (their factors sum to 1), so
    w = p(x_obs|h) p(h) / q(h | proposal_image) with the encoder's q as the proposal.
    The samples h come from torch's global RNG seeded with `seed` (and restored)."""
    x = image.detach().float()[None, ~mask]
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        q = model.encode(proposal_image.detach().float()[None])

        def part(_, n):
            h = q.sample((n,))
            logits = model.decode(h).base_dist.logits[..., ~mask]
            return bernoulli_log_likelihood(x, logits) + model.prior().log_prob(h) - q.log_prob(h)

        chunk = int(chunk_size) if chunk_size else auto_chunk_size(x)
        return float(log_mean_exp(chunked(part, k, chunk)).squeeze())


def seeded_initial_model(build: Callable[[], torch.nn.Module], x_train: torch.Tensor,
                         seed: int) -> torch.nn.Module:
    """A run's untrained model (its epoch-0 checkpoint): torch seeded with `seed`, `build()`, the
    output bias at the mean of x_train — the steps trainer.loop.resume takes before training."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = build()
    model.init_output_bias(x_train.mean(0))
    return model.eval()


def ink_recall(phi: np.ndarray, truth: np.ndarray) -> float:
    """Fraction of the true hidden ink pixels (z_i = 1) where φ_i > ½ (nan without ink)."""
    ink = np.asarray(truth) > 0.5
    return float((np.asarray(phi)[ink] > 0.5).mean()) if ink.any() else float("nan")


def three_questions(model, image: torch.Tensor, mask: torch.Tensor, k: int = 8, steps: int = 400,
                    lr: float = 0.3, n_samples: int = 32, seed: int = 0, eval_samples: int = 256,
                    marginal_k: int = 1000, n_drawn: int = 8,
                    callback: Callable[[int, float], None] | None = None) -> dict:
    """The lecture's three questions for one binary image: the ELBO of φ = ½, φ = 1 and φ fitted
    by SVI (mean, SE), the point mass on the true hidden pixels, log p(x) of the observed pixels
    (IWAE, marginal_k samples) and n_drawn images from each q; plain numpy/float values."""
    n, truth = int(mask.sum()), image[mask].double()
    log_joint = vae_log_joint(model, image, mask, k)
    fit = fit_svi(log_joint, n, steps, lr, n_samples, 0.5, seed, callback)
    phis = {"φ = ½": np.full(n, 0.5), "φ = 1": np.ones(n), "φ fitted by SVI": fit.phi,
            "true top half (point mass)": truth.numpy()}
    gen = torch.Generator().manual_seed(int(seed) + 1)
    rows, drawn = [], {}
    for j, (name, phi) in enumerate(phis.items()):
        mean, se = completion_elbo(log_joint, phi, eval_samples, seed + 10_000 + j)
        rows.append(dict(q=name, elbo=mean, se=se, entropy=float(bernoulli_entropy(clamped_logits(phi)))))
        drawn[name] = sample_q(clamped_logits(phi), n_drawn, gen).numpy()
    proposal = compose(image, mask, torch.as_tensor(fit.phi).float()[None])[0]
    log_px = vae_log_marginal(model, image, mask, proposal, marginal_k, seed=seed + 20_000)
    return dict(rows=rows, log_px=log_px, phis=phis, drawn=drawn, steps=fit.steps, trace=fit.elbo,
                snapshot_steps=fit.snapshot_steps, snapshots=fit.snapshots,
                ink_recall=ink_recall(fit.phi, truth.numpy()), log_joint_truth=rows[3]["elbo"])
