"""Categorical latent: N variables × K categories, one-hot z, Gumbel-softmax relaxation
(third lecture text §2.2; Jang, Gu & Poole 2017; Maddison, Mnih & Teh 2017).
"""
from __future__ import annotations

from typing import Sequence

from pydantic import BaseModel, ConfigDict, model_validator

import torch
from torch.distributions import Distribution, Independent, OneHotCategorical

from explorer.bounds.kl import kl_per_variable
from explorer.discrete.gumbel import gumbel_softmax
from explorer.models.protocol import ObservedDecoder, mlp
from explorer.objectives import ElboTerms, score_function_surrogate
from explorer.bounds.enumeration import can_enumerate, exact_log_marginal_categorical
from explorer.bounds.log_weights import chunked_log_weights
from explorer.discrete.gumbel import temperature
from explorer.models.registry import LatentFamily, LatentSize, option, register


class CategoricalVAE(ObservedDecoder):
    """q(z|x) = Π_n Cat(z_n; softmax(ℓ_n(x))), p(z) = Π_n Cat(1/K), z_n one-hot in R^K.

    latent_dim is N, the number of categorical variables; the decoder reads the N·K one-hot
    (or relaxed) entries.
    """

    kind = "categorical"
    enumerable_codes = True  # one-hot codes with a fixed prior: log p(x) = log Σ_z p(x|z) p(z)

    def __init__(self, data_dim: int, latent_dim: int = 20, n_categories: int = 10,
                 hidden: Sequence[int] = (400, 400), likelihood: str = "bernoulli",
                 obs_std: float = 1.0):
        super().__init__()
        self.latent_dim, self.n_categories = int(latent_dim), int(n_categories)
        n, k = self.latent_dim, self.n_categories
        self._build_decoder(n * k, hidden, data_dim, likelihood, obs_std)
        self.encoder = mlp((data_dim, *self.hidden, n * k))
        self.register_buffer("_flat", torch.zeros(n, k), persistent=False)

    def prior(self) -> Distribution:
        """p(z) = Π_n Cat(1/K): event shape (N, K)."""
        return Independent(OneHotCategorical(logits=self._flat), 1)

    def encode(self, x: torch.Tensor) -> Distribution:
        """q(z|x): N independent categoricals with logits from the encoder, event (N, K)."""
        logits = self.encoder(x).unflatten(-1, (self.latent_dim, self.n_categories))
        return Independent(OneHotCategorical(logits=logits), 1)

    def decode(self, z: torch.Tensor) -> Distribution:
        """p(x|z) for one-hot or relaxed z of shape (..., N, K)."""
        return self._observe(z.flatten(-2))


def categorical_terms(model, x, n_samples: int = 1, beta: float = 1.0,
                      estimator: str = "gumbel_softmax", tau: float = 1.0) -> ElboTerms:
    """β-ELBO of a categorical-latent VAE (third lecture text §2.2).

    gumbel_softmax / st_gumbel_softmax: the decoder reads relaxed (or one-hot with the
    relaxed gradient) samples at temperature τ — biased for τ > 0 (Jang et al. 2017);
    reinforce / reinforce_loo: hard z ~ q and the score function (unbiased). The KL to the
    uniform prior is exact: Σ_n Σ_k q_nk log(K q_nk).
    """
    q = model.encode(x)
    kl_var = kl_per_variable(q, model.prior())
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


class CategoricalOptions(BaseModel):
    """Spec fields of a categorical latent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n_categories: int = option(10, "K: categories per variable", label="Categories K",
                               key="cat_k", slider=(2, 64), url=True, ge=2, le=512)
    tau0: float = option(1.0, "initial temperature τ_0", label="τ₀",
                         choices=(0.5, 1.0, 2.0, 5.0), gt=0.0, le=10.0)
    tau_min: float = option(0.5, "temperature floor τ_min", label="τ_min",
                            choices=(0.05, 0.1, 0.2, 0.5, 1.0), gt=0.0, le=10.0)
    anneal_rate: float = option(1e-3, "r in τ_t = max(τ_min, τ_0 exp(−r t)), t counting Adam "
                                "steps", label="rate r",
                                choices=(0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2), ge=0.0, le=1.0)

    @model_validator(mode="after")
    def _floor_below_start(self):
        if self.tau_min > self.tau0:
            raise ValueError(f"tau_min ({self.tau_min}) cannot exceed tau0 ({self.tau0})")
        return self


def _tau(spec, step: int) -> float:
    """τ for Adam step `step`: the schedule of explorer.discrete.temperature."""
    return float(temperature(step, spec.tau0, spec.tau_min, spec.anneal_rate))


def _exact(model, x: torch.Tensor) -> torch.Tensor | None:
    """Summing p(x|z) p(z) over every code is in reach for at most MAX_CODES codes."""
    return exact_log_marginal_categorical(model, x) if can_enumerate(model) else None


FAMILY = register(LatentFamily(
    name="categorical",
    label="categorical",
    description="Categorical z: N variables × K categories, Gumbel-softmax relaxation (§2.2)",
    model_class=CategoricalVAE,
    options=CategoricalOptions,
    estimators=("gumbel_softmax", "st_gumbel_softmax", "reinforce", "reinforce_loo"),
    estimator_help="Gumbel-softmax feeds the decoder relaxed samples (biased, low variance); "
                   "straight-through feeds one-hot samples with the relaxed gradient; "
                   "REINFORCE is unbiased and noisy.",
    size=LatentSize("cat_vars", "Categorical variables N", 20),
    build=lambda spec, data_dim: CategoricalVAE(data_dim, spec.latent_dim, spec.n_categories,
                                                spec.hidden, spec.likelihood, spec.obs_std),
    training_terms=categorical_terms,
    # Scored with hard one-hot z whatever relaxation trained it (Jang et al. 2017 do the same).
    evaluation_terms=lambda model, x, n_samples=1: categorical_terms(model, x, n_samples, 1.0,
                                                                     "reinforce"),
    log_weights=chunked_log_weights,
    exact_log_marginal=_exact,
    code_indices=lambda model, x: model.encode(x).base_dist.logits.argmax(-1),
    step_options=lambda spec, step: {"tau": _tau(spec, step)},
    epoch_record=lambda spec, step: {"tau": _tau(spec, step)},  # the value the next step uses
    describe=lambda spec: f"{spec.latent_dim} × Cat({spec.n_categories})",
    unit="variable",
    views=frozenset({"codes", "rate_distortion"}),
    lineup=(dict(latent_dim=20, n_categories=10, estimator="gumbel_softmax"),
            dict(latent_dim=20, n_categories=10, estimator="st_gumbel_softmax")),
    settings_note="Temperature schedule τ_t = max(τ_min, τ₀·exp(−r t)), t = Adam steps "
                  "(Jang et al. 2017); the Gumbel-max & softmax page draws it.",
))
