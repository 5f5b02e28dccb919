"""Per-epoch statistics of discrete codes, recorded as evals next to the test ELBO.

Codebook perplexity and dead codes show codebook collapse in a VQ-VAE (van den Oord et
al. 2017; text §2.4); for a categorical VAE the same numbers per variable show how many
categories the encoder really uses. τ is logged so the annealing schedule can be drawn
against the learning curves.
"""
from __future__ import annotations

import torch

from explorer.models import family_of

from explorer.views import code_views
from explorer.discrete.vq import dead_codes, perplexity


def usage_summary(indices: torch.Tensor, k: int, prefix: str) -> dict[str, float]:
    """Perplexity and dead codes of (B, N) indices. VQ positions share one codebook, so all
    positions count together; categorical variables are separate and are averaged."""
    return {f"{prefix}perplexity": perplexity(indices, k), f"{prefix}dead_codes": dead_codes(indices, k)}


def per_variable_usage(indices: torch.Tensor, k: int, prefix: str) -> dict[str, float]:
    """Mean over variables of each variable's perplexity and number of unused categories
    (the Categorical & binary codes page shows them per variable)."""
    codes = indices.numpy()
    return {f"{prefix}perplexity": float(code_views.perplexities(codes, k).mean()),
            f"{prefix}dead_codes": float((code_views.usage_counts(codes, k) == 0).sum(1).mean())}


def test_code_stats(model, x: torch.Tensor) -> dict[str, float]:
    """Code usage on the test set, pooled over a shared codebook or per variable (empty for
    families without code indices: Gaussian, DVAE)."""
    family = family_of(model)
    if family.code_indices is None:
        return {}
    with torch.no_grad():
        idx = family.code_indices(model, x)
    if family.shared_codebook:
        return usage_summary(idx, model.n_categories, "test_")
    return per_variable_usage(idx, model.n_categories, "test_")


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
            out.update(usage_summary(torch.cat(self.indices), self.model.n_categories, "train_"))
        return out
