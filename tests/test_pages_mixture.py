"""AppTest of the infinite-mixture page: the discrete mixture without any run, then a tiny trained
VAE whose marginal, partial sums and p(x|z) follow the sliders."""
import numpy as np

from trainer import LocalExecutor, RunStore, default_store_dir

from .apptest_helpers import app, array, figures, titles, trained_run

PAGE = "app_pages/infinite_mixture.py"


def figure(at, start: str) -> dict:
    return next(f for f, t in zip(figures(at), titles(at)) if t.startswith(start))


def heat(fig: dict) -> np.ndarray:
    return np.array(array(fig["data"][0]["z"]), dtype=float)


def test_discrete_mixture_without_runs_and_the_train_button():
    at = app(PAGE, mix_dataset="pinwheel", mix_k="5")
    assert not at.exception and not at.error
    assert any(r"\sum_{k=1}^{K}" in l.value for l in at.latex)
    t = titles(at)
    assert t[0].startswith("log p(x) of the 5-component mixture fitted by EM")
    assert any(s.startswith("Average log-likelihood") for s in t)
    slice_fig = figure(at, "The weighted components along one slice")
    assert len([d for d in slice_fig["data"] if d.get("stackgroup")]) == 5
    metrics = {m.label: float(m.value) for m in at.metric}
    assert metrics["test log p(x), K = 5"] > metrics["single Gaussian (K = 1)"] + 0.3
    assert any("No Gaussian VAE with d ≤ 2 on pinwheel" in i.value for i in at.info)
    at.slider(key="mix_k").set_value(1).run()
    assert titles(at)[0].startswith("log p(x) of the 1-component mixture")
    at.button(key="mix_train").click().run()
    assert not at.exception
    (rec,) = RunStore(default_store_dir()).list()
    assert (rec.spec.dataset, rec.spec.latent_dim, rec.spec.likelihood) == ("pinwheel", 1, "gaussian_fixed")
    LocalExecutor(RunStore(default_store_dir())).shutdown()


def test_a_trained_vae_shows_its_marginal_and_the_components_adding_up():
    run_id = trained_run(dataset="three_gaussians", latent_dim=1, hidden=(16,), epochs=2,
                         likelihood="gaussian_fixed", obs_std=0.3, bounds_every=0)
    at = app(PAGE, mix_dataset="three_gaussians", mix_r="0.2")
    assert not at.exception and not at.error
    assert at.selectbox(key="mix_run").value == run_id
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["∫ p(x) dx over the box shown"]) > 0.95
    assert float(metrics["test log p(x), VAE (quadrature)"]) >= float(metrics["test ELBO (its lower bound)"])
    marginal = figure(at, "The marginal log p(x) of the VAE")
    chosen = [d for d in marginal["data"] if d.get("name") == "p(x|z) for the chosen z"]
    centre = np.mean(array(chosen[0]["x"])), np.mean(array(chosen[0]["y"]))
    part = heat(figure(at, "The part of p(x) the"))
    assert (part <= heat(marginal) + 1e-9).all()  # a partial sum never exceeds the marginal
    assert any(t.startswith("p(z): the chosen z and the kept interval") for t in titles(at))

    at.slider(key="mix_z1").set_value(2.0).run()
    moved = figure(at, "The marginal log p(x) of the VAE")
    chosen = [d for d in moved["data"] if d.get("name") == "p(x|z) for the chosen z"]
    assert (np.mean(array(chosen[0]["x"])), np.mean(array(chosen[0]["y"]))) != centre
    at.slider(key="mix_z1").set_value(0.0).run()
    at.slider(key="mix_r").set_value(6.0).run()  # the box [−6, 6] keeps every node: p(x) itself
    assert "100.0% of p(z)" in next(t for t in titles(at) if t.startswith("The part of p(x)"))
    np.testing.assert_allclose(heat(figure(at, "The part of p(x) the")), heat(marginal), atol=1e-9)
    slabs = figure(at, "The VAE's components grouped")
    assert len([d for d in slabs["data"] if d.get("stackgroup")]) == 8


def test_a_two_dimensional_latent_gets_two_sliders_and_the_latent_plane():
    trained_run(dataset="three_gaussians", latent_dim=2, hidden=(16,), epochs=1,
                likelihood="gaussian_learned", bounds_every=0)
    at = app(PAGE, mix_dataset="three_gaussians", mix_z2="-1.0")
    assert not at.exception and not at.error
    assert at.slider(key="mix_z2").value == -1.0
    plane = figure(at, "p(z): the chosen z and the kept nodes")
    chosen = next(d for d in plane["data"] if d.get("name") == "chosen z")
    assert array(chosen["x"]) == [0.0] and array(chosen["y"]) == [-1.0]
