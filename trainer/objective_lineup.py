"""The objectives line-up: one architecture trained with each training objective, and the
table and verdict built from the runs' test evaluations (trainer.evaluation).

Burda et al. (2015, Table 1) train the same network with the ELBO (k = 1) and with the IWAE
bound for k = 1, 5, 50, and find that larger k gives a higher test L_5000 and more active
units. The line-up adds the Rényi bound (Li & Turner 2016) and the two alternatives to the
KL of the third lecture text (§1.4): the L2 distance of q's parameters from the prior's, and
the MMD between the aggregate posterior and p(z) (InfoVAE, Zhao et al. 2017). IWAE k = 1
and k = 50 are trained twice: with Burda's pathwise gradient and with the doubly
reparameterised one (Tucker et al. 2018), whose k = 1 run does not collapse at d = 50.
"""
from __future__ import annotations

import math
from typing import Callable, Iterable, Sequence

from trainer.families import same_except
from trainer.spec import RunSpec
from trainer.store import RunRecord

# β of the MMD run: a batch's MMD² is at most ~0.2 (unit-free) against ~10² nats of
# reconstruction, so at β = 1 it would barely act (InfoVAE weighs it by λ ≫ 1).
MMD_BETA = 100.0
LINEUP: tuple[dict, ...] = (
    dict(objective="elbo"),  # the VAE of Kingma & Welling, k = 1 (analytic KL)
    dict(objective="iwae", k=1),  # L_1: the ELBO with a Monte Carlo KL
    dict(objective="iwae", k=1, estimator="dreg"),  # ... without its score term's noise
    dict(objective="iwae", k=5),
    dict(objective="iwae", k=50),
    dict(objective="iwae", k=50, estimator="dreg"),
    dict(objective="renyi", k=5, alpha=0.5),
    dict(objective="elbo", regularizer="l2"),
    dict(objective="elbo", regularizer="mmd", beta=MMD_BETA),
)
# What the line-up varies, and settings that do not change the trained model.
OBJECTIVE_KNOBS = ("objective", "k", "alpha", "regularizer", "beta", "n_samples", "estimator")
BOOKKEEPING = ("checkpoint_every", "bounds_every", "bounds_k", "bounds_points")


def base_spec(dataset: str = "mnist5k", epochs: int = 100, seed: int = 0) -> RunSpec:
    """Burda et al.'s one-stochastic-layer architecture: d = 50, two hidden layers of 200,
    Bernoulli p(x|z) on dynamically binarised data."""
    return RunSpec(dataset=dataset, latent_dim=50, hidden=(200, 200), likelihood="bernoulli",
                   binarize=True, epochs=epochs, seed=seed, checkpoint_every=25, bounds_every=25)


def lineup_specs(base: RunSpec) -> list[RunSpec]:
    """The base spec with each objective of LINEUP (everything else, seed included, kept)."""
    plain = dict(objective="elbo", k=1, alpha=0.5, regularizer="kl", beta=1.0, n_samples=1,
                 estimator="reparam")
    return [base.model_copy(update={**plain, **variant}) for variant in LINEUP]


def same_except_objective(a: RunSpec, b: RunSpec) -> bool:
    """a and b train the same network on the same data, except possibly for the objective."""
    return same_except(a, b, OBJECTIVE_KNOBS + BOOKKEEPING)


def objective_label(spec: RunSpec) -> str:
    """'ELBO', 'ELBO + L2 (β=1)', 'IWAE k=50', 'IWAE k=1 (DReG)', 'Rényi α=0.5 k=5'."""
    how = {"dreg": " (DReG)", "reinforce": " (REINFORCE)", "reinforce_loo": " (VIMCO)"}.get(
        spec.estimator, "")
    if spec.objective == "iwae":
        return f"IWAE k={spec.k}{how}"
    if spec.objective == "renyi":
        return f"Rényi α={spec.alpha:g} k={spec.k}{how}"
    reg = "" if spec.regularizer == "kl" else f" + {spec.regularizer.upper()}"
    beta = "" if spec.beta == 1.0 and not reg else f" (β={spec.beta:g})"
    return f"ELBO{reg}{beta}"


def _order(spec: RunSpec) -> tuple:
    """Line-up position (by label: objective, k, α, regulariser, β), then the label."""
    labels = [objective_label(s) for s in lineup_specs(spec)]
    label = objective_label(spec)
    return (labels.index(label) if label in labels else len(labels), label)


def objective_rows(base: RunSpec, records: Iterable[RunRecord],
                   evaluation_of: Callable[[str], dict | None]) -> list[dict]:
    """One row per finished run of base's architecture, in line-up order: its objective and
    the test scores of `evaluation_of(run_id)` (None where not evaluated yet)."""
    rows = []
    for rec in sorted((r for r in records if r.status == "done"
                       and same_except_objective(r.spec, base)), key=lambda r: _order(r.spec)):
        s, ev = rec.spec, evaluation_of(rec.run_id) or {}
        rows.append({
            "run_id": rec.run_id, "label": objective_label(s), "objective": s.objective,
            "k": s.n_samples if s.objective == "elbo" else s.k,
            "alpha": s.alpha if s.objective == "renyi" else None,
            "regularizer": s.regularizer, "beta": s.beta, "epochs": s.epochs, "seed": s.seed,
            "estimator": s.estimator,
            "evaluated": bool(ev), **{name: ev.get(name) for name in (
                "elbo", "elbo_se", "lk", "lk_se", "kl", "reconstruction", "active_units")},
            "latent_dim": s.latent_dim})
    return rows


def _find(rows: Sequence[dict], **match) -> dict | None:
    match.setdefault("estimator", "reparam")
    hits = [r for r in rows if r["evaluated"]
            and all(r.get(k, "reparam" if k == "estimator" else None) == v
                    for k, v in match.items())]
    return hits[0] if hits else None


def burda_ordering(rows: Sequence[dict], k_eval: int = 5000) -> list[dict]:
    """Burda et al.'s claim, checked on the rows: does the IWAE k = 50 run have a higher
    test L_k and more active units than each evaluated k = 1 run (IWAE L_1 with the same
    gradient estimator, and the ELBO with analytic KL)? One verdict per pair present (pathwise
    first, then DReG), with a sentence from the numbers."""
    out = []
    for estimator in ("reparam", "dreg"):
        top = _find(rows, objective="iwae", k=50, estimator=estimator)
        if top is None:
            continue
        refs = [r for r in (_find(rows, objective="iwae", k=1, estimator=estimator),
                            _find(rows, objective="elbo", k=1, regularizer="kl", beta=1.0)) if r]
        out += [_verdict(top, ref, k_eval) for ref in refs]
    return out


def _verdict(top: dict, ref: dict, k_eval: int) -> dict:
    diff = top["lk"] - ref["lk"]
    se = math.hypot(top["lk_se"] or 0.0, ref["lk_se"] or 0.0)
    higher, more = diff > 0, top["active_units"] > ref["active_units"]
    verdict = ("Burda et al.'s ordering holds" if higher and more else
               "Burda et al.'s ordering does not hold" if not (higher or more) else
               "Burda et al.'s ordering holds for L_k but not for the active units"
               if higher else
               "Burda et al.'s ordering holds for the active units but not for L_k")
    within = " — within two standard errors" if abs(diff) < 2 * se else ""
    text = (f"{top['label']} against {ref['label']}: test L_{k_eval} {top['lk']:.2f} ± "
            f"{top['lk_se']:.2f} vs {ref['lk']:.2f} ± {ref['lk_se']:.2f} nats "
            f"({diff:+.2f} ± {se:.2f}{within}), active units {top['active_units']} vs "
            f"{ref['active_units']} of {top['latent_dim']}. **{verdict}.**")
    return {"reference": ref["run_id"], "top": top["run_id"], "higher_lk": higher,
            "more_active": more, "difference": diff, "difference_se": se, "text": text}


def collapse_note(rows: Sequence[dict]) -> str | None:
    """When the pathwise IWAE k = 1 run switched every unit off and the DReG one did not: the
    sentence that says the gap is the estimator's, not the bound's."""
    full = _find(rows, objective="iwae", k=1, estimator="reparam")
    dreg = _find(rows, objective="iwae", k=1, estimator="dreg")
    if full is None or dreg is None or full["active_units"] > 0 or dreg["active_units"] == 0:
        return None
    return (f"The pathwise IWAE k = 1 run collapsed ({full['active_units']} active units, test "
            f"L_k {full['lk']:.2f}) while the same bound trained with DReG kept "
            f"{dreg['active_units']} units ({dreg['lk']:.2f}): the collapse is the gradient's "
            "noise, not the bound. With k = 1 the pathwise gradient carries ∇ log p(z) = −z of "
            "the sampled KL even where q(z|x) = p(z), about one unit of variance per latent "
            "dimension (d = 50), which drowns the decoder's first signal; DReG removes that "
            "term. Compare L_50 with L_1 within the same estimator.")
