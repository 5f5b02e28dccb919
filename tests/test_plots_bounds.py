"""Figures of the bounds lab: the right traces, lines at the right values."""
import numpy as np

from explorer.plots.bounds import bound_ladder, gap_bars, posterior_contours, renyi_curve


def test_posterior_contours_draw_q_and_optionally_q_star():
    z = np.linspace(-2, 2, 21)
    log_post = -0.5 * (z[None, :] ** 2 + z[:, None] ** 2)
    without = posterior_contours(z, z, log_post, (0.0, 0.0), (1.0, 0.5))
    with_star = posterior_contours(z, z, log_post, (0.0, 0.0), (1.0, 0.5), q_star=((0.1, 0), (1, 1)))
    assert len(without.data) == 1 + 2 and len(with_star.data) == 1 + 4  # contour + 1σ/2σ each
    ex = np.asarray(without.data[1].x)
    assert np.isclose(ex.max(), 1.0) and np.isclose(np.asarray(without.data[2].x).max(), 2.0)


def test_ladder_renyi_and_gap_bars_mark_the_given_values():
    fig = bound_ladder([1, 10], [-5.0, -4.0], [0.1, 0.05], exact=-3.5, elbo=-5.0)
    assert {round(s.y0, 6) for s in fig.layout.shapes} == {-3.5, -5.0}
    assert list(fig.data[0].error_y.array) == [0.2, 0.1]
    r = renyi_curve(np.linspace(0, 1, 11), np.linspace(-3, -4, 11), 0.3)
    assert np.isclose(r.data[1].x[0], 0.3)
    g = gap_bars(["x0"], [1.0], [2.0])
    assert [t.y[0] for t in g.data] == [1.0, 2.0] and g.layout.barmode == "stack"
