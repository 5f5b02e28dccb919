"""The Discrete vs Gaussian comparison: rows from stored runs, the line-up, the page."""
from trainer import LocalExecutor, RunSpec, RunStore, default_store_dir
from trainer.families import comparison_rows, comparison_specs, latent_description

from .apptest_helpers import app, array, figures, trained_run


def store_rows(dataset="digits"):
    store = RunStore(default_store_dir())
    recs = store.list()
    return comparison_rows(recs, {r.run_id: store.evals(r.run_id) for r in recs}, dataset)


def test_rows_come_from_finished_runs_best_first_vq_last():
    ids = {
        "gaussian": trained_run(latent_dim=4, epochs=1),
        "categorical": trained_run(model="categorical", latent_dim=4, n_categories=4, epochs=1),
        "vqvae": trained_run(model="vqvae", latent_dim=2, n_categories=8, code_dim=2, epochs=1),
    }
    store = RunStore(default_store_dir())
    store.create(RunSpec(dataset="digits", hidden=(32,), epochs=1, seed=9))  # queued: not a row
    rows = store_rows()
    assert [r["run"] for r in rows][-1] == ids["vqvae"]
    assert {r["run"] for r in rows} == set(ids.values())
    elbos = [r["test ELBO"] for r in rows if r["model"] != "vqvae"]
    assert elbos == sorted(elbos, reverse=True)
    for r in rows:
        rec = store.get(r["run"])
        ev = store.evals(r["run"])
        assert r["test ELBO"] == rec.test_elbo
        assert abs(r["E log p(x|z)"] - r["KL"] - rec.test_elbo) < 1e-3
        assert r["E log p(x|z)"] == ev["test_reconstruction"]["value"][-1]
    assert store_rows("mnist5k") == []


def test_lineup_differs_only_in_the_latent():
    base = RunSpec(dataset="digits", epochs=7, seed=3, hidden=(50,))
    specs = comparison_specs(base)
    assert len({s.run_id for s in specs}) == len(specs) == 7
    assert {s.model for s in specs} == {"gaussian", "categorical", "dvae", "vqvae"}
    assert all(s.epochs == 7 and s.seed == 3 and s.hidden == (50,) for s in specs)
    assert latent_description(specs[1]) == "20 × Cat(10)"
    assert latent_description(specs[3]).startswith("32 bits")


def test_page_table_bars_and_lineup_button():
    trained_run(latent_dim=4, epochs=1)
    trained_run(model="dvae", latent_dim=6, epochs=1)
    at = app("app_pages/discrete_compare.py", cmp_dataset="digits")
    table = at.dataframe[0].value
    assert sorted(table["model"]) == ["dvae", "gaussian"]
    (bars,) = figures(at)
    assert [array(t["x"]) for t in bars["data"]][0] == list(table["test ELBO"])
    lineup = at.dataframe[1].value
    assert len(lineup) == 7 and set(lineup["status"]) == {"–"}
    at.number_input(key="cmp_epochs").set_value(1).run()
    at.button(key="cmp_train").click().run()
    assert not at.exception
    store = RunStore(default_store_dir())
    submitted = [r.spec for r in store.list() if r.spec.epochs == 1 and r.spec.hidden == (400, 400)]
    assert len(submitted) == 7
    LocalExecutor(store).shutdown()


def test_page_without_runs_explains():
    at = app("app_pages/discrete_compare.py")
    assert any("No finished runs" in i.value for i in at.info)
