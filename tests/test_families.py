"""trainer.families against hand-made specs and run records: which runs differ only in the
commitment weight β_c or in the estimator, and the comparison table built from their evals."""
from types import SimpleNamespace

import numpy as np

from explorer.views import vq_views
from trainer import RunSpec, families


def _record(spec, status="done", run_id=None):
    return SimpleNamespace(spec=spec, status=status, run_id=run_id or spec.run_id)


def test_comparison_table_picks_only_runs_differing_in_commitment():
    base = RunSpec(model="vqvae", dataset="digits", latent_dim=3, n_categories=16, code_dim=4)
    family = families.commitment_specs(base)
    assert [s.commitment for s in family] == list(families.BETA_C_GRID)
    assert len({s.run_id for s in family}) == 5 and base.run_id in {s.run_id for s in family}
    others = [base.model_copy(update={"seed": 1}),
              base.model_copy(update={"commitment": 1.0, "code_dim": 8}),
              RunSpec(dataset="digits", latent_dim=3)]
    records = ([_record(s) for s in family[1:]] + [_record(family[0], status="running")]
               + [_record(s) for s in others])
    evals = {r.run_id: {"test_perplexity": {"value": [1.0, 10 * getattr(r.spec, "commitment", 0.0) + i]},
                        "test_dead_codes": {"value": [float(i)]}}
             for i, r in enumerate(records)}
    rows = families.commitment_table(base, records, evals.__getitem__)
    assert [r["commitment"] for r in rows] == [0.05, 0.25, 1.0, 2.0]
    assert [r["run_id"] for r in rows] == [s.run_id for s in family[1:]]
    assert [r["test_perplexity"] for r in rows] == [0.5, 3.5, 12.0, 23.0]  # the last value
    assert np.isnan(rows[0]["test_reconstruction"])  # never recorded
    text = vq_views.describe_trend(rows, "test_perplexity", "Perplexity")
    assert "rises at every step" in text and "0.5 at β_c = 0.05" in text and "23 at β_c = 2" in text
    assert "never rises" in vq_views.describe_trend(
        [{"commitment": b, "d": d} for b, d in [(0, 4.0), (1, 0.0), (2, 0.0)]], "d", "Dead")
    rows[2]["test_dead_codes"] = 9.0
    assert "goes up and down" in vq_views.describe_trend(rows, "test_dead_codes", "Dead")
    assert "fewer than two" in vq_views.describe_trend(rows[:1], "test_dead_codes", "Dead")
    # EMA specs only compare with EMA specs of the same decay
    ema = base.model_copy(update={"codebook_update": "ema"})
    assert not families.same_except_commitment(ema, base)
    assert families.same_except_commitment(ema, ema.model_copy(update={"commitment": 2.0}))


def test_commitment_status_and_runs_by_commitment():
    base = RunSpec(model="vqvae", dataset="digits", latent_dim=3, n_categories=16, code_dim=4)
    family = families.commitment_specs(base)
    records = [_record(family[1]), _record(family[3], status="running")]
    status = families.commitment_status(base, records)
    assert [b for b, _ in status] == list(families.BETA_C_GRID)
    assert [r.run_id if r else None for _, r in status] == [
        None, family[1].run_id, None, family[3].run_id, None]
    rows = families.commitment_table(base, records, lambda run_id: {})
    assert families.runs_by_commitment(rows, records) == {0.05: records[0]}
    # a Gaussian spec has no commitment weight: it is in no commitment family
    gauss = RunSpec(dataset="digits", latent_dim=3)
    assert not families.same_except_commitment(gauss, gauss.model_copy(update={"seed": 0}))


def test_estimator_family_runs_and_missing_variants():
    base = RunSpec(dataset="digits", latent_dim=2, epochs=3)
    specs = families.estimator_specs(base)
    assert [s.estimator for s in specs] == ["reparam", "reinforce", "reinforce_loo"]
    iwae = families.estimator_specs(base.model_copy(update={"objective": "iwae", "k": 5}))
    assert [s.estimator for s in iwae] == ["reparam", "reinforce", "reinforce_loo", "dreg"]
    assert all(s.n_samples == 2 for s in specs)  # the leave-one-out baseline needs S ≥ 2
    assert [s.n_samples for s in families.estimator_specs(
        base.model_copy(update={"n_samples": 4}))] == [4, 4, 4]
    assert all(families.same_except_estimator(s, base) for s in specs)
    assert not families.same_except_estimator(base.model_copy(update={"epochs": 4}), base)
    records = [_record(base), _record(specs[2], status="running"),
               _record(base.model_copy(update={"seed": 5}))]
    runs = families.estimator_runs(base, records)
    assert runs == {"reparam": records[0], "reinforce_loo (S=2)": records[1]}
    assert families.missing(specs, runs.values()) == specs[:2]
