"""explorer.vq_views and explorer.plots.vq against independent oracles: numpy SVD for the PCA,
brute-force counting for code usage, hand-built one-hot codes for edited decodes, vq_terms for
the commitment distance (the β_c run family is tested in test_families.py)."""

import numpy as np
import pytest
import torch

from explorer.views import code_views, vq_views
from explorer.models import VQVAE
from explorer.models import vq_terms
from explorer.plots.codebook import codebook_scatter, commitment_effect, usage_bars
from explorer.discrete.code_usage import unused


def small_model(seed=0, n=3, k=6, d=4):
    torch.manual_seed(seed)
    model = VQVAE(data_dim=10, latent_dim=n, n_categories=k, code_dim=d, hidden=(16,))
    with torch.no_grad():  # spread the codebook so several codes get used
        model.codebook.normal_()
    return model.eval()


def test_codebook_projection_is_the_svd_pca_of_the_encoder_outputs():
    rng = np.random.default_rng(0)
    z_e = rng.normal(size=(50, 3, 5)) * np.array([3.0, 2.0, 1.0, 0.5, 0.1])
    codebook = rng.normal(size=(7, 5))
    proj = vq_views.pca_projection(z_e, codebook)
    flat = z_e.reshape(-1, 5)
    mean = flat.mean(0)
    _, s, vt = np.linalg.svd(flat - mean, full_matrices=False)
    book = (codebook - mean) @ vt[:2].T
    points = (flat - mean) @ vt[:2].T
    signs = np.sign((proj["codebook"] * book).sum(0))  # PCA axes are defined up to sign
    np.testing.assert_allclose(proj["codebook"], book * signs, atol=1e-9)
    np.testing.assert_allclose(proj["points"], points * signs, atol=1e-9)
    np.testing.assert_allclose(proj["explained"], s[:2] ** 2 / (s ** 2).sum(), rtol=1e-9)
    # row-major (example, position) order
    assert proj["position"].tolist()[:7] == [0, 1, 2, 0, 1, 2, 0]
    assert proj["explained"][0] > 0.5  # the first axis carries the large-variance direction


def test_one_dimensional_codes_are_drawn_as_they_are():
    z_e, codebook = np.arange(6.0).reshape(3, 2, 1), np.array([[0.5], [4.0]])
    proj = vq_views.pca_projection(z_e, codebook)
    assert proj["points"][:, 0].tolist() == list(range(6)) and not proj["points"][:, 1].any()
    assert proj["codebook"].tolist() == [[0.5, 0.0], [4.0, 0.0]]


def test_position_points_select_one_position_and_cap_the_count():
    position = np.tile(np.arange(4), 100)
    assert (position[vq_views.position_points(position, 2, 1000)] == 2).all()
    assert len(vq_views.position_points(position, 2, 1000)) == 100
    idx = vq_views.position_points(position, None, 50)
    assert len(idx) == 50 and len(set(idx.tolist())) == 50 and (np.diff(idx) > 0).all()


def test_usage_counts_and_dead_codes_match_brute_force():
    rng = np.random.default_rng(1)
    codes = rng.choice([0, 2, 3, 7], size=(40, 5), p=[0.1, 0.5, 0.3, 0.1])
    u = vq_views.usage_summary(codes, 9)
    brute = [sum(int(c == k) for c in codes.ravel()) for k in range(9)]
    assert u["counts"].tolist() == brute
    assert np.flatnonzero(u["dead"]).tolist() == [k for k in range(9) if brute[k] == 0]
    assert u["n_dead"] == int(u["dead"].sum()) == unused(torch.as_tensor(codes), 9) == 5
    assert u["counts"][u["order"]].tolist() == sorted(brute, reverse=True)
    p = np.array(brute) / sum(brute)
    assert u["perplexity"] == pytest.approx(np.exp(-(p[p > 0] * np.log(p[p > 0])).sum()))
    by_use = [k for k in sorted(range(9), key=lambda k: (-brute[k], k)) if brute[k]]
    assert vq_views.most_used(u["counts"], 3).tolist() == by_use[:3]
    assert vq_views.most_used(u["counts"], 16).tolist() == by_use  # never a dead code
    assert sorted(by_use) == [0, 2, 3, 7]


def test_encodings_match_the_model():
    model = small_model()
    x = torch.rand(30, 10)
    enc = vq_views.encode_test(model, x, batch_size=7)
    with torch.no_grad():
        np.testing.assert_allclose(enc["z_e"], model.encode_vectors(x).numpy(), atol=1e-6)
        assert np.array_equal(enc["codes"], model.codes(x).numpy())
        recon = model.decode_vectors(model.codebook[model.codes(x)]).mean.numpy()
        np.testing.assert_allclose(enc["recon"], recon, atol=1e-6)
        terms = vq_terms(model, x)
    dist = vq_views.squared_distances(enc["z_e"], enc["codebook"], enc["codes"])
    assert dist.shape == (30, 3)
    # the mean over examples of the sum over positions is the commitment loss of (∗∗)
    assert dist.sum(1).mean() == pytest.approx(terms.extras["commitment_loss"], rel=1e-5)


def test_edited_decode_equals_decoding_the_hand_built_one_hot():
    model = small_model(1)
    codes_one = np.array([4, 1, 5])
    out = code_views.decode_codes(model, vq_views.edit_codes(codes_one, 1, [0, 3, 1]))
    for row, k in zip(out, [0, 3, 1]):
        onehot = torch.zeros(3, 6)
        onehot[0, 4] = onehot[1, k] = onehot[2, 5] = 1.0
        with torch.no_grad():
            np.testing.assert_allclose(row, model.decode(onehot).mean.numpy(), atol=1e-6)
    assert not np.allclose(out[0], out[1])  # a different code decodes differently
    assert vq_views.edit_codes(codes_one, 1, [0]).tolist() == [[4, 0, 5]]
    assert codes_one.tolist() == [4, 1, 5]  # the input is not modified


def test_figures_show_codes_dead_markers_and_the_beta_panels():
    points = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.0]])
    book = np.array([[0.1, 0.0], [1.0, 0.9], [5.0, 5.0]])
    fig = codebook_scatter(points, np.array([0, 1, 1]), book, np.array([False, False, True]),
                           np.array([0.6, 0.3]))
    scatter, live, dead = fig.data
    assert list(dead.x) == [5.0] and list(live.x) == [0.1, 1.0]
    assert scatter.marker.color[1] == scatter.marker.color[2] == live.marker.color[1]
    assert "PC1 (60%" in fig.layout.xaxis.title.text and "e_k" in fig.layout.title.text
    bars = usage_bars(np.array([3, 0, 9]), np.array([2, 0, 1]), 1.7, 1)
    assert list(bars.data[0].y) == [9, 3, 0] and "1 dead" in bars.layout.title.text
    rows = [{"commitment": b, "test_reconstruction": -b, "test_perplexity": 2.0,
             "test_dead_codes": 1.0, "commitment_loss": 1 / (1 + b)} for b in (0.0, 0.25, 2.0)]
    eff = commitment_effect(rows, current=0.25)
    assert len(eff.data) == 4 and list(eff.data[0].x) == ["0", "0.25", "2"]
    assert eff.data[3].marker.color[1] == "crimson" and "(∗∗)" in eff.layout.title.text
