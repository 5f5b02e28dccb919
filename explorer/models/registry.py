"""The registry of latent families: one entry per kind of z, saying everything about it.

A family module (gaussian, categorical, dvae, vqvae, …) defines its model, its training
terms and a `LatentFamily` that it passes to `register`. The trainer, the bound tracking,
the code statistics, run comparison and the Train form ask this registry; nothing else
compares a kind string. Adding a family = one new module + one import line in
explorer/models/__init__.py (+ its page, if it has one). Modelled on torch.distributions'
`register_kl` table: each case is declared where it is defined.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, Field

from explorer.objectives import ElboTerms

DEFAULT = "gaussian"  # the family of a spec that names none (and of every run before families)


class NoOptions(BaseModel):
    """A family without settings of its own."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def option(default, description: str, *, label: str, key: str | None = None,
           choices: tuple | None = None, slider: tuple[int, int] | None = None,
           url: bool = False, ui_default=None, help: str | None = None,
           enabled_if: tuple[str, Any] | None = None, **constraints):
    """A pydantic Field of a family's spec options, with how the Train form shows it.

    choices → a select slider (a radio for text values); slider=(lo, hi) → an integer slider;
    url → the widget is bound to the page URL; enabled_if=(field, value) greys it out
    otherwise; ui_default, when the form should start elsewhere than the spec default.
    """
    ui = dict(label=label, key=key, choices=choices, slider=slider, url=url,
              ui_default=default if ui_default is None else ui_default, help=help,
              enabled_if=enabled_if)
    return Field(default, description=description, json_schema_extra={"ui": ui}, **constraints)


@dataclass(frozen=True)
class LatentSize:
    """The Train form's widget for latent_dim, named as this family names its latent size."""

    key: str  # widget key and URL parameter
    label: str
    default: int


@dataclass(frozen=True)
class LatentFamily:
    """Everything the app needs to know about one latent family.

    Callables take the model and, where a run's settings matter, a spec-like object with the
    RunSpec fields (the common ones and this family's `options`).
    """

    name: str  # the spec's `model` value
    label: str  # short name for tables and menus
    description: str  # one line for the Train form, citing the lecture
    model_class: type  # the class `build` returns; its `kind` attribute is `name`
    options: type[BaseModel]  # spec fields only this family reads (commented pydantic fields)
    estimators: tuple[str, ...]  # training estimators, the default first
    estimator_help: str
    size: LatentSize
    build: Callable[[Any, int], torch.nn.Module]  # (spec, data_dim) → untrained model
    # (model, x, n_samples, beta, estimator, **step_options) → ElboTerms with the estimator's gradient
    training_terms: Callable[..., ElboTerms]
    evaluation_terms: Callable[..., ElboTerms]  # (model, x, n_samples) → its own ELBO, β = 1
    # (model, x, k) → (k, B) importance log weights of the model's own bound; None: no L_k
    log_weights: Callable[[Any, torch.Tensor, int], torch.Tensor] | None = None
    # (model, x) → exact log p(x) per point, or None where it is out of reach for this model
    exact_log_marginal: Callable[[Any, torch.Tensor], torch.Tensor | None] | None = None
    # (model, x) → (B, N) code indices of the most probable code; None for continuous z
    code_indices: Callable[[Any, torch.Tensor], torch.Tensor] | None = None
    shared_codebook: bool = False  # code usage pooled over positions (VQ) or per variable
    step_options: Callable[[Any, int], dict] = lambda spec, step: {}  # extra training_terms args
    after_step: Callable[[Any, ElboTerms, Any], None] | None = None  # after each Adam step
    epoch_record: Callable[[Any, int], dict] = lambda spec, step: {}  # scheduled values to log
    normalize: Callable[[dict], dict] = lambda d: d  # canonical form: settings without effect
    describe: Callable[[Any], str] = lambda spec: f"R^{spec.latent_dim}"  # the latent in words
    unit: str = "dimension"  # what one latent coordinate is called
    deterministic: bool = False  # q is a point mass: no z samples, and β has no effect
    comparable_elbo: bool = True  # False: its "ELBO" is not a bound on a learned log p(x)
    views: frozenset[str] = frozenset()  # pages that can show its runs, e.g. "latent_space"
    lineup: tuple[dict, ...] = ()  # its entries in the standard comparison line-up
    settings_note: str | None = None  # a caption under its settings on the Train form
    # Training objectives and regularisers it supports (explorer.objectives), the default
    # first; a family passes the spec's choice to its training_terms with step_options.
    objectives: tuple[str, ...] = ("elbo",)
    regularizers: tuple[str, ...] = ("kl",)
    # Checks across the spec's common fields and the family's own (a ValueError with the
    # reason), run when a spec is validated, e.g. "the MADE decoder needs bernoulli".
    check: Callable[[Any], None] | None = None

    def option_fields(self) -> dict:
        return dict(self.options.model_fields)

    def option_names(self) -> tuple[str, ...]:
        return tuple(self.options.model_fields)


_FAMILIES: dict[str, LatentFamily] = {}


def register(family: LatentFamily) -> LatentFamily:
    """Add a family (a module calls this once, at import). Re-registering a name replaces it."""
    _FAMILIES[family.name] = family
    return family


def unregister(name: str) -> None:
    """Remove a family (tests that register a throw-away family clean up with this)."""
    _FAMILIES.pop(name, None)


def families() -> tuple[LatentFamily, ...]:
    """Every registered family, in registration order (the default first)."""
    return tuple(_FAMILIES.values())


def names() -> tuple[str, ...]:
    return tuple(_FAMILIES)


def get(name: str) -> LatentFamily:
    """The family called `name`; a ValueError listing the known ones otherwise."""
    try:
        return _FAMILIES[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown latent family {name!r}; choose one of "
                         f"{', '.join(_FAMILIES)}") from None


def family_of(model) -> LatentFamily:
    """The family of a built model (every model class carries its family's name as `kind`)."""
    return get(getattr(model, "kind", None))


def with_view(view: str) -> tuple[LatentFamily, ...]:
    """The families whose runs a page showing `view` can display."""
    return tuple(f for f in _FAMILIES.values() if view in f.views)


def all_option_names() -> set[str]:
    return {n for f in _FAMILIES.values() for n in f.option_names()}


def check_estimator(family: LatentFamily, estimator: str | None) -> str:
    """The estimator to train with (the family's default when None); ValueError if invalid."""
    estimator = estimator or family.estimators[0]
    if estimator not in family.estimators:
        raise ValueError(f"a {family.name} model trains with estimator "
                         f"{' or '.join(family.estimators)}, not {estimator}")
    return estimator


def check_objective(family: LatentFamily, objective: str, regularizer: str) -> None:
    """ValueError unless the family trains with this objective and regulariser."""
    if objective not in family.objectives:
        raise ValueError(f"a {family.name} model trains with objective "
                         f"{' or '.join(family.objectives)}, not {objective}")
    if regularizer not in family.regularizers:
        raise ValueError(f"a {family.name} model is regularised with "
                         f"{' or '.join(family.regularizers)}, not {regularizer}")


def training_terms(model, x: torch.Tensor, n_samples: int = 1, beta: float = 1.0,
                   estimator: str | None = None, **step_options) -> ElboTerms:
    """The loss a model of any family trains on, with the named estimator's gradient."""
    family = family_of(model)
    return family.training_terms(model, x, n_samples=n_samples, beta=beta,
                                 estimator=check_estimator(family, estimator), **step_options)


def evaluation_terms(model, x: torch.Tensor, n_samples: int = 1) -> ElboTerms:
    """The model's own ELBO (β = 1), the same whatever estimator trained it."""
    return family_of(model).evaluation_terms(model, x, n_samples=n_samples)
