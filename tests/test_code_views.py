"""explorer.code_views and explorer.plots.codes against brute-force and closed-form oracles."""
import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from explorer.discrete import code_usage
from explorer.views import code_views as cv
from explorer.models import BernoulliDVAE, CategoricalVAE
from explorer.plots import codes as figs
from explorer.discrete.transformations import density

D, N, K, BITS = 16, 3, 4, 6


@pytest.fixture
def cat():
    torch.manual_seed(0)
    return CategoricalVAE(D, latent_dim=N, n_categories=K, hidden=(8,)).eval()


@pytest.fixture
def dvae():
    torch.manual_seed(1)
    model = BernoulliDVAE(D, latent_dim=BITS, hidden=(8,), smoothing_beta=4.0).eval()
    with torch.no_grad():
        model.prior_logits.copy_(torch.tensor([-3.0, -1.0, 0.0, 0.5, 1.5, 3.0]))
    return model


def x_batch(n=25, seed=0):
    return torch.rand(n, D, generator=torch.Generator().manual_seed(seed))


def test_edited_decode_equals_decode_of_the_hand_built_one_hot(cat):
    code = np.array([2, 0, 3])
    edited = cv.edit_code(code, 1, 3)
    assert edited.tolist() == [2, 3, 3] and code.tolist() == [2, 0, 3]  # the original is kept
    onehot = torch.zeros(1, N, K)
    onehot[0, 0, 2] = onehot[0, 1, 3] = onehot[0, 2, 3] = 1
    with torch.no_grad():
        expected = cat.decode(onehot).mean.numpy()
    np.testing.assert_allclose(cv.decode_codes(cat, edited[None]), expected, rtol=1e-6)


def test_category_sweep_row_k_is_the_decode_with_variable_n_set_to_k(cat):
    code = np.array([1, 2, 0])
    sweep = cv.value_sweep(cat, code, 2)
    assert sweep.shape == (K, D)
    for k in range(K):
        z = F.one_hot(torch.tensor([[1, 2, k]]), K).float()
        with torch.no_grad():
            np.testing.assert_allclose(sweep[k], cat.decode(z).mean.numpy()[0], rtol=1e-6)
    assert not np.allclose(sweep[0], sweep[1])  # the decoder does read the variable


def test_encode_test_gives_argmax_codes_their_reconstructions_and_is_batch_independent(cat):
    x = x_batch()
    out = cv.encode_test(cat, x)
    with torch.no_grad():
        probs = torch.softmax(cat.encoder(x).reshape(-1, N, K), -1).numpy()
    np.testing.assert_allclose(out["probs"], probs, rtol=1e-5)
    np.testing.assert_array_equal(out["codes"], probs.argmax(-1))
    np.testing.assert_allclose(out["recon"], cv.decode_codes(cat, out["codes"]), rtol=1e-6)
    small = cv.encode_test(cat, x, batch_size=7)
    for key in out:
        np.testing.assert_allclose(small[key], out[key], rtol=1e-6)


def test_usage_summary_flags_a_constant_variable_as_unused(cat):
    enc = {"codes": np.stack([np.arange(40) % K, np.zeros(40, int), np.arange(40) % 2], 1)}
    u = cv.usage_summary(cat, enc)
    np.testing.assert_allclose(u["fraction"].sum(1), 1.0)
    assert u["unused"].tolist() == [False, True, False]
    np.testing.assert_allclose(u["perplexity"], [K, 1, 2])


def test_categorical_prior_samples_are_valid_one_hot_codes_and_reproducible(cat):
    s = cv.prior_samples(cat, 4000, seed=3)
    assert s["codes"].shape == (4000, N) and s["decoded"].shape == (4000, D)
    assert s["codes"].min() >= 0 and s["codes"].max() < K
    # decoded equals the decode of the exact one-hot of the codes: the samples were one-hot
    np.testing.assert_allclose(s["decoded"], cv.decode_codes(cat, s["codes"]), rtol=1e-6)
    freq = code_usage.counts(s["codes"], K, pooled=False) / 4000  # uniform prior: 1/K each, 4.5 SE
    assert np.abs(freq - 1 / K).max() < 4.5 * math.sqrt((1 / K) * (1 - 1 / K) / 4000)
    np.testing.assert_array_equal(cv.prior_samples(cat, 4000, seed=3)["codes"], s["codes"])
    assert not np.array_equal(cv.prior_samples(cat, 4000, seed=4)["codes"], s["codes"])


def test_zeta_mean_matches_the_spike_and_exponential_density_and_monte_carlo(dvae):
    beta = dvae.smoothing_beta
    m = 200_000  # midpoint rule: the density is only defined inside (0, 1)
    mid = (torch.arange(m, dtype=torch.float64) + 0.5) / m
    _, dens = density("spike_exponential", beta, 1.0, mid)
    assert float((dens / m).sum()) == pytest.approx(1.0, abs=1e-8)
    assert cv.zeta_mean(beta) == pytest.approx(float((mid * dens / m).sum()), abs=1e-8)
    eps = torch.rand(200_000, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    zeta = dvae.smooth(torch.ones_like(eps), eps)
    assert float(zeta.mean()) == pytest.approx(cv.zeta_mean(beta), abs=4.5 * float(zeta.std()) / 450)
    assert cv.zeta_mean(50.0) == pytest.approx(1 - 1 / 50)  # → 1 as β → ∞


def test_dvae_prior_samples_zeta_is_exactly_zero_for_a_zero_bit(dvae):
    s = cv.prior_samples(dvae, 20_000, seed=0)
    bits, zeta = s["codes"], s["zeta"]
    assert set(np.unique(bits)) <= {0, 1}
    assert np.all(zeta[bits == 0] == 0.0)
    assert np.all((zeta[bits == 1] > 0) & (zeta[bits == 1] <= 1))
    p = torch.sigmoid(dvae.prior_logits).detach().numpy()  # bits ~ Bern(σ(b_i))
    assert np.all(np.abs(bits.mean(0) - p) < 4.5 * np.sqrt(p * (1 - p) / 20_000))
    on = zeta[bits == 1]  # ζ | z=1 has mean E[ζ|z=1]
    se = float(on.std()) / math.sqrt(len(on))
    assert float(on.mean()) == pytest.approx(cv.zeta_mean(dvae.smoothing_beta), abs=4.5 * se)
    with torch.no_grad():
        expected = dvae.decode(torch.as_tensor(zeta[:10])).mean.numpy()
    np.testing.assert_allclose(s["decoded"][:10], expected, rtol=1e-6)


def test_dvae_codes_decode_at_the_conditional_mean_and_the_zeta_sweep_joins_off_to_on(dvae):
    x = x_batch(30)
    out = cv.encode_test(dvae, x)
    with torch.no_grad():
        q = torch.sigmoid(dvae.encoder(x)).numpy()
    np.testing.assert_array_equal(out["codes"], (q > 0.5).astype(int))
    code = out["codes"][0]
    m = cv.zeta_mean(dvae.smoothing_beta)
    with torch.no_grad():
        expected = dvae.decode(torch.as_tensor(code[None] * m, dtype=torch.float32)).mean.numpy()
    np.testing.assert_allclose(out["recon"][0], expected[0], rtol=1e-6)
    assert cv.bit_means(dvae) == (0.0, m)
    sweep = cv.zeta_sweep(dvae, code, 2, [0.0, m, 1.0])
    off, on = cv.value_sweep(dvae, code, 2)
    np.testing.assert_allclose(sweep[0], off, rtol=1e-6)  # ζ_2 = 0 is the bit off
    np.testing.assert_allclose(sweep[1], on, rtol=1e-6)   # ζ_2 = E[ζ|z=1] is the bit on
    u = cv.usage_summary(dvae, out)
    np.testing.assert_allclose(u["mean_q"], q.mean(0), rtol=1e-5)
    np.testing.assert_allclose(u["fraction"][:, 1], (q > 0.5).mean(0))
    np.testing.assert_allclose(u["prior"], torch.sigmoid(dvae.prior_logits).detach().numpy())


def test_figures_carry_the_arrays_and_say_what_they_show():
    frac = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    fig = figs.usage_heatmap(frac, np.array([2.0, 1.0]), np.array([False, True]))
    np.testing.assert_allclose(fig.data[0].z, frac)
    assert "✕" in fig.data[0].y[1] and "✕" not in fig.data[0].y[0]
    assert "exp(H)" in fig.layout.title.text
    fig = figs.posterior_heatmap(np.array([[0.1, 0.9], [0.7, 0.3]]), [1, 0])
    assert list(fig.data[1].x) == ["2", "1"] and "q(z|x)" in fig.layout.title.text
    fig = figs.bit_posterior_figure(np.array([0.2, 0.9]), np.array([0.5, 0.1]))
    assert list(fig.data[1].y) == [0.5, 0.1] and "σ(b_i)" in fig.layout.title.text
    fig = figs.bit_usage_figure(np.array([0.2, 0.9]), np.array([0.0, 1.0]), np.array([0.3, 0.6]),
                                np.array([True, True]))
    assert [t.name.split()[0] for t in fig.data] == ["mean", "fraction", "learned"]


def test_overlapping_exponentials_decode_a_zero_bit_at_its_mean_and_sample_r_of_zeta_given_z():
    torch.manual_seed(2)
    model = BernoulliDVAE(D, latent_dim=BITS, hidden=(8,), smoothing_beta=3.0,
                          smoothing="overlapping_exponential").eval()
    assert cv.smoothing_of(model) == "overlapping_exponential"
    off, on = cv.bit_means(model)
    eps = torch.rand(200_000, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    for bit, mean in ((0, off), (1, on)):  # E[ζ|z] by Monte Carlo through the model's own r
        zeta = model.smooth(torch.full_like(eps, float(bit)), eps)
        assert float(zeta.mean()) == pytest.approx(mean, abs=4.5 * float(zeta.std()) / 450)
    assert off == pytest.approx(1 - on) and off > 0
    code = np.array([0, 1, 0, 1, 1, 0])
    with torch.no_grad():
        expected = model.decode(torch.tensor([[off, on, off, on, on, off]])).mean.numpy()
    np.testing.assert_allclose(cv.decode_codes(model, code[None]), expected, rtol=1e-6)
    s = cv.prior_samples(model, 2000, seed=0)  # no spike: a 0 bit is smoothed too
    assert (s["zeta"][s["codes"] == 0] > 0).mean() > 0.99
    assert np.all((s["zeta"] >= 0) & (s["zeta"] <= 1))
