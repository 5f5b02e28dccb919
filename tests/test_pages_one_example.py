"""AppTest tests of the One example page (issue 12): a hint without runs; with a tiny trained
run the μ_j slider moves the numbers and the graph, "Resample ε" moves z, reset returns to the
encoder, and bad values in the link are ignored with a notice."""
from .apptest_helpers import app, figures, trained_run

PAGE = "app_pages/one_example.py"


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def graph(at) -> dict:
    return next(f for f in figures(at) if "Figure 1" in f["layout"]["title"]["text"])


def graph_text(at) -> str:
    return " ".join(a.get("text", "") for a in graph(at)["layout"]["annotations"])


def z_bars(at) -> list[str]:
    """The hover texts of the graph's z node, "z<sub>j</sub> = value" per dimension."""
    return next(t["text"] for t in graph(at)["data"] if t.get("name") == "z")


def test_without_runs_the_page_says_how_to_get_one():
    at = app(PAGE)
    assert any("No runs yet" in i.value for i in at.info), [i.value for i in at.info]
    assert not at.get("plotly_chart")


def test_mu_slider_moves_the_numbers_resample_moves_z_and_reset_returns():
    run_id = trained_run(latent_dim=2, epochs=1, hidden=(16,), bounds_every=0)
    at = app(PAGE, run=run_id, point="3")
    assert not at.error and not at.warning
    titles = [f["layout"]["title"]["text"] for f in figures(at)]
    assert any("Figure 1" in t for t in titles) and any("Latent map" in t for t in titles)
    assert any("eq. 22" in t for t in titles)
    before, text_before, z_bars_before = metrics(at), graph_text(at), z_bars(at)
    encoder_mu = at.slider(key="mu").value
    at.slider(key="mu").set_value(round(encoder_mu + 1.5, 2)).run()
    assert not at.exception
    moved = metrics(at)
    assert moved["z_1"] != before["z_1"] and moved["KL (eq. 22)"] != before["KL (eq. 22)"]
    assert moved["log p(x|z)"] != before["log p(x|z)"] and moved["ELBO"] != before["ELBO"]
    assert z_bars(at)[1] == z_bars_before[1] and z_bars(at)[0] != z_bars_before[0]  # only z₁
    assert graph_text(at) != text_before
    assert any("Overridden" in c.value for c in at.caption)
    at.button(key="resample_eps").click().run()
    assert at.number_input(key="eps").value == 1 and at.slider(key="mu").value != encoder_mu
    resampled = metrics(at)
    assert resampled["z_1"] != moved["z_1"] and resampled["KL (eq. 22)"] == moved["KL (eq. 22)"]
    at.button(key="reset_override").click().run()
    assert at.slider(key="mu").value == encoder_mu
    assert not any("Overridden" in c.value for c in at.caption)
    at.number_input(key="dim").set_value(2).run()
    assert "z_2" in metrics(at) and not at.exception


def test_bad_link_values_are_ignored_with_a_notice():
    run_id = trained_run(latent_dim=2, epochs=1, hidden=(16,), bounds_every=0)
    at = app(PAGE, run=run_id, mu="abc", sigma="0", dim="9", eps="-1", point="100000")
    assert not at.exception and not at.error
    notices = " ".join(w.value for w in at.warning)
    for key in ("mu", "sigma", "dim", "eps", "point"):
        assert f"?{key}=" in notices, key
    assert at.number_input(key="dim").value == 1 and at.number_input(key="eps").value == 0
    assert figures(at)
    good = app(PAGE, run=run_id, mu="0.7", dim="2", eps="4")
    assert not good.warning
    assert good.slider(key="mu").value == 0.7 and metrics(good)["z_2"]


def test_a_full_covariance_run_says_which_q_the_graph_follows():
    run_id = trained_run(latent_dim=3, epochs=1, hidden=(16,), bounds_every=0, posterior="full_cov")
    at = app(PAGE, run=run_id)
    assert not at.exception and not at.error
    assert any("marginal" in i.value for i in at.info), [i.value for i in at.info]
    assert len(figures(at)) == 2  # graph and loss terms; the latent map is for d = 2 only


def test_toy_points_with_a_one_dimensional_latent_draw_x_as_bars():
    run_id = trained_run(dataset="three_gaussians", likelihood="gaussian_fixed", obs_std=0.1,
                         latent_dim=1, hidden=(16,), epochs=1, bounds_every=0)
    at = app(PAGE, run=run_id)
    assert not at.exception and not at.error
    assert not graph(at)["layout"].get("images")  # no image shape: x and the output as bars
    assert "z_1" in metrics(at)
