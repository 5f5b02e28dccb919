"""Run specifications: what to train, validated before anything runs.

A spec's content hash (seed included) is its identity: submitting the same spec twice
reuses the first run instead of training again.
"""
from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from explorer import data
from explorer.models import ESTIMATORS_BY_KIND

Likelihood = Literal["bernoulli", "gaussian_fixed", "gaussian_learned"]
ModelKind = Literal["gaussian", "categorical", "dvae", "vqvae"]
Estimator = Literal["reparam", "reinforce", "reinforce_loo", "gumbel_softmax",
                    "st_gumbel_softmax", "smoothing", "straight_through"]
CodebookUpdate = Literal["loss", "ema"]

# Fields that only some model kinds read. A Gaussian spec drops all of them from its
# canonical form, so run ids from before discrete models existed stay valid.
DISCRETE_FIELDS = {
    "categorical": ("n_categories", "tau0", "tau_min", "anneal_rate"),
    "dvae": ("smoothing_beta", "smoothing"),
    "vqvae": ("n_categories", "code_dim", "commitment", "codebook_update", "ema_decay"),
}
BOUND_TRACKING = ("gaussian", "categorical", "dvae")  # kinds whose ELBO and L_k are recorded


class RunSpec(BaseModel):
    """One training run of a VAE (every field has a CLI flag and a widget)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    model: ModelKind = Field("gaussian", description="latent type: gaussian, categorical "
                             "(Gumbel-softmax), dvae (smoothed bits), vqvae (codebook)")
    dataset: str = Field("mnist5k", description="a name from explorer.data (or an \"upload-…\" name)")
    latent_dim: int = Field(2, ge=1, le=64, description="d, the dimension of z (categorical: "
                            "number of variables N; dvae: bits; vqvae: code positions N)")
    hidden: tuple[int, ...] = Field((400, 400), description="MLP hidden sizes; the decoder mirrors them")
    likelihood: Likelihood = Field("bernoulli", description="p(x|z); see explorer.models.GaussianVAE")
    obs_std: float = Field(1.0, gt=0.0, le=100.0, description="s in N(x; f(z), s²I), gaussian_fixed only")
    binarize: bool = Field(False, description="dynamic binarisation x ~ Bernoulli(x) each step (Burda et al.)")
    beta: float = Field(1.0, ge=0.0, le=100.0, description="weight of KL(q‖p) in the loss (β-VAE)")
    n_samples: int = Field(1, ge=1, le=64, description="Monte Carlo samples of z per data point")
    estimator: Estimator = Field("reparam", description="gradient estimator of E_q[log p(x|z)] for "
                                 "the encoder: reparam, reinforce, reinforce_loo (needs n_samples ≥ 2); "
                                 "categorical: gumbel_softmax, st_gumbel_softmax, reinforce, "
                                 "reinforce_loo; dvae: smoothing; vqvae: straight_through "
                                 "(the model's default when omitted)")
    epochs: int = Field(30, ge=1, le=2000, description="passes over the training set")
    batch_size: int = Field(128, ge=1, le=8192, description="examples per Adam step")
    lr: float = Field(3e-3, gt=0.0, le=1.0, description="Adam learning rate")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="seeds initialisation, batches and z samples")
    checkpoint_every: int = Field(5, ge=1, le=2000, description="epochs between checkpoints")
    bounds_every: int = Field(10, ge=0, le=2000, description="epochs between recorded bounds "
                              "(ELBO, L_k, exact log p(x) when d ≤ 2) on a fixed test subset; 0 = never")
    bounds_k: int = Field(100, ge=1, le=5000, description="importance samples k of the recorded IWAE bound L_k")
    bounds_points: int = Field(32, ge=1, le=2000, description="test points the recorded bounds average over")
    n_categories: int = Field(10, ge=2, le=512, description="K: categories per variable "
                              "(categorical) or codebook size (vqvae)")
    tau0: float = Field(1.0, gt=0.0, le=10.0, description="categorical: initial temperature τ_0")
    tau_min: float = Field(0.5, gt=0.0, le=10.0, description="categorical: temperature floor τ_min")
    anneal_rate: float = Field(1e-3, ge=0.0, le=1.0, description="categorical: r in "
                               "τ_t = max(τ_min, τ_0 exp(−r t)), t counting Adam steps")
    smoothing_beta: float = Field(5.0, gt=0.0, le=100.0, description="dvae: sharpness β of the "
                                  "spike-and-exponential smoothing f1")
    smoothing: Literal["spike_exponential", "overlapping_exponential"] = Field(
        "spike_exponential", description="dvae: r(ζ|z) — Rolfe's spike-and-exponential (f1) or "
        "DVAE++'s overlapping exponentials")
    code_dim: int = Field(16, ge=1, le=256, description="vqvae: dimension D of each code vector")
    commitment: float = Field(0.25, ge=0.0, le=10.0, description="vqvae: commitment weight β_c")
    codebook_update: CodebookUpdate = Field("loss", description="vqvae: train the codebook by "
                                            "its loss term, or by EMA updates")
    ema_decay: float = Field(0.99, ge=0.0, lt=1.0, description="vqvae: EMA decay γ")

    @model_validator(mode="before")
    @classmethod
    def _default_estimator(cls, values):
        """Omitting the estimator means the model kind's usual one."""
        if isinstance(values, dict) and values.get("estimator") is None:
            kind = values.get("model") or "gaussian"
            if kind in ESTIMATORS_BY_KIND:
                values = {**values, "estimator": ESTIMATORS_BY_KIND[kind][0]}
        return values

    @field_validator("hidden", mode="before")
    @classmethod
    def _parse_hidden(cls, value):
        if isinstance(value, str):  # "400,400" from a CLI flag or a URL
            try:
                value = tuple(int(v) for v in value.replace(" ", "").split(",") if v)
            except ValueError:
                raise ValueError(f"hidden sizes must be comma-separated integers, got {value!r}")
        return value

    @field_validator("hidden")
    @classmethod
    def _check_hidden(cls, value):
        if not 1 <= len(value) <= 4:
            raise ValueError("give 1 to 4 hidden layers")
        if any(not 1 <= h <= 2048 for h in value):
            raise ValueError("each hidden layer needs between 1 and 2048 units")
        return value

    @field_validator("dataset")
    @classmethod
    def _check_dataset(cls, value):
        try:
            data.info(value)
        except data.DatasetError as exc:  # its message lists the valid names
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _check_combination(self):
        if self.likelihood == "bernoulli" and data.info(self.dataset).kind == "points":
            raise ValueError(
                f"a Bernoulli likelihood needs data in [0, 1]; {self.dataset!r} holds real-valued "
                "points — choose gaussian_fixed or gaussian_learned"
            )
        allowed = ESTIMATORS_BY_KIND[self.model]
        if self.estimator not in allowed:
            raise ValueError(f"a {self.model} model trains with estimator "
                             f"{' or '.join(allowed)}, not {self.estimator}")
        if self.model == "categorical" and self.tau_min > self.tau0:
            raise ValueError(f"tau_min ({self.tau_min}) cannot exceed tau0 ({self.tau0})")
        if self.estimator == "reinforce_loo" and self.n_samples < 2:
            raise ValueError("the leave-one-out baseline (reinforce_loo) needs n_samples ≥ 2")
        if self.binarize and self.likelihood != "bernoulli":
            raise ValueError("dynamic binarisation only makes sense with the Bernoulli likelihood")
        return self

    def canonical(self) -> dict:
        """The fields that decide the result; unused ones are normalised away."""
        d = self.model_dump(mode="json")
        if self.likelihood != "gaussian_fixed":
            d["obs_std"] = 1.0
        used = DISCRETE_FIELDS.get(self.model, ())
        for name in {f for fields in DISCRETE_FIELDS.values() for f in fields} - set(used):
            del d[name]
        if self.model == "gaussian":
            del d["model"]
        if self.model == "vqvae":  # deterministic q: one "sample", no KL weight
            d["n_samples"], d["beta"] = 1, 1.0
        if self.model == "vqvae" and self.codebook_update == "loss":
            d["ema_decay"] = 0.99
        if self.model not in BOUND_TRACKING:
            d["bounds_every"], d["bounds_k"], d["bounds_points"] = 0, 100, 32
        return d

    def content_hash(self) -> str:
        """sha256 of the canonical JSON: identical specs (seed included) share a hash."""
        text = json.dumps(self.canonical(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def run_id(self) -> str:
        return self.content_hash()[:12]


def describe_errors(exc) -> str:
    """One line per invalid field, for the UI and the CLI."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    lines = []
    for err in errors():
        where = ".".join(str(p) for p in err.get("loc", ())) or "spec"
        msg = err.get("msg", "").removeprefix("Value error, ")
        lines.append(f"{where}: {msg}")
    return "\n".join(lines)
