"""Run specifications: what to train, validated before anything runs.

A spec's content hash (seed included) is its identity: submitting the same spec twice
reuses the first run instead of training again.
"""
from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from explorer import data
from explorer.models import registry as families

Likelihood = Literal["bernoulli", "gaussian_fixed", "gaussian_learned"]

# Spec fields beyond the common ones belong to latent families (explorer.models.registry):
# a spec holds only its own family's, so its canonical form (and run id) is unchanged by
# families added later.


class RunSpec(BaseModel):
    """One training run of a VAE (every field has a CLI flag and a widget)."""

    # extra="allow": the fields of the spec's own latent family (checked in _family_fields).
    model_config = ConfigDict(extra="allow", frozen=True)

    model: str = Field(families.DEFAULT, description="latent family: gaussian, categorical "
                       "(Gumbel-softmax), dvae (smoothed bits), vqvae (codebook), or any "
                       "registered in explorer.models")
    dataset: str = Field("mnist5k", description="a name from explorer.data (or an \"upload-…\" name)")
    latent_dim: int = Field(2, ge=1, le=64, description="d, the dimension of z (categorical: "
                            "number of variables N; dvae: bits; vqvae: code positions N)")
    hidden: tuple[int, ...] = Field((400, 400), description="MLP hidden sizes; the decoder mirrors them")
    likelihood: Likelihood = Field("bernoulli", description="p(x|z); see explorer.models.GaussianVAE")
    obs_std: float = Field(1.0, gt=0.0, le=100.0, description="s in N(x; f(z), s²I), gaussian_fixed only")
    binarize: bool = Field(False, description="dynamic binarisation x ~ Bernoulli(x) each step (Burda et al.)")
    beta: float = Field(1.0, ge=0.0, le=100.0, description="weight of KL(q‖p) in the loss (β-VAE)")
    n_samples: int = Field(1, ge=1, le=64, description="Monte Carlo samples of z per data point")
    estimator: str | None = Field(None, description="gradient estimator of E_q[log p(x|z)] for "
                                 "the encoder: reparam, reinforce, reinforce_loo (needs n_samples ≥ 2), "
                                 "dreg (iwae/renyi objectives: doubly reparameterised, "
                                 "Tucker et al. 2018); "
                                 "categorical: gumbel_softmax, st_gumbel_softmax, reinforce, "
                                 "reinforce_loo; dvae: smoothing; vqvae: straight_through "
                                 "(the model's default when omitted)")
    objective: Literal["elbo", "iwae", "renyi"] = Field(
        "elbo", description="training objective: elbo (the β-ELBO), iwae (the K-sample bound "
        "L_K, Burda et al. 2015) or renyi (the VR bound L_α, Li & Turner 2016); iwae/renyi use "
        "k samples per point instead of n_samples (gaussian only)")
    k: int = Field(1, ge=1, le=100, description="importance samples K per point of the iwae "
                   "and renyi objectives")
    alpha: float = Field(0.5, ge=0.0, le=1.0, description="α of the renyi objective: 0 = "
                         "IWAE L_K, 1 = the K-sample ELBO")
    regularizer: Literal["kl", "l2", "mmd"] = Field(
        "kl", description="what β weighs in the elbo objective: kl (KL(q‖p)), l2 (Σ μ² + "
        "(σ − 1)², the distance of q's parameters from the prior's) or mmd (MMD² between "
        "the batch's z and N(0, I) samples, InfoVAE; needs estimator reparam) (gaussian only)")
    epochs: int = Field(30, ge=1, le=2000, description="passes over the training set")
    batch_size: int = Field(128, ge=1, le=8192, description="examples per Adam step")
    lr: float = Field(3e-3, gt=0.0, le=10.0, description="Adam learning rate (up to 10: "
                    "a run whose loss explodes stops as diverged)")
    seed: int = Field(0, ge=0, le=2**31 - 1, description="seeds initialisation, batches and z samples")
    checkpoint_every: int = Field(5, ge=1, le=2000, description="epochs between checkpoints")
    bounds_every: int = Field(10, ge=0, le=2000, description="epochs between recorded bounds "
                              "(ELBO, L_k, exact log p(x) when d ≤ 2) on a fixed test subset; 0 = never")
    bounds_k: int = Field(100, ge=1, le=5000, description="importance samples k of the recorded IWAE bound L_k")
    bounds_points: int = Field(32, ge=1, le=2000, description="test points the recorded bounds average over")
    @model_validator(mode="before")
    @classmethod
    def _family_fields(cls, values):
        """Keep the spec's family's own fields (validated, defaults filled) and drop other
        families' (a stored spec from before families lists them all); refuse unknown ones."""
        if not isinstance(values, dict):
            return values
        family = families.get(values.get("model") or families.DEFAULT)
        common = {k: v for k, v in values.items() if k in cls.model_fields}
        unknown = set(values) - set(common) - families.all_option_names()
        if unknown:
            raise ValueError(f"unknown spec field(s): {', '.join(sorted(unknown))}")
        own = {k: v for k, v in values.items() if k in family.option_names()}
        try:
            options = family.options(**own)
        except ValidationError as exc:
            raise ValueError(describe_errors(exc).replace("\n", "; ")) from None
        common["model"] = family.name
        common["estimator"] = common.get("estimator") or family.estimators[0]
        return {**common, **options.model_dump()}

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
        families.check_estimator(self.family, self.estimator)
        families.check_objective(self.family, self.objective, self.regularizer)
        if self.objective != "elbo" and self.regularizer != "kl":
            raise ValueError(f"the {self.objective} objective keeps the KL inside its log "
                             "weights; regularizer l2 or mmd needs objective elbo")
        if self.family.check is not None:
            self.family.check(self)
        if self.regularizer == "mmd" and self.estimator != "reparam":
            raise ValueError("the MMD regularizer needs pathwise z samples: use estimator reparam")
        if self.estimator == "reinforce_loo":
            if self.objective == "elbo" and self.n_samples < 2:
                raise ValueError("the leave-one-out baseline (reinforce_loo) needs n_samples ≥ 2")
            if self.objective != "elbo" and self.k < 2:
                raise ValueError("the leave-one-out (VIMCO) baseline (reinforce_loo) needs k ≥ 2")
        if self.binarize and self.likelihood != "bernoulli":
            raise ValueError("dynamic binarisation only makes sense with the Bernoulli likelihood")
        return self

    @property
    def family(self) -> families.LatentFamily:
        """The latent family this spec trains (explorer.models.registry)."""
        return families.get(self.model)

    @property
    def options(self):
        """This family's own fields, as its pydantic options model."""
        return self.family.options(**{k: getattr(self, k) for k in self.family.option_names()})

    @property
    def tracks_bounds(self) -> bool:
        """Whether ELBO and L_k can be recorded while training (the family has log weights)."""
        return self.family.log_weights is not None and self.bounds_every > 0

    def canonical(self) -> dict:
        """The fields that decide the result; settings without effect are normalised away."""
        d = self.model_dump(mode="json")
        if self.likelihood != "gaussian_fixed":
            d["obs_std"] = 1.0
        if self.model == families.DEFAULT:  # run ids from before latent families stay valid
            del d["model"]
        if self.objective == "elbo":  # run ids from before objectives stay valid
            del d["objective"], d["k"], d["alpha"]
        else:
            d["n_samples"] = 1  # the K-sample bounds draw k samples, not n_samples
            if self.objective == "iwae":
                del d["alpha"]
        if self.regularizer == "kl":
            del d["regularizer"]
        if self.family.log_weights is None:
            d["bounds_every"], d["bounds_k"], d["bounds_points"] = 0, 100, 32
        return self.family.normalize(d)

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
