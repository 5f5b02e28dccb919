"""The counter-based normals (explorer.toys.counter_noise) behave as N(0, 1) draws: mean,
variance and a tail probability within four standard errors for the page's seeds, uniforms in
(0, 1), no correlation between neighbours or between seeds; a draw depends only on (seed, index).
(The browser's equal draws: tests/test_live_js_marginals.py.)"""
import math

import numpy as np
import pytest

from explorer.toys import counter_noise as cn

N = 2_000_000  # the draws of 200 repetitions × 10,000 samples


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_draws_pass_a_standard_normal_check(seed):
    z = cn.standard_normal(seed, N)
    assert np.isfinite(z).all()
    assert abs(z.mean()) < 4 / math.sqrt(N)
    assert abs(z.var() - 1) < 4 * math.sqrt(2 / N)
    p = math.erfc(2 / math.sqrt(2))  # P(|z| > 2) = 0.0455
    assert abs(np.mean(np.abs(z) > 2) - p) < 4 * math.sqrt(p * (1 - p) / N)
    assert abs(np.corrcoef(z[:-1], z[1:])[0, 1]) < 4 / math.sqrt(N)  # the Box–Muller pairs too
    assert abs(np.corrcoef(z, cn.standard_normal(seed + 1, N))[0, 1]) < 4 / math.sqrt(N)


def test_uniforms_are_open_and_a_draw_depends_only_on_seed_and_index():
    c = np.array([0, 1, 2**31, 2**32 - 1], dtype=np.uint32)
    u = cn.uniforms(7, c)
    assert ((u > 0) & (u < 1)).all()
    assert cn.uniforms(7, np.arange(2**20, dtype=np.uint32)).min() >= 0.5 / 2**32
    a = cn.standard_normal(3, (200, 10))
    np.testing.assert_array_equal(a[:50], cn.standard_normal(3, (50, 10)))  # rows are prefixes
    np.testing.assert_array_equal(a.ravel()[:7], cn.standard_normal(3, 7))  # an odd count too
    assert not np.array_equal(a, cn.standard_normal(4, (200, 10)))
