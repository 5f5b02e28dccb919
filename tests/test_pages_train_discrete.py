"""The Train page with discrete latents: per-kind widgets, specs and code curves."""
import pytest

from trainer import RunStore, default_store_dir

from .apptest_helpers import app, figures, titles, trained_run


@pytest.mark.parametrize("model, slider, keys", [
    ("categorical", "cat_vars", ("cat_k", "tau0", "tau_min", "anneal_rate")),
    ("dvae", "dvae_bits", ("smoothing_beta",)),
    ("vqvae", "vq_positions", ("vq_k", "code_dim", "commitment", "ema_decay")),
])
def test_model_choice_shows_its_own_settings(model, slider, keys):
    at = app("app_pages/train.py", model=model)
    assert not at.error and not at.exception
    assert at.selectbox(key="model").value == model
    assert at.slider(key=slider).value > 2  # the kind's own default size, not d = 2
    widget_keys = {w.key for w in at.select_slider} | {w.key for w in at.slider}
    assert set(keys) <= widget_keys
    est = at.selectbox(key=f"estimator_{model}")
    assert est.options == {"categorical": ["gumbel_softmax", "st_gumbel_softmax", "reinforce",
                                           "reinforce_loo"],
                           "dvae": ["smoothing"], "vqvae": ["straight_through"]}[model]


def test_train_button_submits_the_chosen_kind():
    at = app("app_pages/train.py", model="categorical", dataset="digits", cat_vars="3", cat_k="4")
    at.text_input(key="hidden").set_value("16").run()
    at.selectbox(key="estimator_categorical").set_value("st_gumbel_softmax").run()
    at.select_slider(key="tau_min").set_value(0.2).run()
    at.button(key="train_button").click().run()
    assert not at.exception
    store = RunStore(default_store_dir())
    (rec,) = store.list()
    s = rec.spec
    assert (s.model, s.latent_dim, s.n_categories, s.estimator, s.tau_min) == \
        ("categorical", 3, 4, "st_gumbel_softmax", 0.2)
    from trainer import LocalExecutor

    LocalExecutor(store).shutdown()


def test_vq_disables_the_kl_weight_and_ema_decay_follows_the_update():
    at = app("app_pages/train.py", model="vqvae")
    assert at.number_input(key="beta").disabled
    assert at.select_slider(key="ema_decay").disabled
    at.radio(key="codebook_update").set_value("ema").run()
    assert not at.select_slider(key="ema_decay").disabled


def test_live_view_of_a_vq_run_shows_code_curves():
    run_id = trained_run(model="vqvae", latent_dim=2, n_categories=8, code_dim=2, epochs=2)
    at = app("app_pages/train.py", run=run_id)
    t = titles(at)
    assert any("KL per latent variable" in s for s in t)
    fig = next(f for f in figures(at) if "Codes over training" in f["layout"]["title"]["text"])
    names = {tr["name"] for tr in fig["data"]}
    assert {"code perplexity (test)", "dead codes (test)", "commitment loss (train)"} <= names
    assert "temperature τ" not in names
    runs = at.dataframe[-1].value
    assert list(runs["model"]) == ["vqvae"]


@pytest.mark.parametrize("page, params", [
    ("app_pages/train.py", dict(model="spiking", cat_vars="999", vq_k="7", smoothing="wiggly")),
    ("app_pages/gumbel.py", dict(gm_tau="0", gm_l1="nan", gm_n="-5")),
    ("app_pages/smoothing.py", dict(sm_f="f9", sm_beta="1e9", sm_p="2")),
    ("app_pages/vq_codebook.py", dict(run="../../etc", vq_n="0", vq_k="-1")),
    ("app_pages/discrete_codes.py", dict(run="nope", code_point="x")),
    ("app_pages/discrete_compare.py", dict(cmp_dataset="../../etc/passwd")),
])
def test_bad_url_parameters_on_discrete_pages_fall_back_without_an_exception(page, params):
    at = app(page, **params)  # app() asserts there is no exception
    assert not at.exception
    if page.endswith("train.py"):
        assert at.selectbox(key="model").value == "gaussian" and not at.error
