"""AppTest tests of the Categorical & binary codes page. Decoded images are read back from the
figure's PNG and compared with the model's own decode of the hand-built code."""
import base64
import io

import numpy as np
import pytest
import torch
from PIL import Image
from torch.nn import functional as F

from explorer.views import code_views
from explorer import data
from trainer import RunStore, default_store_dir, load_model

from .apptest_helpers import app, array, figures, titles, trained_run

PAGE = "app_pages/discrete_codes.py"
SHAPE = (8, 8)  # digits


def figure(at, start: str) -> dict:
    return next(f for f, t in zip(figures(at), titles(at)) if t.startswith(start))


def tile(fig: dict, k: int, shape=SHAPE) -> np.ndarray:
    """Image k of a one-row image figure, as 0–255 grey levels (tiles are 1 pixel apart)."""
    uri = fig["data"][0]["source"]
    png = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    grey = np.asarray(png.convert("LA"))[..., 0].astype(int)
    h, w = shape
    return grey[:h, k * (w + 1): k * (w + 1) + w].ravel()


def grey(values: np.ndarray) -> np.ndarray:
    return np.round(np.clip(values, 0, 1) * 255).astype(int)


def model_and_test(run_id):
    store = RunStore(default_store_dir())
    x, _ = data.load(store.get(run_id).spec.dataset, "test")
    return load_model(run_id, store), x


def test_page_without_a_discrete_run_shows_the_hint_not_an_exception():
    at = app(PAGE)
    assert any("No runs yet with a categorical or dvae latent" in i.value for i in at.info)
    trained_run(latent_dim=2)  # a Gaussian run does not count
    at = app(PAGE)
    assert any("No runs yet with a categorical or dvae latent" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_categorical_page_shows_the_code_usage_and_hand_edits():
    run_id = trained_run(model="categorical", latent_dim=4, n_categories=5)
    at = app(PAGE, run=run_id, code_point="7", code_var="3", code_cat="2")
    assert at.slider(key="code_point").value == 7
    assert at.number_input(key="code_var").value == 3 and at.number_input(key="code_cat").value == 2
    assert any("N = 4 variables × K = 5 categories" in c.value and "τ_t" in c.value for c in at.caption)
    latex = " ".join(l.value for l in at.latex)
    assert r"\mathrm{Cat}" in latex and r"\mathrm{Gumbel}" in latex
    for start in ("Selected test image", "Posterior q(z|x) = Π_n Cat", "Category usage on the test",
                  "Changing one code by hand", "Discrete traversal: z₃", "New data"):
        assert any(t.startswith(start) for t in titles(at)), start

    model, x = model_and_test(run_id)
    with torch.no_grad():
        probs = torch.softmax(model.encoder(x).reshape(-1, 4, 5), -1)
    codes = probs.argmax(-1)
    post = figure(at, "Posterior q(z|x)")  # the heatmap is q(z|x) of image 7
    np.testing.assert_allclose(np.asarray(array(post["data"][0]["z"])), probs[7].numpy(), rtol=1e-5, atol=1e-6)
    usage = figure(at, "Category usage")  # fractions of the argmax over the whole test set
    brute = np.zeros((4, 5))
    for row in codes.numpy():
        for n, k in enumerate(row):
            brute[n, k] += 1 / len(codes)
    np.testing.assert_allclose(np.asarray(array(usage["data"][0]["z"])), brute, atol=1e-9)

    def edited_tile(at_, category):
        code = codes[7].clone()
        code[2] = category
        with torch.no_grad():
            expected = model.decode(F.one_hot(code, 5).float()[None]).mean.numpy()[0]
        got = tile(figure(at_, "Changing one code by hand"), 2)
        assert np.abs(got - grey(expected)).max() <= 1
        return got

    first = edited_tile(at, 1)
    other = 3 if int(codes[7, 2]) != 3 else 4
    at.number_input(key="code_cat").set_value(other + 1).run()
    assert not at.exception
    second = edited_tile(at, other)
    assert not np.array_equal(first, second)  # the edited image follows the chosen category
    sweep = figure(at, "Discrete traversal")
    assert sum(a["text"].startswith("k=") for a in sweep["layout"]["annotations"]) == 5


def test_dvae_page_shows_bits_prior_and_flips_a_bit():
    run_id = trained_run(model="dvae", latent_dim=8)
    at = app(PAGE, run=run_id, code_point="4", code_var="6")
    assert at.slider(key="code_point").value == 4 and at.number_input(key="code_var").value == 6
    assert "code_cat" not in [w.key for w in at.number_input]
    assert any("d = 8 bits" in c.value and "β = 5" in c.value for c in at.caption)
    assert any(r"\delta(\zeta_i)" in l.value for l in at.latex)
    for start in ("Posterior q(z|x) = Π_i Bern", "Bit usage on the test set",
                  "Changing one code by hand: bit z₆ flipped", "Traversal of a smoothed bit",
                  "New data: decoder means of p(x|z) for z ~ Π_i Bern"):
        assert any(t.startswith(start) for t in titles(at)), start

    model, x = model_and_test(run_id)
    with torch.no_grad():
        q = torch.sigmoid(model.encoder(x))
    prior = torch.sigmoid(model.prior_logits).detach().numpy()
    bars = figure(at, "Posterior q(z|x) = Π_i Bern")
    np.testing.assert_allclose(array(bars["data"][0]["y"]), q[4].numpy(), rtol=1e-5)
    np.testing.assert_allclose(array(bars["data"][1]["y"]), prior, rtol=1e-5)
    usage = figure(at, "Bit usage")
    np.testing.assert_allclose(array(usage["data"][1]["y"]), (q > 0.5).float().mean(0).numpy())

    bits = (q[4] > 0.5).float()
    bits[5] = 1 - bits[5]  # bit z₆ flipped; a decoded bit reads ζ = z · E[ζ|z=1]
    with torch.no_grad():
        expected = model.decode(bits[None] * code_views.zeta_mean(5.0)).mean.numpy()[0]
    assert np.abs(tile(figure(at, "Changing one code by hand"), 2) - grey(expected)).max() <= 1


@pytest.mark.parametrize("model", ["categorical", "dvae"])
def test_new_image_and_a_smaller_run_reset_out_of_range_choices(model):
    big = trained_run(model=model, latent_dim=6, n_categories=4)
    small = trained_run(model=model, latent_dim=2, n_categories=4, seed=1)
    at = app(PAGE, run=big, code_var="6")
    at.selectbox(key="run").set_value(small).run()
    assert not at.exception
    assert at.number_input(key="code_var").value == 1
    at.slider(key="code_point").set_value(20).run()
    assert not at.exception and any("Label" in c.value for c in at.caption)
    at = app(PAGE, run=small, code_var="99", code_point="100000", code_cat="x")  # ignored
    assert at.number_input(key="code_var").value == 1 and at.slider(key="code_point").value == 0


def test_dvae_with_overlapping_exponentials_names_its_smoothing():
    run_id = trained_run(model="dvae", latent_dim=6, smoothing="overlapping_exponential")
    at = app(PAGE, run=run_id)
    assert any("overlapping exponentials (DVAE++)" in c.value for c in at.caption)
    latex = " ".join(l.value for l in at.latex)
    assert r"e^{-\beta\zeta_i}" in latex and r"\delta" not in latex
    assert any(t.startswith("Traversal of a smoothed bit") for t in titles(at))


def test_categorical_bound_ladder_reaches_the_enumerated_log_px():
    """4 × 3 = 81 codes: L_k climbs to the exact log p(x) summed over every code."""
    from explorer.bounds.enumeration import exact_log_marginal_categorical

    # β = 0.1 keeps the codes in use (at β = 1 this tiny model collapses to q = p(z))
    run_id = trained_run(model="categorical", latent_dim=4, n_categories=3, epochs=4, beta=0.1)
    at = app("app_pages/discrete_codes.py", run=run_id, code_point="2", code_ladder_on="true")
    assert not at.exception
    fig = next(f for f in figures(at) if f["layout"]["title"]["text"].startswith("L_k for test image 2"))
    model = load_model(run_id, RunStore(default_store_dir()))
    x = data.load("digits", "test")[0][2:3]
    exact = float(exact_log_marginal_categorical(model, x)[0])
    lines = [sh["y0"] for sh in fig["layout"]["shapes"]]
    assert any(abs(y - exact) < 1e-6 for y in lines)  # the exact log p(x) line
    (ladder,) = [tr for tr in fig["data"] if tr["name"].startswith("L_k")]
    ys, two_se = array(ladder["y"]), array(ladder["error_y"]["array"])
    assert exact - ys[0] > 0.3  # a real gap for importance weighting to close
    assert abs(ys[-1] - exact) < two_se[-1] * 2 + 0.02  # L_5000 reaches log p(x)
