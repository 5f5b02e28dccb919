"""The objectives line-up (trainer.objective_lineup), Burda et al.'s ordering computed from
the rows, and the Objectives compared page (AppTest) with and without stored runs."""
import time
from types import SimpleNamespace

from trainer import LocalExecutor, RunStore, default_store_dir
from trainer import objective_lineup as lineup
from trainer.evaluation import cached_evaluation
from trainer.loop import train_run

from .apptest_helpers import app, titles

PAGE = "app_pages/objectives_compare.py"
PARAMS = dict(obj_dataset="digits", obj_epochs="1", obj_k="10", obj_points="30")


def _record(spec, status="done"):
    return SimpleNamespace(spec=spec, status=status, run_id=spec.run_id)


def row(label, objective, k, lk, lk_se, active, regularizer="kl", beta=1.0):
    return dict(run_id=label, label=label, objective=objective, k=k, regularizer=regularizer,
                beta=beta, evaluated=True, lk=lk, lk_se=lk_se, active_units=active,
                latent_dim=50)


def test_lineup_differs_only_in_the_objective():
    base = lineup.base_spec("mnist5k", epochs=100, seed=0)
    specs = lineup.lineup_specs(base)
    assert len({s.run_id for s in specs}) == len(lineup.LINEUP) == 9
    assert all(lineup.same_except_objective(s, base) for s in specs)
    assert [lineup.objective_label(s) for s in specs] == [
        "ELBO", "IWAE k=1", "IWAE k=1 (DReG)", "IWAE k=5", "IWAE k=50", "IWAE k=50 (DReG)",
        "Rényi α=0.5 k=5", "ELBO + L2 (β=1)", f"ELBO + MMD (β={lineup.MMD_BETA:g})"]
    assert {s.estimator for s in specs} == {"reparam", "dreg"}
    assert specs[1].run_id == "404f68ac57fd"  # the IWAE k = 1 run trained for the lead's note
    other = base.model_copy(update={"bounds_every": 0, "checkpoint_every": 7})  # bookkeeping
    assert lineup.same_except_objective(other, base)
    for changed in (dict(seed=1), dict(epochs=99), dict(hidden=(100,)), dict(dataset="digits")):
        assert not lineup.same_except_objective(base.model_copy(update=changed), base)


def test_rows_are_finished_runs_in_lineup_order_with_their_evaluations():
    base = lineup.base_spec("digits", epochs=1)
    specs = lineup.lineup_specs(base)
    records = [_record(specs[4]), _record(specs[0]), _record(specs[3], "running"),
               _record(specs[1].model_copy(update={"seed": 4}))]
    evals = {specs[0].run_id: dict(elbo=-30.0, elbo_se=0.5, lk=-29.0, lk_se=0.5, kl=3.0,
                                   reconstruction=-27.0, active_units=4)}
    rows = lineup.objective_rows(base, records, evals.get)
    assert [r["label"] for r in rows] == ["ELBO", "IWAE k=50"]
    assert rows[0]["evaluated"] and rows[0]["lk"] == -29.0 and rows[0]["active_units"] == 4
    assert not rows[1]["evaluated"] and rows[1]["lk"] is None and rows[1]["k"] == 50


def test_the_ordering_sentence_follows_the_numbers():
    holds = [row("IWAE k=1", "iwae", 1, -95.0, 0.5, 10), row("IWAE k=50", "iwae", 50, -90.0, 0.5, 20)]
    (v,) = lineup.burda_ordering(holds)
    assert v["higher_lk"] and v["more_active"] and v["difference"] == 5.0
    assert "ordering holds." in v["text"] and "-90.00" in v["text"] and "20 vs 10" in v["text"]
    fails = [row("ELBO", "elbo", 1, -88.0, 0.5, 25), row("IWAE k=50", "iwae", 50, -90.0, 0.5, 20)]
    (v,) = lineup.burda_ordering(fails)
    assert not v["higher_lk"] and not v["more_active"] and "does not hold" in v["text"]
    mixed = [row("IWAE k=1", "iwae", 1, -90.3, 0.5, 30), row("IWAE k=50", "iwae", 50, -90.0, 0.5, 20)]
    (v,) = lineup.burda_ordering(mixed)
    assert "for L_k but not for the active units" in v["text"] and "within two standard" in v["text"]
    both = lineup.burda_ordering(holds + fails[:1])  # one verdict per k = 1 run
    assert [x["reference"] for x in both] == ["IWAE k=1", "ELBO"]
    assert lineup.burda_ordering(holds[:1]) == []  # no k = 50 run: nothing to check
    unevaluated = [dict(holds[0]), dict(holds[1], evaluated=False)]
    assert lineup.burda_ordering(unevaluated) == []


def test_dreg_pairs_are_checked_within_their_estimator_and_the_collapse_is_named():
    rows = [row("IWAE k=1", "iwae", 1, -208.6, 1.5, 0), row("IWAE k=50", "iwae", 50, -106.0, 1.0, 50),
            dict(row("IWAE k=1 (DReG)", "iwae", 1, -110.0, 1.0, 20), estimator="dreg"),
            dict(row("IWAE k=50 (DReG)", "iwae", 50, -105.0, 1.0, 30), estimator="dreg")]
    verdicts = lineup.burda_ordering(rows)
    assert [(v["top"], v["reference"]) for v in verdicts] == [
        ("IWAE k=50", "IWAE k=1"), ("IWAE k=50 (DReG)", "IWAE k=1 (DReG)")]
    assert verdicts[1]["difference"] == 5.0 and "30 vs 20" in verdicts[1]["text"]
    note = lineup.collapse_note(rows)
    assert "collapsed (0 active units" in note and "kept 20 units" in note
    assert lineup.collapse_note(rows[1:]) is None  # no pathwise k = 1 run
    assert lineup.collapse_note([dict(rows[0], active_units=3), *rows[1:]]) is None


def test_page_without_runs_explains_and_offers_the_lineup():
    at = app(PAGE, **PARAMS)
    assert any("No finished run" in i.value for i in at.info)
    table = at.dataframe[0].value
    assert len(table) == 9 and set(table["status"]) == {"–"}


def test_page_survives_bad_url_parameters():
    at = app(PAGE, obj_dataset="../etc", obj_epochs="-3", obj_k="abc", obj_points="99999")
    assert not at.exception and not at.error


def _wait(predicate, timeout=60.0):
    t0 = time.time()
    while time.time() - t0 < timeout and not predicate():
        time.sleep(0.2)
    return predicate()


def test_page_evaluates_in_the_background_then_shows_table_chart_verdict_and_prior_match():
    store = RunStore(default_store_dir())
    specs = lineup.lineup_specs(lineup.base_spec("digits", epochs=1))
    chosen = [specs[0], specs[4], specs[7]]  # ELBO, IWAE k=50, ELBO + L2
    for spec in chosen:
        rec, _ = store.create(spec)
        store.claim(rec.run_id)
        assert train_run(store, rec.run_id) == "done"
    at = app(PAGE, **PARAMS)
    table = at.dataframe[0].value
    assert list(table["objective"]) == ["ELBO", "IWAE k=50", "ELBO + L2 (β=1)"]
    assert table["test L_10"].isna().all()
    at.button(key="obj_evaluate").click().run()
    assert not at.exception
    assert _wait(lambda: all(cached_evaluation(store, s.run_id, 10, 30) for s in chosen))
    at = app(PAGE, **PARAMS)
    table = at.dataframe[0].value
    lk = dict(zip(table["run"], table["test L_10"]))
    assert lk[specs[4].run_id] == cached_evaluation(store, specs[4].run_id, 10, 30)["lk"]
    assert (table["test L_10"] >= table["test ELBO"]).all()
    assert any("IWAE k=50 against ELBO" in m.value for m in at.markdown)
    names = titles(at)
    assert any(t.startswith("Test ELBO and L_10 per training objective") for t in names)
    assert sum("E[x|z], z ~ p(z)" in t for t in names) == 2  # the KL and L2 runs' samples
    assert any("Aggregate posterior" in t for t in names)
    prior = at.dataframe[1].value
    assert list(prior["objective"]) == ["ELBO", "ELBO + L2 (β=1)"]
    at.button(key="obj_train").click().run()
    assert not at.exception
    assert len([r for r in store.list() if r.spec.dataset == "digits"]) == 9
    for r in store.list(("queued",)):
        store.request_cancel(r.run_id)
    LocalExecutor(store).shutdown()
