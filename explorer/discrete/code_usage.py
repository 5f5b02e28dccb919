"""How many codes a model uses: pooled over positions sharing a codebook (VQ-VAE, van den
Oord et al. 2017) or per variable (categorical/binary codes; third lecture text §2.2–2.3).

codes is an integer array (…, N) — torch tensors are read as numpy — with values in [0, K).
Usage is the empirical distribution of the codes; its perplexity exp(H) is K when all K are
used evenly and 1 when one code always wins; unused (dead) codes are never chosen.
"""
from __future__ import annotations

import numpy as np


def counts(codes, k: int, pooled: bool = True) -> np.ndarray:
    """How often each of the K codes is chosen: (K,) over all positions (pooled) or (N, K)
    for each variable n = the last axis."""
    codes = np.asarray(codes, dtype=np.int64)
    if codes.size and (codes.min() < 0 or codes.max() >= k):
        raise ValueError(f"codes must lie in [0, {k}), got {codes.min()} … {codes.max()}")
    if pooled:
        return np.bincount(codes.reshape(-1), minlength=k)
    n = codes.shape[-1]
    # Variable n's code j is bin n·K + j: one bincount for all variables.
    flat = (codes.reshape(-1, n) + k * np.arange(n)).reshape(-1)
    return np.bincount(flat, minlength=n * k).reshape(n, k)


def perplexity_of(usage: np.ndarray) -> np.ndarray | float:
    """exp(H(p)) of counts along the last axis, p = counts / total; 1 for no counts."""
    usage = np.asarray(usage, dtype=np.float64)
    total = usage.sum(-1, keepdims=True)
    p = usage / np.where(total > 0, total, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(p), 0.0)  # 0 log 0 = 0
    out = np.exp(-plogp.sum(-1))
    return float(out) if out.ndim == 0 else out


def perplexity(codes, k: int, pooled: bool = True) -> np.ndarray | float:
    """exp(entropy of code usage): a float (pooled) or one per variable (N,)."""
    return perplexity_of(counts(codes, k, pooled))


def unused(codes, k: int, pooled: bool = True) -> np.ndarray | int:
    """How many of the K codes are never chosen: an int (pooled dead codes) or per variable (N,)."""
    out = (counts(codes, k, pooled) == 0).sum(-1)
    return int(out) if pooled else out


def summary(codes, k: int, pooled: bool = True) -> dict:
    """counts ((K,) or (N, K)), perplexity and unused (scalars pooled, (N,) per variable)."""
    c = counts(codes, k, pooled)
    n_unused = (c == 0).sum(-1)
    return {"counts": c, "perplexity": perplexity_of(c),
            "unused": int(n_unused) if pooled else n_unused}
