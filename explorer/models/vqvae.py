"""Vector-quantised latent: N positions snap to the nearest of K codebook vectors, trained
straight-through (third lecture text §2.4, loss (∗∗); van den Oord, Vinyals & Kavukcuoglu 2017).
"""
from __future__ import annotations

import math
from typing import Literal, Sequence

from pydantic import BaseModel, ConfigDict

import torch
from torch import nn
from torch.distributions import Distribution, Independent, OneHotCategorical

from explorer.discrete.vq import ema_update, nearest_code, quantize
from explorer.models.protocol import ObservedDecoder, mlp
from explorer.objectives import ElboTerms
from explorer.models.registry import LatentFamily, LatentSize, option, register


class VQVAE(ObservedDecoder):
    """Deterministic q: each of N encoder vectors z_e,n ∈ R^D snaps to its nearest of K codes.

    protocol view: prior() is uniform over the K codes at each position; encode(x) is the
    one-hot (point mass) of the nearest codes; decode(one-hot (..., N, K)) looks the codes
    up. Training uses `quantize_vectors`/`decode_vectors` for the straight-through path.
    """

    kind = "vqvae"

    def __init__(self, data_dim: int, latent_dim: int = 8, n_categories: int = 64,
                 code_dim: int = 16, hidden: Sequence[int] = (400, 400),
                 likelihood: str = "bernoulli", obs_std: float = 1.0):
        super().__init__()
        self.latent_dim, self.n_categories, self.code_dim = int(latent_dim), int(n_categories), int(code_dim)
        n, k, dim = self.latent_dim, self.n_categories, self.code_dim
        self._build_decoder(n * dim, hidden, data_dim, likelihood, obs_std)
        self.encoder = mlp((data_dim, *self.hidden, n * dim))
        self.codebook = nn.Parameter(torch.empty(k, dim).uniform_(-1 / k, 1 / k))
        # EMA statistics start consistent with the codebook: N_k = 1, m_k = e_k.
        self.register_buffer("ema_size", torch.ones(k))
        self.register_buffer("ema_sum", self.codebook.detach().clone())
        self.register_buffer("_flat", torch.zeros(n, k), persistent=False)

    def encode_vectors(self, x: torch.Tensor) -> torch.Tensor:
        """z_e(x), shape (..., N, D)."""
        return self.encoder(x).unflatten(-1, (self.latent_dim, self.code_dim))

    def codes(self, x: torch.Tensor) -> torch.Tensor:
        """Nearest-code indices, shape (..., N)."""
        z_e = self.encode_vectors(x)
        return nearest_code(z_e.reshape(-1, self.code_dim), self.codebook).reshape(z_e.shape[:-1])

    def prior(self) -> Distribution:
        """p(z) = uniform over the K codes at each of the N positions (log p = −N log K)."""
        return Independent(OneHotCategorical(logits=self._flat), 1)

    def encode(self, x: torch.Tensor) -> Distribution:
        """q(z|x): a point mass on the nearest codes, so KL(q ‖ p) = N log K."""
        onehot = nn.functional.one_hot(self.codes(x), self.n_categories).to(self.codebook.dtype)
        return Independent(OneHotCategorical(probs=onehot), 1)

    def decode_vectors(self, z_q: torch.Tensor) -> Distribution:
        """p(x|z_q) for code vectors z_q of shape (..., N, D)."""
        return self._observe(z_q.flatten(-2))

    def decode(self, z: torch.Tensor) -> Distribution:
        """p(x|z) for one-hot codes z of shape (..., N, K)."""
        return self.decode_vectors(z @ self.codebook)

    def kl_constant(self) -> float:
        return self.latent_dim * math.log(self.n_categories)

    @torch.no_grad()
    def ema_step(self, z_e: torch.Tensor, indices: torch.Tensor, decay: float):
        """Move the codebook by one EMA step (explorer.vq.ema_update) on a batch's codes."""
        book, size, total = ema_update(self.codebook, self.ema_size, self.ema_sum,
                                       z_e.reshape(-1, self.code_dim), indices.reshape(-1), decay)
        self.codebook.copy_(book)
        self.ema_size.copy_(size)
        self.ema_sum.copy_(total)


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


class VQOptions(BaseModel):
    """Spec fields of a vector-quantised latent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n_categories: int = option(10, "K: codebook size", label="Codebook size K", key="vq_k",
                               choices=(4, 8, 16, 32, 64, 128, 256, 512), url=True,
                               ui_default=64, ge=2, le=512)
    code_dim: int = option(16, "dimension D of each code vector", label="Code dimension D",
                           choices=(2, 4, 8, 16, 32, 64), ge=1, le=256)
    commitment: float = option(0.25, "commitment weight β_c", label="Commitment β_c",
                               choices=(0.0, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0), url=True,
                               ge=0.0, le=10.0)
    codebook_update: Literal["loss", "ema"] = option(
        "loss", "train the codebook by its loss term, or by EMA updates",
        label="Codebook update", choices=("loss", "ema"), url=True,
        help="loss: ‖sg[z_e] − e‖² trains the codes; ema: running means of the encoder outputs "
             "assigned to each code (van den Oord et al., App. A.1).")
    ema_decay: float = option(0.99, "EMA decay γ", label="EMA decay γ",
                              choices=(0.9, 0.95, 0.99, 0.999), enabled_if=("codebook_update", "ema"),
                              ge=0.0, lt=1.0)


def _ema_step(model, terms: ElboTerms, spec) -> None:
    """With EMA updates the codebook moves after each Adam step, not by its gradient."""
    if spec.codebook_update == "ema":
        model.ema_step(terms.extras["z_e"], terms.extras["indices"], spec.ema_decay)


def _normalize(d: dict) -> dict:
    """q is deterministic: one "sample" and no KL weight; EMA decay matters only with EMA."""
    d["n_samples"], d["beta"] = 1, 1.0
    if d["codebook_update"] == "loss":
        d["ema_decay"] = 0.99
    return d


def _describe(spec) -> str:
    update = "EMA" if spec.codebook_update == "ema" else "loss"
    return f"{spec.latent_dim} codes of {spec.n_categories} (D={spec.code_dim}, {update})"


FAMILY = register(LatentFamily(
    name="vqvae",
    label="VQ-VAE",
    description="VQ-VAE: N positions snap to the nearest of K codebook vectors (§2.4)",
    model_class=VQVAE,
    options=VQOptions,
    estimators=("straight_through",),
    estimator_help="The decoder's gradient is copied from z_q to z_e (straight-through).",
    size=LatentSize("vq_positions", "Code positions N", 8),
    build=lambda spec, data_dim: VQVAE(data_dim, spec.latent_dim, spec.n_categories,
                                       spec.code_dim, spec.hidden, spec.likelihood, spec.obs_std),
    training_terms=lambda model, x, n_samples, beta, estimator, **step: vq_terms(model, x, **step),
    evaluation_terms=lambda model, x, n_samples=1: vq_terms(model, x),
    code_indices=lambda model, x: model.codes(x),
    shared_codebook=True,
    step_options=lambda spec, step: {"commitment": spec.commitment,
                                     "codebook_loss": spec.codebook_update == "loss"},
    after_step=_ema_step,
    normalize=_normalize,
    describe=_describe,
    unit="variable",
    deterministic=True,
    # log p(x|z_q) − N log K with a uniform prior it never learns (van den Oord et al. fit a
    # PixelCNN prior afterwards): rank VQ runs on reconstruction.
    comparable_elbo=False,
    views=frozenset({"codebook"}),
    lineup=(dict(latent_dim=8, n_categories=64, codebook_update="loss"),
            dict(latent_dim=8, n_categories=64, codebook_update="ema")),
))
