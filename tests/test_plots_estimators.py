"""Figure builders of the gradient-estimator pages: promised traces, exact markers, log axes."""
import ast
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from explorer.plots import estimators as pe

rng = np.random.default_rng(0)


def names(fig: go.Figure) -> list[str]:
    return [t.name for t in fig.data]


def test_histogram_one_trace_per_estimator_and_exact_line_at_exact():
    samples = {"reinforce": rng.normal(2.0, 5.0, 3000), "reparam": rng.normal(2.0, 0.5, 3000),
               "naive_reparam": np.zeros(3000)}
    fig = pe.histogram_figure(samples, 2.0, title="Estimates of ∂/∂μ around the exact gradient")
    assert names(fig) == list(samples)
    assert all(isinstance(t, go.Bar) for t in fig.data)
    (line,) = [s for s in fig.layout.shapes if s.type == "line"]
    assert line.x0 == line.x1 == 2.0
    assert "exact gradient" in fig.layout.title.text
    lo, hi = fig.layout.xaxis.range
    assert lo <= 0.0 and hi >= 2.0  # the naive spike at 0 and the exact line are in view
    # the bins tile the view; the heavy tails outside it are counted in n but not binned
    heavy = fig.data[0]
    x, width = np.asarray(heavy.x), heavy.width
    assert np.isclose(x[0] - width / 2, lo) and np.isclose(x[-1] + width / 2, hi)
    a = samples["reinforce"]
    inside = np.mean((a >= lo) & (a <= hi))
    assert inside < 1 and np.isclose(np.sum(heavy.y) * width, inside)
    assert sum(heavy.customdata) == np.sum((a >= lo) & (a <= hi))


def test_histogram_bars_are_numpys_density_of_the_samples():
    a = rng.normal(0.0, 1.0, 5000)
    fig = pe.histogram_figure({"reparam": a}, 0.0, title="t", bins=40)
    bar = fig.data[0]
    edges = np.append(np.asarray(bar.x) - bar.width / 2, bar.x[-1] + bar.width / 2)
    counts = np.histogram(a, edges)[0]
    assert np.allclose(bar.y, counts / (a.size * bar.width))
    # against the normal density: the SE of a bin's density is sqrt(p(1-p)/n)/width
    p = np.diff(0.5 * (1 + np.vectorize(__import__("math").erf)(edges / np.sqrt(2))))
    se = np.sqrt(p * (1 - p) / a.size) / bar.width
    assert np.all(np.abs(np.asarray(bar.y) - p / bar.width) < 5 * se + 1e-12)


def test_histogram_drops_non_finite_values():
    a = np.array([1.0, np.nan, np.inf, 2.0, 3.0])
    fig = pe.histogram_figure({"gumbel_softmax": a}, 2.0, title="t")
    assert sum(fig.data[0].customdata) == 3 and np.isfinite(fig.data[0].y).all()


def test_cloud_marks_the_exact_gradient_with_a_star():
    clouds = {"reinforce": rng.normal(size=(500, 2)), "reparam": rng.normal(size=(500, 2)) * 0.1}
    fig = pe.cloud_figure(clouds, (0.5, -1.0), title="2-D gradient, exact gradient ★")
    assert names(fig) == ["reinforce", "reparam", "exact gradient"]
    star = fig.data[-1]
    assert (star.x[0], star.y[0]) == (0.5, -1.0) and star.marker.symbol == "star"
    assert fig.layout.xaxis.title.text == "∂/∂μ" and fig.layout.yaxis.title.text == "∂/∂σ"


def test_variance_scaling_log_log_with_slope_minus_one():
    ns = np.array([1, 2, 4, 8, 16, 32.0])
    fig = pe.variance_scaling_figure(
        {"reinforce": ns, "reparam": ns, "naive_reparam": ns},
        {"reinforce": 10 / ns, "reparam": 0.1 / ns, "naive_reparam": 0 * ns},
        title="Variance vs samples per estimate", analytic={"reparam": 0.1})
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"
    assert "naive_reparam" not in names(fig)  # zero variance: not drawable on a log axis
    assert {"reinforce", "reparam", "reparam: exact Var/S", "slope −1 (∝ 1/S)"} <= set(names(fig))
    ref = next(t for t in fig.data if t.name.startswith("slope"))
    slope = np.diff(np.log(ref.y)) / np.diff(np.log(ref.x))
    assert np.allclose(slope, -1.0)


def test_tau_curves_two_panels_current_tau_and_floor():
    taus = np.array([0.05, 0.1, 0.5, 1.0, 5.0])
    fig = pe.tau_curves_figure(
        taus, {"gumbel_softmax": (np.array([0.0, 1e-3, 1e-2, 0.05, 0.1]), np.ones(5))},
        {"reinforce (b: optimal)": (1e-4, 0.2), "naive_reparam": (0.3, 0.0)}, 0.5, title="τ",
        noise={"gumbel_softmax": np.full(5, 0.01)})
    assert names(fig).count("gumbel_softmax") == 2 and names(fig).count("naive_reparam") == 2
    assert "gumbel_softmax: noise level (SE)" in names(fig)
    assert min(fig.data[0].y) == 1e-6  # a zero bias is drawn at the floor, not lost
    vlines = [s for s in fig.layout.shapes if s.x0 == s.x1 == 0.5]
    assert len(vlines) == 2
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis2.type == "log"


def test_relaxed_samples_histogram_simplex_and_bars():
    y2 = rng.dirichlet([0.3, 0.3], 200)
    fig = pe.relaxed_samples_figure(y2, title="relaxed")
    assert isinstance(fig.data[0], go.Histogram) and np.allclose(fig.data[0].x, y2[:, 1])
    y3 = rng.dirichlet([0.3] * 3, 200)
    fig = pe.relaxed_samples_figure(y3, title="relaxed")
    assert isinstance(fig.data[0], go.Scatterternary)
    assert names(fig)[1] == "one-hot corners (discrete z)"
    fig = pe.relaxed_samples_figure(rng.dirichlet([1.0] * 5, 20), title="relaxed")
    assert len(fig.data) == 8 and all(isinstance(t, go.Bar) for t in fig.data)


def test_plot_module_does_not_import_streamlit():
    import explorer.plots.estimators as mod

    tree = ast.parse(Path(mod.__file__).read_text())
    mods = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    mods |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not any(m.startswith("streamlit") for m in mods)


def test_a_histogram_of_identical_estimates_is_named_by_an_arrow_not_the_legend():
    import numpy as np

    from explorer.plots.estimators import histogram_figure
    from explorer.plots.style import legend_entries

    rng = np.random.default_rng(0)
    fig = histogram_figure({"gumbel_softmax": rng.normal(size=200), "naive_reparam": np.zeros(200)},
                           0.3, "estimates")
    assert legend_entries(fig) == 1
    assert [t.showlegend for t in fig.data] == [True, False]
    assert any(a.text == "naive_reparam: every estimate = 0" and a.x == 0
               for a in fig.layout.annotations)
