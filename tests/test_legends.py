"""Legends of at most ~5 entries (issue 12, "Present"): the digit classes 0–9 count as one
titled group, a point's two ellipses as one entry, τ-free references are named on the plot.
Checked on every figure of the pages in presentation mode, and on the builders directly."""
import numpy as np
import plotly.graph_objects as go

from explorer.plots.estimators import tau_curves_figure
from explorer.plots.latent import latent_scatter
from explorer.plots.style import LEGEND_CAP, class_group, legend_entries

from .apptest_helpers import app, figures, titles
from .test_widget_help import PAGES, trained_run

# Their figures come from builders another session owns (explorer/plots/smoothing.py) or
# draw as many estimators as the page's user picks (relaxation_bias: six by default).
def test_legend_entries_counts_what_the_legend_shows():
    fig = go.Figure([go.Scatter(x=[0], y=[0], name=str(c), **class_group()) for c in range(10)])
    fig.add_trace(go.Scatter(x=[0], y=[0], name="selected"))
    fig.add_trace(go.Scatter(x=[0], y=[0], name="hidden", showlegend=False))
    fig.add_trace(go.Heatmap(z=[[1, 2]]))
    assert legend_entries(fig) == 2
    fig.add_trace(go.Scatter(x=[0], y=[0], name="other group", legendgroup="g"))
    assert legend_entries(fig.to_plotly_json()) == 3
    fig.update_layout(showlegend=False)
    assert legend_entries(fig) == 0


def test_a_digit_scatter_with_two_selected_points_has_four_entries():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 5)
    fig = latent_scatter(rng.normal(size=(50, 2)), labels, sigma=np.ones((50, 2)),
                         selected=[3, 17])
    assert legend_entries(fig) == 4  # the digits, two points' ellipses, the selected stars
    assert sum(t.name.startswith("1σ and 2σ") for t in fig.data) == 4  # both ellipses drawn


def test_the_tau_curves_name_the_tau_free_references_on_the_plot():
    taus = np.array([0.1, 0.5, 1.0])
    curves = {m: (np.ones(3), np.ones(3)) for m in ("gumbel_softmax", "st_gumbel_softmax", "rebar")}
    flat = {"straight_through": (0.5, 2.0), "naive_reparam": (0.3, 1.0), "reinforce": (0.0, 9.0)}
    noise = {m: np.full(3, 0.01) for m in curves}
    fig = tau_curves_figure(taus, curves, flat, 0.5, "t", noise=noise)
    assert legend_entries(fig) == 4 <= LEGEND_CAP  # three relaxed estimators and the dotted key
    texts = [a.text for a in fig.layout.annotations]
    assert all(texts.count(name) == 2 for name in flat)  # named in both panels
    assert sum(t.name.endswith("noise level (SE)") for t in fig.data) == 4  # 3 curves + key


def crowded(pages) -> list[str]:
    trained_run(latent_dim=2, epochs=1, hidden=(16,))
    trained_run(model="categorical", latent_dim=4, n_categories=5, epochs=1, hidden=(16,))
    trained_run(model="vqvae", latent_dim=3, n_categories=16, code_dim=4, epochs=1, hidden=(16,))
    out = []
    for page in pages:
        at = app(page, present="true")
        for fig, title in zip(figures(at), titles(at)):
            if legend_entries(fig) > LEGEND_CAP:
                out.append(f"{page}: {legend_entries(fig)} entries in {title[:70]!r}")
    return out


def test_every_figure_in_presentation_mode_has_at_most_five_legend_entries():
    found = crowded(PAGES)
    assert not found, "\n".join(found)
