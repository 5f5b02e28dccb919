"""Per-epoch statistics of discrete codes, recorded as evals next to the test ELBO.

Codebook perplexity and dead codes show codebook collapse in a VQ-VAE (van den Oord et
al. 2017; text §2.4); for a categorical VAE the same numbers per variable show how many
categories the encoder really uses. τ is logged so the annealing schedule can be drawn
against the learning curves.
"""
from __future__ import annotations

import numpy as np
import torch

from explorer.discrete import code_usage
from explorer.models import family_of


def usage_stats(indices: torch.Tensor, k: int, pooled: bool, prefix: str) -> dict[str, float]:
    """Perplexity exp(H) and unused codes of (B, N) indices (explorer.discrete.code_usage):
    pooled over positions that share one codebook (VQ), else per variable and averaged."""
    usage = code_usage.summary(indices, k, pooled=pooled)
    return {f"{prefix}perplexity": float(np.mean(usage["perplexity"])),
            f"{prefix}dead_codes": float(np.mean(usage["unused"]))}


def test_code_stats(model, x: torch.Tensor) -> dict[str, float]:
    """Code usage on the test set, pooled over a shared codebook or per variable (empty for
    families without code indices: Gaussian, DVAE)."""
    family = family_of(model)
    if family.code_indices is None:
        return {}
    with torch.no_grad():
        idx = family.code_indices(model, x)
    return usage_stats(idx, model.n_categories, family.shared_codebook, "test_")


class EpochStats:
    """Running means of the extras a model's training terms report during one epoch."""

    KEYS = ("codebook_loss", "commitment_loss", "mean_q")  # τ is a schedule, not averaged

    def __init__(self, model):
        self.model, self.sums, self.count, self.indices = model, {}, 0, []

    def add(self, extras: dict):
        self.count += 1
        for key in self.KEYS:
            if key in extras:
                self.sums[key] = self.sums.get(key, 0.0) + float(extras[key])
        if "indices" in extras:
            self.indices.append(extras["indices"])

    def summary(self) -> dict[str, float]:
        out = {k: v / max(1, self.count) for k, v in self.sums.items()}
        if self.indices:
            out.update(usage_stats(torch.cat(self.indices), self.model.n_categories,
                                   family_of(self.model).shared_codebook, "train_"))
        return out
