"""AppTest tests of the bound-ladder and gaps-over-training pages."""
from trainer import RunStore, default_store_dir

from .apptest_helpers import app, array, figures, run_settled, titles, trained_run


def test_bound_ladder_two_dimensional_run():
    run_id = trained_run(latent_dim=2, bounds_every=1, bounds_points=20, bounds_k=20)
    at = app("app_pages/bound_ladder.py", run=run_id, point="3")
    t = titles(at)
    assert any("L_k for test point 3" in s for s in t), t
    assert any("Rényi" in s or "L_α" in s for s in t)
    assert any("Exact posterior" in s for s in t)
    ladder = next(f for f in figures(at) if "L_k for test point" in f["layout"]["title"]["text"])
    means = array(ladder["data"][0]["y"])
    two_se = array(ladder["data"][0]["error_y"]["array"])
    assert len(means) == 12
    # ELBO ≤ L_5000 ≤ log p(x), up to Monte Carlo error (1.5 × the 2-SE bars ≈ 3 SE).
    assert means[-1] >= means[0] - 1.5 * (two_se[0] + two_se[-1])
    exact = next(sh["y0"] for sh in ladder["layout"]["shapes"] if sh["line"]["color"] == "black")
    assert means[-1] <= exact + 1.5 * two_se[-1]
    assert any("exact" in a["text"] for a in ladder["layout"]["annotations"])
    at.select_slider(key="k").set_value(1000).run()
    assert not at.exception
    at.slider(key="alpha").set_value(0.0).run()
    assert not at.exception
    run_settled(at.button(key="run_gaps").click())
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert "approximation gap" in labels and "amortization gap" in labels
    run_settled(at.toggle(key="test_gaps").set_value(True))
    assert not at.exception and any("Per-example gaps" in s for s in titles(at))


def test_bound_ladder_high_dimensional_run_has_no_exact_value():
    run_id = trained_run(latent_dim=4, bounds_every=0)
    at = app("app_pages/bound_ladder.py", run=run_id)
    assert any("d > 2" in c.value for c in at.caption)
    assert not any("Exact posterior" in s for s in titles(at))


def test_gaps_over_training_draws_recorded_bounds():
    run_id = trained_run(latent_dim=2, epochs=2, bounds_every=1, bounds_points=20, bounds_k=10)
    ev = RunStore(default_store_dir()).evals(run_id)
    assert ev["bound_exact"]["epoch"] == [0, 1, 2]
    at = app("app_pages/gaps_training.py", run=run_id)
    t = titles(at)
    assert any("Bounds on the mean test log-likelihood" in s for s in t)
    gaps = next(f for f in figures(at) if "gaps between them" in f["layout"]["title"]["text"])
    assert {tr["name"] for tr in gaps["data"]} == {"L_10 − ELBO", "log p(x) − ELBO", "log p(x) − L_10"}


def test_gaps_over_training_without_bounds_says_why():
    run_id = trained_run(bounds_every=0)
    at = app("app_pages/gaps_training.py", run=run_id)
    assert any("records no bounds" in i.value for i in at.info)


def test_gaps_over_training_for_a_small_categorical_latent_include_the_exact_line():
    """3 × 4 = 64 codes: the trainer sums over all of them, so log p(x) is drawn too."""
    run_id = trained_run(model="categorical", latent_dim=3, n_categories=4, bounds_every=1,
                         bounds_k=10, epochs=2)
    at = app("app_pages/gaps_training.py", run=run_id)
    gaps = next(f for f in figures(at) if "gaps between them" in f["layout"]["title"]["text"])
    assert {tr["name"] for tr in gaps["data"]} == {"L_10 − ELBO", "log p(x) − ELBO", "log p(x) − L_10"}
    exact = next(tr for tr in gaps["data"] if tr["name"] == "log p(x) − ELBO")
    assert all(v > 0 for v in array(exact["y"]))  # the ELBO is a lower bound at every epoch
