"""AppTest of the "Top half of a digit" page: the three questions on a tiny trained run."""
from .apptest_helpers import app, figures, run_settled, titles, trained_run

PAGE = "app_pages/digit_completion.py"
FAST = dict(steps="50", s="8", k="1")


def test_without_runs_the_page_says_how_to_get_one():
    at = app(PAGE)
    assert any("No runs yet" in i.value for i in at.info)


def test_the_three_questions_with_an_early_checkpoint():
    run_id = trained_run(latent_dim=2, epochs=2, bounds_every=0)
    at = app(PAGE, run=run_id, **FAST)
    assert not at.error
    frame = at.dataframe[0].value.set_index("q(z; φ)")
    assert list(frame.index[:3]) == ["φ = ½", "φ = 1", "φ fitted by SVI"]
    elbo = frame["ELBO (nats)"]
    assert elbo["φ fitted by SVI"] > elbo["φ = ½"] and elbo["φ fitted by SVI"] > elbo["φ = 1"]
    assert frame.loc["φ = 1", "H(q)"] < 1e-6  # a point mass, not NaN
    assert any("IWAE estimate L_1" in c.value for c in at.caption)
    shown = titles(at)
    assert any(t.startswith("Test image") and "label 9" in t for t in shown)  # the first 9
    animation = [f for f in figures(at) if f.get("frames")]
    assert len(animation) == 1 and len(animation[0]["frames"]) > 10
    assert any("Fitted φ at epoch 0" in t for t in shown) and any("epoch 2" in t for t in shown)
    sentence = [m.value for m in at.markdown if m.value.startswith("Fitted at epoch 0")]
    assert len(sentence) == 1 and "log p(z | x)" in sentence[0]
    run_settled(at.number_input(key="image").set_value(3))  # another image: a new table
    assert not at.exception and at.dataframe[0].value.shape[0] == 5


def test_bad_url_parameters_fall_back_to_valid_settings():
    run_id = trained_run(latent_dim=2, epochs=1, bounds_every=0)
    at = app(PAGE, run=run_id, steps="50", s="-3", k="seven", image="99999")
    assert not at.exception and at.dataframe[0].value.shape[0] == 5


def test_a_run_without_a_bernoulli_likelihood_gets_a_clear_error():
    run_id = trained_run(latent_dim=2, epochs=1, bounds_every=0, likelihood="gaussian_fixed")
    at = app(PAGE, run=run_id)
    assert at.error and "Bernoulli" in at.error[0].value
    assert not at.dataframe
