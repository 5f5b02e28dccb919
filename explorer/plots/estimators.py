"""Figures of the gradient-estimator pages (Estimator race, Relaxation bias).

Arrays and plain numbers in, `go.Figure` out; no Streamlit.  Every estimator keeps one colour
on both pages (`COLORS`); the exact gradient is always black.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

COLORS = {
    "reinforce": "#d62728",
    "reparam": "#1f77b4",
    "straight_through": "#9467bd",
    "gumbel_softmax": "#2ca02c",
    "st_gumbel_softmax": "#ff7f0e",
    "naive_reparam": "#7f7f7f",
}
EXACT = "black"
_FALLBACK = ("#8c564b", "#e377c2", "#17becf", "#bcbd22")


def color(name: str) -> str:
    base = name.split(" ")[0]
    return COLORS.get(base, _FALLBACK[sum(map(ord, name)) % len(_FALLBACK)])


def _finite(a) -> np.ndarray:
    a = np.asarray(a, dtype=float)
    return a[np.isfinite(a).all(axis=tuple(range(1, a.ndim)))] if a.ndim > 1 else a[np.isfinite(a)]


def _view_range(arrays: Sequence[np.ndarray], anchors: Sequence[float], q: float = 0.005):
    """A range covering the central 99% of every estimator (heavy tails clipped from view)."""
    lo, hi = [], []
    for a in arrays:
        if a.size:
            lo.append(np.quantile(a, q))
            hi.append(np.quantile(a, 1 - q))
    lo, hi = min(lo + list(anchors)), max(hi + list(anchors))
    pad = 0.06 * max(hi - lo, 1e-6)
    return lo - pad, hi + pad


def histogram_figure(samples: Mapping[str, np.ndarray], exact: float, title: str,
                     x_title: str = "gradient estimate", bins: int = 80) -> go.Figure:
    """One density histogram per estimator (overlaid) and the exact gradient as a black line.

    The bins and the view cover the central 99% of every estimator, so a heavy-tailed
    REINFORCE does not squash the others to a spike; the rare values outside are not binned,
    so each estimator's bars enclose the fraction of its estimates in view (≤ 1). Binned here,
    not in the browser: 80 bars per estimator instead of thousands of raw values to send and
    bin on every redraw. An estimator whose estimates are all equal (the naive pathwise
    gradient through a hard sample is 0) is one bar, named by an arrow, not the legend.
    """
    fig = go.Figure()
    data = {k: _finite(v).ravel() for k, v in samples.items()}
    lo, hi = _view_range(list(data.values()), [exact])
    edges = np.linspace(lo, hi, bins + 1)
    width = edges[1] - edges[0]
    for name, a in data.items():
        spike = a.size > 0 and bool(np.all(a == a[0]))
        counts = np.histogram(a, edges)[0]
        density = counts / (max(a.size, 1) * width)
        fig.add_trace(go.Bar(
            x=edges[:-1] + width / 2, y=density, width=width, name=name, opacity=0.55,
            marker=dict(color=color(name), line_width=0), showlegend=not spike,
            customdata=counts, hovertemplate="%{x:.4g}: %{customdata} estimates<extra>%{fullData.name}</extra>"))
        if spike:  # one bar: named by an arrow, which keeps the legend short on a projector
            fig.add_annotation(x=float(a[0]), y=0.9, yref="paper", showarrow=True, ax=40, ay=-30,
                               text=f"{name}: every estimate = {a[0]:.3g}",
                               font=dict(color=color(name)))
    fig.add_vline(x=float(exact), line=dict(color=EXACT, width=3),
                  annotation_text=f"exact {exact:.4g}", annotation_position="top right")
    fig.update_layout(title=title, barmode="overlay", bargap=0, xaxis_title=x_title,
                      yaxis_title="density", height=420, margin=dict(t=70),
                      legend=dict(orientation="h", y=-0.2))
    fig.update_xaxes(range=[lo, hi])
    return fig


def cloud_figure(clouds: Mapping[str, np.ndarray], exact: Sequence[float], title: str,
                 axis_titles: tuple[str, str] = ("∂/∂μ", "∂/∂σ"), max_points: int = 1500) -> go.Figure:
    """2-D gradient estimates as a point cloud per estimator, the exact gradient as a black star."""
    fig = go.Figure()
    pts = {k: _finite(np.asarray(v, dtype=float).reshape(len(v), -1)[:, :2]) for k, v in clouds.items()}
    for name, p in pts.items():
        p = p[:max_points]
        fig.add_trace(go.Scatter(x=p[:, 0], y=p[:, 1], mode="markers", name=name, opacity=0.45,
                                 marker=dict(color=color(name), size=4)))
    ex = [float(exact[0]), float(exact[1])]
    fig.add_trace(go.Scatter(x=[ex[0]], y=[ex[1]], mode="markers", name="exact gradient",
                             marker=dict(color=EXACT, size=18, symbol="star",
                                         line=dict(color="white", width=1))))
    allp = list(pts.values())
    xr = _view_range([p[:, 0] for p in allp], [ex[0]])
    yr = _view_range([p[:, 1] for p in allp], [ex[1]])
    fig.update_layout(title=title, xaxis_title=axis_titles[0], yaxis_title=axis_titles[1],
                      height=460, margin=dict(t=70), legend=dict(orientation="h", y=-0.2))
    fig.update_xaxes(range=list(xr))
    fig.update_yaxes(range=list(yr))
    return fig


def variance_scaling_figure(ns: Mapping[str, np.ndarray], variances: Mapping[str, np.ndarray],
                            title: str, analytic: Mapping[str, float] | None = None) -> go.Figure:
    """Variance vs samples per estimate on log-log axes, with a slope −1 reference line.

    analytic: optional {estimator: single-sample variance}, drawn dotted as variance / S.
    Zero or non-finite variances cannot be drawn on a log axis and are left out.
    """
    fig = go.Figure()
    for name, v1 in (analytic or {}).items():
        n = np.asarray(ns.get(name, []), dtype=float)
        if n.size and np.isfinite(v1) and v1 > 0:
            fig.add_trace(go.Scatter(x=n, y=v1 / n, mode="lines", name=f"{name}: exact Var/S",
                                     line=dict(color=color(name), width=2, dash="dot")))
    anchors = []
    for name, v in variances.items():
        n = np.asarray(ns[name], dtype=float)
        v = np.asarray(v, dtype=float)
        ok = np.isfinite(v) & (v > 0)
        if not ok.any():
            continue
        fig.add_trace(go.Scatter(x=n[ok], y=v[ok], mode="lines+markers", name=name,
                                 line=dict(color=color(name), width=3)))
        anchors.append((n[ok][0], v[ok][0]))
    if anchors:
        n0, v0 = max(anchors, key=lambda a: a[1])
        grid = np.unique(np.concatenate([np.asarray(ns[k], float) for k in variances]))
        grid = grid[grid >= n0]
        fig.add_trace(go.Scatter(x=grid, y=v0 * n0 / grid, mode="lines", name="slope −1 (∝ 1/S)",
                                 line=dict(color=EXACT, width=2, dash="dash")))
    fig.update_xaxes(type="log", title="samples per estimate S")
    fig.update_yaxes(type="log", title="variance of one estimate")
    fig.update_layout(title=title, height=420, margin=dict(t=70),
                      legend=dict(orientation="h", y=-0.2))
    return fig


def tau_curves_figure(taus: np.ndarray, curves: Mapping[str, tuple[np.ndarray, np.ndarray]],
                      flat: Mapping[str, tuple[float, float]], current_tau: float, title: str,
                      floor: float = 1e-6,
                      noise: Mapping[str, np.ndarray] | None = None) -> go.Figure:
    """|bias| (left) and variance (right) against τ on log axes.

    curves: {estimator: (|bias| per τ, variance per τ)};  flat: τ-free references
    {name: (|bias|, variance)} drawn as dashed horizontal lines named at their right end (log
    axes: annotations sit at log10 of the value).  Values below `floor` are drawn
    at the floor (log axes cannot show 0).  The current τ is a dotted vertical line.
    noise: optional {estimator: standard error of its ‖bias‖ estimate per τ}, drawn thin and
    dotted in the left panel: a measured ‖bias‖ below that level is indistinguishable from 0.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("‖bias‖ = ‖E[ĝ] − ∇‖",
                                                        "variance (trace of Cov ĝ)"))
    taus = np.asarray(taus, dtype=float)
    for name, (bias, var) in curves.items():
        for col, y in ((1, bias), (2, var)):
            y = np.maximum(np.asarray(y, dtype=float), floor)
            fig.add_trace(go.Scatter(x=taus, y=y, mode="lines+markers", name=name,
                                     legendgroup=name, showlegend=col == 1,
                                     line=dict(color=color(name), width=3)), row=1, col=col)
    # At most ~5 legend entries (issue 12): the noise levels share their estimator's entry
    # plus one key for the dotted style, and the τ-free references are named on the plot.
    for name, se in (noise or {}).items():
        fig.add_trace(go.Scatter(x=taus, y=np.maximum(np.asarray(se, dtype=float), floor),
                                 mode="lines", name=f"{name}: noise level (SE)", legendgroup=name,
                                 showlegend=False,
                                 line=dict(color=color(name), width=1, dash="dot")), row=1, col=1)
    if noise:
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name="dotted: noise level (SE)",
                                 line=dict(color=EXACT, width=1, dash="dot")), row=1, col=1)
    for name, (bias, var) in flat.items():
        for col, y in ((1, bias), (2, var)):
            y = max(float(y), floor)
            fig.add_trace(go.Scatter(x=[taus[0], taus[-1]], y=[y] * 2, mode="lines", name=name,
                                     legendgroup=name, showlegend=False,
                                     hovertemplate=f"{name} (no τ): %{{y:.3g}}<extra></extra>",
                                     line=dict(color=color(name), width=2, dash="dash")),
                          row=1, col=col)
            fig.add_annotation(x=np.log10(taus[-1]), y=np.log10(y), text=name,
                               xanchor="right", yanchor="bottom", showarrow=False,
                               font=dict(color=color(name), size=11), row=1, col=col)
    for col in (1, 2):
        fig.add_vline(x=float(current_tau), line=dict(color=EXACT, width=2, dash="dot"),
                      row=1, col=col)
    fig.update_xaxes(type="log", title="temperature τ")
    fig.update_yaxes(type="log")
    fig.update_layout(title=title, height=440, margin=dict(t=90),
                      legend=dict(orientation="h", y=-0.25))
    return fig


def relaxed_samples_figure(samples: np.ndarray, title: str, labels: Sequence[str] | None = None,
                           max_bars: int = 8) -> go.Figure:
    """Relaxed samples y (m, K) on the simplex: K = 2 → histogram of y₁ ∈ [0, 1];
    K = 3 → points in the ternary simplex with the one-hot corners; K > 3 → bars of a few samples."""
    y = _finite(np.asarray(samples, dtype=float).reshape(len(samples), -1))
    k = y.shape[1]
    labels = list(labels or [f"z={i + 1}" for i in range(k)])
    if k == 2:
        fig = go.Figure(go.Histogram(x=y[:, 1], xbins=dict(start=0, end=1.0001, size=0.025),
                                     histnorm="probability", name="relaxed y₁",
                                     marker_color=color("gumbel_softmax")))
        fig.update_xaxes(range=[0, 1], title="relaxed sample y₁ (0 and 1 are the discrete values)")
        fig.update_yaxes(title="fraction of samples")
    elif k == 3:
        fig = go.Figure(go.Scatterternary(a=y[:, 0], b=y[:, 1], c=y[:, 2], mode="markers",
                                          name="relaxed samples", opacity=0.5,
                                          marker=dict(color=color("gumbel_softmax"), size=5)))
        fig.add_trace(go.Scatterternary(a=[1, 0, 0], b=[0, 1, 0], c=[0, 0, 1], mode="markers",
                                        name="one-hot corners (discrete z)",
                                        marker=dict(color=EXACT, size=12, symbol="diamond")))
        fig.update_layout(ternary=dict(aaxis_title=labels[0], baxis_title=labels[1],
                                       caxis_title=labels[2]))
    else:
        fig = go.Figure()
        for i in range(min(max_bars, len(y))):
            fig.add_trace(go.Bar(x=labels, y=y[i], name=f"sample {i + 1}"))
        fig.update_yaxes(range=[0, 1], title="y_k")
    fig.update_layout(title=title, height=400, margin=dict(t=70),
                      legend=dict(orientation="h", y=-0.2))
    return fig


def relaxation_figures(race: Mapping, family: str, cost: str, t: float, tau: float,
                       samples: np.ndarray, reference: str,
                       taus: Sequence[float]) -> tuple[go.Figure, go.Figure, go.Figure]:
    """The Relaxation bias page's three figures from explorer.estimators.relaxation_race.race:
    bias and variance against τ, the histogram of ∂/∂ℓ₁ at τ, the relaxed samples at τ
    (`reference`: the display name of REINFORCE with its baseline)."""
    name = lambda m: reference if m == "reinforce" else m  # noqa: E731
    sweeps = race["sweeps"]
    curves = tau_curves_figure(
        np.array(taus), {m: (s["bias"], s["variance"]) for m, s in sweeps.items()},
        {name(m): s for m, s in race["flat"].items()}, tau,
        noise={m: s["se"] for m, s in sweeps.items()},
        title=f"Bias and variance of the gradient w.r.t. the logits vs temperature τ ({cost}, "
              f"t = {t:g}); dotted: τ = {tau:g}, dashed: τ-free estimators")
    hist = histogram_figure({name(m): r["g"][:, 0] for m, r in race["runs"].items()
                             if r["error"] is None}, race["exact"][0],
                            title=f"Estimates of ∂/∂ℓ₁ E_q[f(z)] at τ = {tau:g} around the exact "
                                  "gradient by enumeration (black line)", x_title="∂/∂ℓ₁")
    what = "y₁ of variable 1 (relaxed Bernoulli)" if family == "bernoulli" else "y on the simplex"
    relaxed = relaxed_samples_figure(samples, title=f"Relaxed Gumbel-softmax samples at τ = "
                                                    f"{tau:g}: {what}", labels=["v=0", "v=½", "v=1"])
    return curves, hist, relaxed
