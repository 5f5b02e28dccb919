"""Run families: specs that differ in one knob, and the tables built from their stored results.

Families trained from the app: the KL weight β and the decoder (a factorised MLP of three
sizes or an autoregressive MADE) of a Gaussian VAE, for rate against distortion; the
commitment weight β_c of a VQ-VAE (third lecture text §2.4, loss (∗∗); van den Oord et al.
2017); the encoder-gradient estimator of a Gaussian VAE (reparameterisation vs REINFORCE,
with and without a leave-one-out baseline); and the standard line-up of latent families on one data set (each family's `lineup`).

Comparing latent families: every model reports the ELBO of its own generative model (its
family's evaluation_terms), so Gaussian, categorical and DVAE numbers are lower bounds on
their model's log p(x) and compare directly. A VQ-VAE's "ELBO" is log p(x|z_q) − N log K with
a uniform prior it never learns (van den Oord et al. 2017 fit a PixelCNN prior afterwards),
so for it the reconstruction term is the meaningful column.
Specs are RunSpecs and records RunRecords; "differs only in a knob" is decided on the
canonical specs, the fields that decide a run's result (RunSpec.canonical).
"""
from __future__ import annotations

from typing import Callable, Iterable, Sequence

from pydantic import ValidationError

from explorer.models import registry

from trainer.spec import RunSpec
from trainer.store import RunRecord

BETA_C_GRID = (0.0, 0.05, 0.25, 1.0, 2.0)  # commitment weights of the β_c comparison
COMMITMENT_EVALS = ("test_reconstruction", "test_perplexity", "test_dead_codes",
                    "commitment_loss", "codebook_loss", "test_elbo")


def _without(spec: RunSpec, knobs: Sequence[str]) -> dict:
    d = dict(spec.canonical())
    for knob in knobs:
        d.pop(knob, None)
    return d


def same_except(a: RunSpec, b: RunSpec, knobs: Sequence[str]) -> bool:
    """a and b agree in every field that decides the result, except possibly `knobs`."""
    return _without(a, knobs) == _without(b, knobs)


def differences(a: RunSpec, b: RunSpec) -> dict[str, tuple]:
    """The fields that decide the result and differ: {field: (a's value, b's value)}; a field
    one family does not have reads as None (e.g. n_categories of a Gaussian run)."""
    ca, cb = {**a.canonical(), "model": a.model}, {**b.canonical(), "model": b.model}
    return {k: (ca.get(k), cb.get(k)) for k in sorted(set(ca) | set(cb)) if ca.get(k) != cb.get(k)}


# ---- the commitment family (VQ-VAE) --------------------------------------------------------
def same_except_commitment(a: RunSpec, b: RunSpec) -> bool:
    """Both specs use a commitment weight (canonical specs leave out the knobs a model does not
    have) and agree in every other field that decides the result."""
    uses = "commitment" in a.canonical() and "commitment" in b.canonical()
    return uses and same_except(a, b, ("commitment",))


def commitment_specs(spec: RunSpec, values: Sequence[float] = BETA_C_GRID) -> list[RunSpec]:
    """The spec with each commitment weight β_c (same seed, so only β_c differs)."""
    return [spec.model_copy(update={"commitment": float(v)}) for v in values]


def commitment_table(spec: RunSpec, records: Iterable[RunRecord],
                     evals_of: Callable[[str], dict]) -> list[dict]:
    """One row per finished run that differs from `spec` only in β_c, sorted by β_c: the last
    recorded value of each of COMMITMENT_EVALS (NaN when missing)."""
    rows = []
    for rec in records:
        if rec.status != "done" or not same_except_commitment(rec.spec, spec):
            continue
        evals = evals_of(rec.run_id)
        row = {"commitment": float(rec.spec.commitment), "run_id": rec.run_id}
        for name in COMMITMENT_EVALS:
            values = evals.get(name, {}).get("value", [])
            row[name] = float(values[-1]) if values else float("nan")
        rows.append(row)
    return sorted(rows, key=lambda r: r["commitment"])


def runs_by_commitment(rows: list[dict], records: Iterable[RunRecord]) -> dict[float, RunRecord]:
    """The records of a commitment table's rows, by β_c."""
    by_id = {r.run_id: r for r in records}
    return {row["commitment"]: by_id[row["run_id"]] for row in rows}


def commitment_status(spec: RunSpec, records: Iterable[RunRecord],
                      values: Sequence[float] = BETA_C_GRID) -> list[tuple[float, RunRecord | None]]:
    """(β_c, record or None if never submitted) for each β_c of the comparison grid."""
    known = {r.run_id: r for r in records}
    return [(s.commitment, known.get(s.run_id)) for s in commitment_specs(spec, values)]


# ---- the estimator family ------------------------------------------------------------------
def same_except_estimator(a: RunSpec, b: RunSpec) -> bool:
    """a and b differ at most in the estimator and its samples per point."""
    return same_except(a, b, ("estimator", "n_samples"))


def estimator_specs(spec: RunSpec) -> list[RunSpec]:
    """The spec trained with each estimator its family offers for the spec's objective (dreg
    only for the sampled bounds), in the family's order, all with the same S ≥ 2 samples per
    point (the leave-one-out baseline needs two)."""
    s = max(2, spec.n_samples)
    out = []
    for e in spec.family.estimators:
        try:
            out.append(RunSpec(**{**spec.model_dump(), "estimator": e, "n_samples": s}))
        except ValidationError:  # not an estimator of this objective
            continue
    return out


def estimator_runs(spec: RunSpec, records: Iterable[RunRecord]) -> dict[str, RunRecord]:
    """The records that differ from `spec` only in the estimator, by "estimator (S=…)"."""
    return {r.spec.estimator + (f" (S={r.spec.n_samples})" if r.spec.n_samples > 1 else ""): r
            for r in records if same_except_estimator(r.spec, spec)}


def missing(specs: Iterable[RunSpec], records: Iterable[RunRecord]) -> list[RunSpec]:
    """The specs no record was created for yet."""
    known = {r.run_id for r in records}
    return [s for s in specs if s.run_id not in known]


# The standard line-up of latent families -------------------------------------------------

COLUMNS = ("run", "model", "estimator", "latent", "epochs", "seed", "test ELBO",
           "E log p(x|z)", "KL", "L_k", "seconds")


def latent_description(spec: RunSpec) -> str:
    """The latent space in words: '20 × Cat(10)', '32 bits', '8 codes of 64 (D=16)', 'R^2'."""
    return spec.family.describe(spec)


def _last(evals: dict, name: str) -> float | None:
    series = evals.get(name)
    return series["value"][-1] if series and series["value"] else None


def comparison_rows(records: list[RunRecord], evals: dict[str, dict], dataset: str) -> list[dict]:
    """One row per finished run on `dataset`, best test ELBO first (VQ-VAEs last: their
    ELBO counts the constant N log K and is not comparable: `comparable_elbo`)."""
    rows = []
    for rec in records:
        if rec.status != "done" or rec.spec.dataset != dataset:
            continue
        ev = evals.get(rec.run_id, {})
        rows.append({
            "run": rec.run_id, "model": rec.spec.model, "estimator": rec.spec.estimator,
            "latent": latent_description(rec.spec), "epochs": rec.spec.epochs,
            "seed": rec.spec.seed, "test ELBO": rec.test_elbo,
            "E log p(x|z)": _last(ev, "test_reconstruction"), "KL": _last(ev, "test_kl"),
            "L_k": _last(ev, "bound_iwae"), "seconds": round(rec.seconds, 1),
        })
    rows.sort(key=lambda r: (not registry.get(r["model"]).comparable_elbo,
                             -(r["test ELBO"] or float("-inf"))))
    return rows


def comparison_specs(base: RunSpec) -> list[RunSpec]:
    """The standard line-up for one data set (each family's `lineup`), everything but the
    latent from `base`:
    Gaussian d = 20, categorical 20 × 10 (Gumbel-softmax and straight-through), DVAE with
    32 bits (spike-and-exponential and DVAE++ overlapping exponentials), VQ-VAE with 8 codes of 64 (codebook loss and EMA). Sizes follow Jang et al.
    2017 (20 × 10) scaled down for the 5,000-digit set."""
    keep = dict(dataset=base.dataset, hidden=base.hidden, likelihood=base.likelihood,
                obs_std=base.obs_std, binarize=base.binarize, epochs=base.epochs,
                batch_size=base.batch_size, lr=base.lr, seed=base.seed)
    return [RunSpec(**keep, model=family.name, **variant)
            for family in registry.families() for variant in family.lineup]


# The β family: rate against distortion (Alemi et al. 2018) -------------------------------

BETA_GRID = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0)  # KL weights of the rate–distortion sweep
ACTIVE_KL = 0.01  # nats: a latent coordinate with less KL on the last batch carries no code


def same_except_beta(a: RunSpec, b: RunSpec) -> bool:
    """a and b differ at most in the KL weight β (not for a deterministic q, where β does
    nothing and canonical specs drop it)."""
    uses = not a.family.deterministic and not b.family.deterministic
    return uses and same_except(a, b, ("beta",))


def beta_specs(spec: RunSpec, values: Sequence[float] = BETA_GRID) -> list[RunSpec]:
    """The spec with each KL weight β (same seed, so only β differs)."""
    return [spec.model_copy(update={"beta": float(v)}) for v in values]


def rate_distortion_table(spec: RunSpec, records: Iterable[RunRecord],
                          evals_of: Callable[[str], dict],
                          kl_per_dim_of: Callable[[str], list],
                          knobs: Sequence[str] = ("beta",)) -> list[dict]:
    """One row per finished run that differs from `spec` only in `knobs` (β by default; the
    decoder sweep passes DECODER_KNOBS and gets a "decoder" column), sorted by β and then
    decoder power: the rate R = KL(q(z|x) ‖ p(z)) and distortion D = −E_q log p(x|z) on the
    test set (so the ELBO is −(D + R)), and the active units of its last training batch
    (KL_j > ACTIVE_KL)."""
    rows = []
    for rec in records:
        if rec.status != "done" or not _same_sweep(rec.spec, spec, knobs):
            continue
        evals = evals_of(rec.run_id)

        def last(name):
            values = evals.get(name, {}).get("value", [])
            return float(values[-1]) if values else float("nan")

        kl_dim = kl_per_dim_of(rec.run_id)
        row = {"beta": float(rec.spec.beta), "run_id": rec.run_id, "rate": last("test_kl"),
               "distortion": -last("test_reconstruction"), "elbo": last("test_elbo"),
               "active_units": int(sum(k > ACTIVE_KL for k in kl_dim)),
               "latent_dim": rec.spec.latent_dim}
        if "decoder" in knobs:
            row["decoder"] = decoder_label(rec.spec)
            row["autoregressive"] = bool(_decoder_power(rec.spec)[0])
        rows.append((row["beta"], _decoder_power(rec.spec), row))
    return [row for *_, row in sorted(rows, key=lambda t: t[:2])]


def _same_sweep(a: RunSpec, b: RunSpec, knobs: Sequence[str]) -> bool:
    """a and b are in one sweep over `knobs`: q is stochastic (β matters), a decoder knob
    needs a decoder choice, and every other field that decides the result agrees."""
    uses = not a.family.deterministic and not b.family.deterministic
    if "decoder" in knobs:
        uses = uses and uses_decoder_option(a) and uses_decoder_option(b)
    return uses and same_except(a, b, knobs)


# The decoder family: posterior collapse as p(x|z) gets more powerful ----------------------
# A factorised MLP must send every dependency between pixels through z; a MADE
# p(x|z) = Π p(x_i | x_<i, z) can model x alone and then leaves z unused (Bowman et al. 2016,
# Chen et al. 2017). () is the default MLP, the mirror of the encoder.
DECODER_KNOBS = ("decoder", "decoder_hidden")
DECODER_GRID = (("mlp", (64,)), ("mlp", ()), ("mlp", (1024, 1024)), ("made", (400,)))


def uses_decoder_option(spec: RunSpec) -> bool:
    """The spec's family has a choice of decoder (explorer.models.gaussian)."""
    return "decoder" in spec.family.option_names()


def same_except_decoder(a: RunSpec, b: RunSpec) -> bool:
    """a and b both have a decoder choice and differ at most in the decoder and its sizes."""
    return (uses_decoder_option(a) and uses_decoder_option(b)
            and same_except(a, b, DECODER_KNOBS))


def decoder_specs(spec: RunSpec, grid=DECODER_GRID) -> list[RunSpec]:
    """The spec with each decoder of `grid` (kind, hidden sizes), weakest first; the MADE
    only where the likelihood is Bernoulli (it models binary pixels). [] without a choice."""
    if not uses_decoder_option(spec):
        return []
    return [spec.model_copy(update={"decoder": kind, "decoder_hidden": tuple(hidden)})
            for kind, hidden in grid if kind == "mlp" or spec.likelihood == "bernoulli"]


def _decoder_hidden(spec: RunSpec) -> tuple[int, ...]:
    return tuple(getattr(spec, "decoder_hidden", ()) or tuple(spec.hidden)[::-1])


def decoder_label(spec: RunSpec) -> str:
    """'MLP 400-400', 'MADE 400': the decoder kind and its hidden sizes from z to x."""
    return f"{getattr(spec, 'decoder', 'mlp').upper()} {'-'.join(map(str, _decoder_hidden(spec)))}"


def _decoder_power(spec: RunSpec) -> tuple[int, int]:
    """Sort key: factorised before autoregressive, then by hidden units."""
    return (getattr(spec, "decoder", "mlp") != "mlp", sum(_decoder_hidden(spec)))
