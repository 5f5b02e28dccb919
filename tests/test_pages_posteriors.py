"""AppTest tests of the posterior families on the Train, Bound ladder and Gaps over training
pages (issue 10 §2): the widgets come from the Gaussian family's options, a flow run's
q* families are compared, and runs differing only in q are drawn side by side."""
from trainer import LocalExecutor, RunStore, default_store_dir

from .apptest_helpers import app, array, figures, run_settled, titles, trained_run


def test_train_form_offers_the_posterior_families_and_submits_a_flow():
    at = app("app_pages/train.py", dataset="digits")
    assert list(at.radio(key="posterior").options) == ["diagonal", "full_cov", "flow", "laplace",
                                                       "student_t"]
    assert at.select_slider(key="flow_layers").disabled  # K only matters for a flow
    at.radio(key="posterior").set_value("flow").run()
    assert not at.select_slider(key="flow_layers").disabled
    at.select_slider(key="flow_layers").set_value(2).run()
    at.text_input(key="hidden").set_value("16").run()
    at.button(key="train_button").click().run()
    assert not at.exception and not at.error
    store = RunStore(default_store_dir())
    (rec,) = store.list()
    assert (rec.spec.posterior, rec.spec.flow_layers, rec.spec.decoder_hidden) == ("flow", 2, ())
    LocalExecutor(store).shutdown()


def test_train_form_refuses_l2_for_a_full_covariance_q_with_a_message():
    at = app("app_pages/train.py", dataset="digits", posterior="full_cov")
    at.selectbox(key="regularizer").set_value("l2").run()
    assert not at.exception
    assert not [b for b in at.button if b.key == "train_button"]  # no Train button, a message
    assert any("diagonal" in e.value and "L2" in e.value for e in at.error), [e.value for e in at.error]


def test_bound_ladder_compares_the_families_of_q_star_for_a_flow_run():
    run_id = trained_run(latent_dim=2, posterior="flow", flow_layers=2, bounds_every=0)
    at = app("app_pages/bound_ladder.py", run=run_id, point="1")
    post = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("Exact posterior"))
    assert any(tr["name"].startswith("encoder q_φ (flow)") for tr in post["data"])
    run_settled(at.button(key="run_family_gaps").click())
    assert not at.exception and not at.error
    bars = next(f for f in figures(at) if "Approximation gap by family" in f["layout"]["title"]["text"])
    assert array(bars["data"][0]["x"]) == ["diagonal", "full_cov", "flow"]
    gaps = array(bars["data"][0]["y"])
    assert all(g > -0.05 for g in gaps)  # log p(x) is exact here: no ELBO is above it
    post = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("Exact posterior"))
    names = {tr["name"].split(" (")[0] for tr in post["data"]}
    assert {"q* diagonal", "q* full_cov", "q* flow"} <= names


def test_gaps_over_training_puts_runs_differing_only_in_q_side_by_side():
    common = dict(latent_dim=2, epochs=1, bounds_every=1, bounds_points=8, bounds_k=10)
    alone = trained_run(**common, posterior="laplace")
    at = app("app_pages/gaps_training.py", run=alone)
    assert any("--posterior full_cov" in i.value for i in at.info)
    diagonal = trained_run(**common)
    trained_run(**common, posterior="full_cov")
    at = app("app_pages/gaps_training.py", run=diagonal)
    fig = next(f for f in figures(at) if "by posterior family" in f["layout"]["title"]["text"])
    assert {tr["name"] for tr in fig["data"]} == {"diagonal: log p(x) − ELBO",
                                                  "full_cov: log p(x) − ELBO",
                                                  "laplace: log p(x) − ELBO"}
    assert any("Inference gap by posterior family" in t for t in titles(at))
