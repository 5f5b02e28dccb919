"""The Train form's objective widgets: enabled only where the family supports them."""
from trainer import LocalExecutor, RunStore, default_store_dir

from .apptest_helpers import app


def test_objective_widgets_follow_the_family_and_the_objective():
    at = app("app_pages/train.py")
    assert not at.selectbox(key="objective").disabled
    assert at.slider(key="k").disabled and at.slider(key="alpha").disabled
    at.selectbox(key="objective").set_value("renyi").run()
    assert not at.slider(key="k").disabled and not at.slider(key="alpha").disabled
    assert at.selectbox(key="regularizer").disabled  # L_α keeps the KL in its log weights
    assert not at.error and not at.exception
    vq = app("app_pages/train.py", model="vqvae")
    assert vq.selectbox(key="objective").disabled and vq.selectbox(key="regularizer").disabled
    assert not vq.error


def test_train_button_submits_the_chosen_objective():
    at = app("app_pages/train.py", dataset="digits")
    at.text_input(key="hidden").set_value("16").run()
    at.selectbox(key="objective").set_value("iwae").run()
    at.slider(key="k").set_value(7).run()
    at.button(key="train_button").click().run()
    assert not at.exception and not at.error
    store = RunStore(default_store_dir())
    (rec,) = store.list()
    assert (rec.spec.objective, rec.spec.k, rec.spec.regularizer) == ("iwae", 7, "kl")
    LocalExecutor(store).shutdown()
