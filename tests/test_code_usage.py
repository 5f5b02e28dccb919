"""explorer.discrete.code_usage against hand-counted examples, brute-force loops and entropy by hand.
(The perplexity/dead-code tests of test_vq.py and the per-variable ones of test_code_views.py
moved here with the code.)"""
import math

import numpy as np
import pytest
import torch

from explorer.discrete import code_usage


def test_a_hand_counted_example_pooled_and_per_variable():
    codes = np.array([[0, 2],
                      [0, 2],
                      [1, 2],
                      [0, 0]])  # K = 3; variable 0 uses {0: 3, 1: 1}, variable 1 {0: 1, 2: 3}
    assert code_usage.counts(codes, 3).tolist() == [4, 1, 3]
    assert code_usage.counts(codes, 3, pooled=False).tolist() == [[3, 1, 0], [1, 0, 3]]
    p = np.array([4, 1, 3]) / 8
    assert code_usage.perplexity(codes, 3) == pytest.approx(math.exp(-(p * np.log(p)).sum()), rel=1e-12)
    h = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    np.testing.assert_allclose(code_usage.perplexity(codes, 3, pooled=False), [math.exp(h)] * 2,
                               rtol=1e-12)
    assert code_usage.unused(codes, 3) == 0
    assert code_usage.unused(codes, 3, pooled=False).tolist() == [1, 1]
    s = code_usage.summary(codes, 3, pooled=False)
    assert s["counts"].tolist() == [[3, 1, 0], [1, 0, 3]] and s["unused"].tolist() == [1, 1]
    np.testing.assert_allclose(s["perplexity"], [math.exp(h)] * 2, rtol=1e-12)
    s = code_usage.summary(codes, 4)  # a fourth code nobody uses
    assert s["counts"].tolist() == [4, 1, 3, 0] and s["unused"] == 1
    assert s["perplexity"] == pytest.approx(code_usage.perplexity(codes, 3), rel=1e-12)


def test_perplexity_and_dead_codes():
    k = 8
    uniform = torch.arange(k).repeat(5)
    assert math.isclose(code_usage.perplexity(uniform, k), k, rel_tol=1e-12)
    assert code_usage.unused(uniform, k) == 0
    single = torch.full((40,), 3)
    assert code_usage.perplexity(single, k) == 1.0
    assert code_usage.unused(single, k) == k - 1
    half = torch.tensor([0, 1, 0, 1])
    assert math.isclose(code_usage.perplexity(half, k), 2.0, rel_tol=1e-12)
    assert code_usage.unused(half, k) == 6


def test_usage_counts_match_a_brute_force_loop():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 5, size=(200, 7))
    codes[:, 3] = 2  # one constant variable
    brute = np.zeros((7, 5), dtype=int)
    for row in codes:
        for n, j in enumerate(row):
            brute[n, j] += 1
    np.testing.assert_array_equal(code_usage.counts(codes, 5, pooled=False), brute)
    np.testing.assert_array_equal(code_usage.counts(codes, 5), brute.sum(0))


def test_perplexity_is_k_for_uniform_usage_and_one_for_a_constant_variable():
    codes = np.stack([np.arange(60) % 6, np.full(60, 4), np.arange(60) % 2], axis=1)
    np.testing.assert_allclose(code_usage.perplexity(codes, 6, pooled=False), [6.0, 1.0, 2.0], rtol=1e-12)
    probs = np.array([0.5, 0.25, 0.25])  # 2:1:1 usage → exp(H) by hand
    codes = np.repeat([0, 0, 1, 2], 10)[:, None]
    assert code_usage.perplexity(codes, 3, pooled=False)[0] == pytest.approx(
        math.exp(-(probs * np.log(probs)).sum()))


def test_no_codes_and_codes_out_of_range():
    empty = np.zeros((0, 2), dtype=int)
    assert code_usage.perplexity(empty, 4) == 1.0 and code_usage.unused(empty, 4) == 4
    np.testing.assert_array_equal(code_usage.perplexity(empty, 4, pooled=False), [1.0, 1.0])
    with pytest.raises(ValueError, match=r"\[0, 3\)"):
        code_usage.counts(np.array([[0, 3]]), 3, pooled=False)
    with pytest.raises(ValueError):
        code_usage.counts(np.array([-1]), 3)


def test_trainer_numbers_from_b_by_n_indices():
    """What trainer/code_stats.py records: pooled perplexity and dead codes (VQ), and the mean
    over variables of perplexity and unused categories (categorical)."""
    idx = torch.tensor([[0, 1], [0, 1], [2, 1]])  # (B, N) = (3, 2), K = 4
    assert code_usage.unused(idx, 4) == 1  # code 3
    p = np.array([2, 3, 1]) / 6
    assert code_usage.perplexity(idx, 4) == pytest.approx(math.exp(-(p * np.log(p)).sum()))
    per = code_usage.perplexity(idx, 4, pooled=False)
    h0 = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3))
    assert float(per.mean()) == pytest.approx((math.exp(h0) + 1.0) / 2)
    assert float(code_usage.unused(idx, 4, pooled=False).mean()) == (2 + 3) / 2
