"""AppTest tests of every page: they render, react to input and show clear errors."""
import time

import pytest

from trainer import RunStore, default_store_dir

from .apptest_helpers import app, figures, titles, trained_run


def test_home_page_explains_and_shows_training_now():
    at = app()
    text = " ".join(m.value for m in at.markdown)
    assert "Where to start" in text and "ELBO" in " ".join(l.value for l in at.latex)
    assert any("Nothing is training" in c.value for c in at.caption)


def test_train_page_defaults_are_valid():
    at = app("app_pages/train.py")
    assert not at.error
    assert at.selectbox(key="dataset").value == "mnist5k"
    assert at.slider(key="latent_dim").value == 2
    assert at.button(key="train_button")


def test_train_page_invalid_settings_show_message_not_crash():
    at = app("app_pages/train.py")
    at.text_input(key="hidden").set_value("400,lots").run()
    assert not at.exception
    assert any("hidden" in e.value for e in at.error)
    at.text_input(key="hidden").set_value("64,64").run()
    assert not at.error
    at.selectbox(key="dataset").set_value("two_moons").run()
    at.selectbox(key="likelihood").set_value("bernoulli").run()
    assert any("Bernoulli" in e.value for e in at.error)


def test_bad_url_parameters_are_ignored():
    at = app("app_pages/train.py", latent_dim="9999", dataset="../../etc/passwd", epochs="x")
    assert at.slider(key="latent_dim").value == 2
    assert at.selectbox(key="dataset").value == "mnist5k"


def test_train_button_trains_in_background_and_curves_appear():
    at = app("app_pages/train.py")
    at.selectbox(key="dataset").set_value("digits").run()
    at.text_input(key="hidden").set_value("32").run()
    at.number_input(key="epochs").set_value(3).run()
    at.button(key="train_button").click().run()
    assert not at.exception
    for _ in range(120):  # run_every never fires in AppTest: rerun by hand
        at.run()
        if any("✅ done" in m.value for m in at.markdown):
            break
        time.sleep(0.5)
    else:
        pytest.fail("run did not finish")
    t = titles(at)
    assert any("ELBO per example" in s for s in t) and any("KL per latent" in s for s in t)
    elbo_fig = next(f for f in figures(at) if "ELBO per example" in f["layout"]["title"]["text"])
    assert any("test" in tr["name"] for tr in elbo_fig["data"])
    # Train again with the same spec: reused, not retrained.
    at.button(key="train_button").click().run()
    assert any("already finished" in i.value for i in at.info)
    assert len(RunStore(default_store_dir()).list()) == 1


def test_delete_removes_a_finished_run():
    run_id = trained_run()
    at = app("app_pages/train.py", run=run_id)
    at.button[[b.label for b in at.button].index("Delete")].click().run()
    assert not at.exception
    assert RunStore(default_store_dir()).list() == []


def test_latent_page_without_runs_says_how_to_start():
    at = app("app_pages/latent_space.py")
    assert any("No runs yet" in i.value for i in at.info)


def test_latent_page_two_dimensional_images():
    run_id = trained_run(latent_dim=2)
    at = app("app_pages/latent_space.py", run=run_id)
    t = titles(at)
    for expected in ("Posterior means μ(x)", "Learned manifold", "input, reconstruction",
                     "Decoded straight line", "New data", "Traversals", "KL(q(z|x)"):
        assert any(expected in s for s in t), (expected, t)
    at.number_input(key="point").set_value(7).run()
    assert not at.exception
    assert any("label" in s for s in titles(at))


def test_latent_page_higher_dimensional_uses_projection():
    run_id = trained_run(latent_dim=5)
    at = app("app_pages/latent_space.py", run=run_id)
    assert any("PCA projection" in s for s in titles(at))
    at.radio(key="proj").set_value("t-SNE").run()
    assert not at.exception and any("t-SNE projection" in s for s in titles(at))


def test_latent_page_toy_points_show_data_space():
    run_id = trained_run(dataset="three_gaussians", likelihood="gaussian_fixed", obs_std=0.1,
                         hidden=(32, 32))
    at = app("app_pages/latent_space.py", run=run_id)
    assert any("Data space" in s for s in titles(at))


def test_latent_page_one_dimensional_latent():
    run_id = trained_run(latent_dim=1)
    at = app("app_pages/latent_space.py", run=run_id)
    assert any("Posterior means" in s or "projection" in s for s in titles(at))


def _delete_button(at):
    return at.button[[b.label for b in at.button].index("Delete")]


def test_delete_shows_the_next_run_then_the_hint():
    first, second = trained_run(seed=1), trained_run(seed=2)
    at = app("app_pages/train.py", run=second)
    _delete_button(at).click().run()
    assert not at.exception
    assert at.selectbox(key="run").value == first and at.query_params["run"] == first
    assert any(first in m.value for m in at.markdown)  # the live view shows the next run
    _delete_button(at).click().run()
    at.run()
    assert not at.exception and RunStore(default_store_dir()).list() == []
    assert any("No runs yet" in i.value for i in at.info)


def _training_run(at, status: str) -> str:
    """A queued (or, claimed with a heartbeat, running) run with no worker behind it."""
    from trainer import RunSpec

    store = RunStore(default_store_dir())
    rec, _ = store.create(RunSpec(dataset="digits", hidden=(32,), epochs=2))
    if status == "running":
        store.claim(rec.run_id)
        store.heartbeat(rec.run_id, 0, 3, 20, 1.0)  # a live worker's (this process's) heartbeat
    at.run()
    return rec.run_id


@pytest.mark.parametrize("status", ["queued", "running"])
def test_delete_is_disabled_while_a_run_trains(status):
    at = app("app_pages/train.py")  # the app's executor starts before the run exists: no worker
    run_id = _training_run(at, status)
    assert RunStore(default_store_dir()).get(run_id).status == status
    assert _delete_button(at).disabled
    assert not at.button[[b.label for b in at.button].index("Cancel")].disabled


def test_run_picker_and_status_line_agree():
    at = app("app_pages/train.py")
    run_id = _training_run(at, "queued")
    assert any("⏳ queued" in m.value for m in at.markdown)
    store = RunStore(default_store_dir())
    store.claim(run_id)
    store.heartbeat(run_id, 0, 3, 20, 1.0)
    at.run()
    assert any("🏃 training" in m.value for m in at.markdown)
    (label,) = at.selectbox(key="run").options  # refreshed only with the page, not the live view
    assert run_id in label and not any(s in label for s in ("queued", "running", "done"))


def test_no_runs_hint_names_the_cli_flag_of_the_pages_family():
    trained_run()  # a Gaussian run: the VQ page cannot show it
    vq = app("app_pages/vq_codebook.py")
    assert any("No runs yet with a vqvae latent" in i.value and "--model vqvae" in i.value
               for i in vq.info)
    latent = app("app_pages/latent_space.py")
    assert not any("No runs yet" in i.value for i in latent.info)
