"""Bars and stripes: 4×4 binary images whose rows are all equal (stripes) or whose columns
are (bars), each pixel flipped with probability FLIP — a data set whose density is known
exactly, so a model's log p(x) can be held against the truth.

There are 2·2⁴ = 32 noiseless patterns (all-off and all-on appear once as bars and once as
stripes), drawn uniformly: p(x) = 1/32 Σ_c Π_i FLIP^{[x_i ≠ m_ci]} (1 − FLIP)^{[x_i = m_ci]}.
Labels: 0 = stripes, 1 = bars. A model that knew only which of the 32 patterns x came from
would need log 32 nats of code; one that knew only the orientation, log 2.
"""
from __future__ import annotations

import math

import numpy as np
import torch

SIDE = 4
FLIP = 0.05
SPLIT_SIZES = {"train": 2000, "test": 1000}
SEED = 0  # fixed: the split never changes, so test scores stay comparable


def patterns() -> tuple[np.ndarray, np.ndarray]:
    """The 32 noiseless patterns (32, 16) in {0, 1} and their orientation labels (32,)."""
    rows = np.array([[(bits >> i) & 1 for i in range(SIDE)] for bits in range(2 ** SIDE)], float)
    stripes = np.repeat(rows[:, :, None], SIDE, 2).reshape(-1, SIDE * SIDE)  # rows constant
    bars = np.repeat(rows[:, None, :], SIDE, 1).reshape(-1, SIDE * SIDE)  # columns constant
    return np.concatenate([stripes, bars]), np.repeat([0, 1], 2 ** SIDE)


def generate(split: str) -> tuple[np.ndarray, np.ndarray]:
    """x (N, 16) float32 in {0, 1} and orientation labels (N,) int64 for one split."""
    stream = {"train": 0, "test": 1}[split]
    rng = np.random.default_rng(np.random.SeedSequence(SEED).spawn(2)[stream])
    m, labels = patterns()
    c = rng.integers(len(m), size=SPLIT_SIZES[split])
    flips = rng.random((len(c), m.shape[1])) < FLIP
    return np.abs(m[c] - flips).astype(np.float32), labels[c].astype(np.int64)


def log_prob(x: torch.Tensor) -> torch.Tensor:
    """The data's exact log p(x) (B,), a mixture of 32 products of Bernoullis (logsumexp)."""
    m = torch.as_tensor(patterns()[0], dtype=x.dtype)
    agree = x[:, None, :] * m + (1 - x[:, None, :]) * (1 - m)  # (B, 32, 16) in {0, 1}
    log_c = (agree * math.log1p(-FLIP) + (1 - agree) * math.log(FLIP)).sum(-1)
    return torch.logsumexp(log_c, 1) - math.log(len(m))


def entropy() -> float:
    """H(p) in nats, by enumerating all 2¹⁶ images: the best expected test log-likelihood
    any model can reach is −H."""
    codes = torch.arange(2 ** (SIDE * SIDE))
    x = ((codes[:, None] >> torch.arange(SIDE * SIDE)) & 1).double()
    lp = log_prob(x)
    return float(-(lp.exp() * lp).sum())
