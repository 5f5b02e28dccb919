"""House style: no SI prefixes, clean log ticks, a projector preset, distinguishable digits."""

import numpy as np
import plotly.graph_objects as go

from explorer.plots.latent import latent_scatter
from explorer.plots.style import DIGIT_COLORS, log_ticks, present, tidy_axes

from .apptest_helpers import app, figures, live_views


def _rgb(h):
    return np.array([int(h[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _deutan(rgb):
    """Machado et al. (2009) deuteranopia matrix (severity 1), on linear-ish RGB: the
    colours a red–green colour-blind viewer sees."""
    m = np.array([[0.367, 0.861, -0.228], [0.280, 0.673, 0.047], [-0.012, 0.043, 0.969]])
    return np.clip(m @ rgb, 0, 255)


def test_look_alike_digits_stay_apart_for_deuteranopes():
    for a, b in ((4, 9), (1, 6), (3, 8), (1, 7)):
        seen = np.linalg.norm(_deutan(_rgb(DIGIT_COLORS[a])) - _deutan(_rgb(DIGIT_COLORS[b])))
        assert seen > 60, (a, b, seen)
    assert len(set(DIGIT_COLORS)) == 10


def test_log_ticks_are_1_2_5_below_two_decades_and_decades_above():
    vals, text = log_ticks(0.1, 5.0)
    assert text == ["0.1", "0.2", "0.5", "1", "2", "5"]
    assert log_ticks(1e-3, 10.0) is None
    fig = go.Figure(go.Scatter(x=[0.1, 0.3, 5.0], y=[1, 2, 3]))
    fig.update_xaxes(type="log")
    tidy_axes(fig)
    assert list(fig.layout.xaxis.ticktext) == text
    assert fig.layout.xaxis.exponentformat == "power" and fig.layout.yaxis.exponentformat == "power"
    wide = go.Figure(go.Scatter(x=[1e-4, 1.0], y=[1, 2]))
    wide.update_xaxes(type="log")
    assert tidy_axes(wide).layout.xaxis.dtick == 1


def test_present_enlarges_ticks_and_the_scatter():
    fig = latent_scatter(np.zeros((10, 2)), np.arange(10))
    h = fig.layout.height
    present(fig)
    assert fig.layout.xaxis.tickfont.size >= 14 and fig.layout.height > h
    assert all(t.marker.size >= 8 for t in fig.data)
    symbols = {t.name: t.marker.symbol for t in fig.data}
    assert symbols["4"] != symbols["9"] and symbols["1"] != symbols["6"]


def test_presentation_switch_in_the_url_restyles_figures():
    at = app("app_pages/gumbel.py", present="true")
    assert not at.exception and at.sidebar.toggle(key="present").value
    fig = figures(at)[0]  # the page's live views open with figures styled on the server
    assert fig["layout"]["xaxis"]["tickfont"]["size"] >= 14
    assert all(v["present"] for v in live_views(at).values())  # and their own text grows
    plain = app("app_pages/gumbel.py")
    fig = figures(plain)[0]
    assert "tickfont" not in fig["layout"].get("xaxis", {})
