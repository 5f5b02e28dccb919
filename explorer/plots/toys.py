"""Figures of the toy-model pages (ELBO & posterior, variational learning, Monte Carlo marginals).

Arrays and plain numbers in, `go.Figure` out; no Streamlit.  Colours follow the first lecture:
posterior blue, q orange, the reference N(−4, 0.75) green.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

BLUE, ORANGE, GREEN, RED, GREY, PURPLE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f",
                                          "#9467bd")


def _density_trace(z, log_d, name, color, dash=None, fill=None) -> go.Scatter:
    return go.Scatter(x=z, y=np.exp(log_d), name=name, mode="lines", fill=fill,
                      line=dict(color=color, width=3, dash=dash))


def posterior_q_figure(z: np.ndarray, log_post: np.ndarray, qs: Sequence[tuple], title: str,
                       x_range: tuple[float, float] | None = None) -> go.Figure:
    """p(z|x) (blue, filled) and Gaussian q's; qs = [(name, z_q, log_q, color), …]."""
    fig = go.Figure([_density_trace(z, log_post, "p(z|x) exact", BLUE, fill="tozeroy")])
    for name, zq, lq, color in qs:
        fig.add_trace(_density_trace(zq, lq, name, color))
    fig.update_layout(title=title, xaxis_title="z", yaxis_title="density", height=420,
                      legend=dict(orientation="h", y=-0.2), margin=dict(t=70))
    if x_range is not None:
        fig.update_xaxes(range=list(x_range))
    return fig


def budget_figure(expected_log_joint: float, entropy: float, kl: float, title: str) -> go.Figure:
    """Horizontal waterfall: E_q[log p(x,z)] + H(q) = ELBO;  ELBO + KL = log p(x)."""
    elbo = expected_log_joint + entropy
    labels = ["E_q[log p(x,z)]", "+ H(q)", "= ELBO", "+ KL(q‖p(z|x))", "= log p(x)"]
    values = [expected_log_joint, entropy, elbo, kl, elbo + kl]
    fig = go.Figure(go.Waterfall(
        orientation="h", y=labels, x=values,
        measure=["relative", "relative", "total", "relative", "total"],
        text=[f"{v:+.3f}" if i in (1, 3) else f"{v:.3f}" for i, v in enumerate(values)],
        textposition="outside", connector=dict(line=dict(color=GREY, dash="dot")),
        increasing=dict(marker=dict(color=RED)), decreasing=dict(marker=dict(color=PURPLE)),
        totals=dict(marker=dict(color=BLUE))))
    fig.add_vline(x=0, line=dict(color="black", width=1))
    ends = [0.0, expected_log_joint, elbo, elbo + kl]
    lo, hi = min(ends), max(ends)
    pad = 0.35 * max(hi - lo, 1e-3)
    fig.update_xaxes(range=[lo - pad, hi + pad])
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(title=title, xaxis_title="nats", height=360, showlegend=False,
                      margin=dict(t=70, l=140))
    return fig


def svi_figure(z: np.ndarray, log_post: np.ndarray, path: np.ndarray, elbos: np.ndarray,
               log_px: float, title: str, max_frames: int = 60) -> go.Figure:
    """Animated q_t = N(m_t, v_t) along an SVI path over the fixed posterior (play button)."""
    idx = np.unique(np.round(np.linspace(0, len(path) - 1, min(max_frames, len(path)))).astype(int))

    def q_trace(i):
        m, v = path[i]
        zq = np.sort(np.concatenate([z, m + np.sqrt(v) * np.linspace(-5, 5, 201)]))
        lq = -0.5 * (np.log(2 * np.pi * v) + (zq - m) ** 2 / v)
        return go.Scatter(x=zq, y=np.exp(lq), mode="lines", name="q_t(z)",
                          line=dict(color=ORANGE, width=3))

    def label(i):
        m, v = path[i]
        return (f"step {i}: q = N({m:.2f}, {v:.2f}), ELBO = {elbos[i]:.3f}, "
                f"KL = {log_px - elbos[i]:.3f}")

    post = _density_trace(z, log_post, "p(z|x) exact", BLUE, fill="tozeroy")
    frames = [go.Frame(data=[post, q_trace(i)], name=str(i),
                       layout=dict(annotations=[dict(text=label(i), x=0.01, y=0.98, xref="paper",
                                                     yref="paper", showarrow=False,
                                                     xanchor="left")]))
              for i in idx]
    fig = go.Figure(data=[post, q_trace(idx[0])], frames=frames)
    fig.update_layout(
        title=title, xaxis_title="z", yaxis_title="density", height=460, margin=dict(t=80),
        annotations=frames[0].layout.annotations,
        yaxis=dict(range=[0, 1.8 * float(np.exp(log_post).max())]),
        updatemenus=[dict(type="buttons", showactive=False, x=0.0, y=-0.18, xanchor="left",
                          buttons=[dict(label="▶ Play", method="animate",
                                        args=[None, dict(frame=dict(duration=80, redraw=True),
                                                         fromcurrent=True, transition=dict(duration=0))])])],
        sliders=[dict(active=0, x=0.12, y=-0.1, len=0.88, currentvalue=dict(prefix="step "),
                      steps=[dict(label=str(i), method="animate",
                                  args=[[str(i)], dict(mode="immediate", frame=dict(duration=0, redraw=True))])
                             for i in idx])])
    return fig


def posterior2d_figure(axis: np.ndarray, log_post: np.ndarray, ellipses: Sequence[tuple],
                       title: str) -> go.Figure:
    """Contours of p(z|x) on a 2-D grid (indexed [z1, z2]) and 2σ ellipses [(name, xs, ys, color)]."""
    fig = go.Figure(go.Contour(x=axis, y=axis, z=np.exp(log_post).T.astype(np.float32),
                               colorscale="Blues",
                               contours=dict(coloring="heatmap"), line=dict(width=0.5),
                               showscale=False, name="p(z|x)"))
    for name, xs, ys, color in ellipses:
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=name, line=dict(color=color, width=3)))
    fig.update_layout(title=title, xaxis_title="z₁", yaxis_title="z₂", height=520,
                      legend=dict(orientation="h", y=-0.15), margin=dict(t=70))
    fig.update_yaxes(scaleanchor="x", scaleratio=1)
    return fig


def learning_figure(a_grid: np.ndarray, log_px: np.ndarray, curves: Sequence[tuple],
                    title: str, x_title: str = "θ (decoder amplitude a)") -> go.Figure:
    """log p(x; θ) and ELBO curves [(name, values, color)]; a marker where each gap is smallest."""
    fig = go.Figure(go.Scatter(x=a_grid, y=log_px, name="log p(x; θ)", mode="lines",
                               line=dict(color="black", width=4)))
    for name, values, color in curves:
        fig.add_trace(go.Scatter(x=a_grid, y=values, name=name, mode="lines",
                                 line=dict(color=color, width=3, dash="dash")))
        j = int(np.argmin(log_px - values))
        fig.add_trace(go.Scatter(x=[a_grid[j]], y=[values[j]], mode="markers", showlegend=False,
                                 marker=dict(color=color, size=11),
                                 hovertext=f"smallest gap {log_px[j] - values[j]:.3f}"))
    lo = float(np.min(log_px)) - 2.0
    fig.update_layout(title=title, xaxis_title=x_title, yaxis_title="nats", height=460,
                      yaxis=dict(range=[lo, float(np.max(log_px)) + 0.5]),
                      legend=dict(orientation="h", y=-0.2), margin=dict(t=70))
    return fig


def em_figure(a_grid: np.ndarray, log_px_curve: np.ndarray, thetas: np.ndarray,
              elbo_e: np.ndarray, elbo_m: np.ndarray, curves: np.ndarray, log_px: np.ndarray,
              t: int, title: str) -> go.Figure:
    """EM steps 0 … t−1: E-moves (vertical, up to the bound at θ_s) and M-moves (along L(·; q_s))."""
    fig = go.Figure(go.Scatter(x=a_grid, y=log_px_curve, name="log p(x; θ)", mode="lines",
                               line=dict(color="black", width=4)))
    for s in range(t):
        last = s == t - 1
        fig.add_trace(go.Scatter(x=a_grid, y=curves[s], mode="lines", name=f"L(x; θ, q_{s})",
                                 showlegend=last, line=dict(color=ORANGE if last else GREY,
                                                            width=3 if last else 1, dash="dash")))
        start = elbo_m[s - 1] if s > 0 else elbo_e[s]
        fig.add_annotation(x=thetas[s], y=elbo_e[s], ax=thetas[s], ay=start, xref="x", yref="y",
                           axref="x", ayref="y", arrowcolor=BLUE, arrowwidth=3, arrowhead=2,
                           showarrow=bool(s > 0 and elbo_e[s] - start > 1e-3), text="")
        fig.add_annotation(x=thetas[s + 1], y=elbo_m[s], ax=thetas[s], ay=elbo_e[s], xref="x",
                           yref="y", axref="x", ayref="y", arrowcolor=RED, arrowwidth=3,
                           arrowhead=2, showarrow=bool(abs(thetas[s + 1] - thetas[s]) > 1e-9), text="")
    fig.add_trace(go.Scatter(x=thetas[: t + 1], y=log_px[: t + 1], mode="markers+text",
                             name="θ_t on log p(x; θ)", marker=dict(color=BLUE, size=10),
                             text=[f"θ{s}" for s in range(t + 1)], textposition="top center"))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=BLUE, width=3),
                             name="E-step (fit q at θ_t)"))
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", line=dict(color=RED, width=3),
                             name="M-step (θ ← argmax L)"))
    fig.update_layout(title=title, xaxis_title="θ (decoder amplitude a)", yaxis_title="nats",
                      height=480, legend=dict(orientation="h", y=-0.2), margin=dict(t=70),
                      yaxis=dict(range=[float(np.min(log_px_curve)) - 2.0,
                                        float(np.max(log_px_curve)) + 0.5]))
    return fig


def _band(fig, ns, med, lo, hi, name, color):
    fig.add_trace(go.Scatter(x=np.concatenate([ns, ns[::-1]]), y=np.concatenate([hi, lo[::-1]]),
                             fill="toself", fillcolor=color, opacity=0.2, line=dict(width=0),
                             name=f"{name}: 10–90%", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=ns, y=med, mode="lines+markers", name=f"{name}: median",
                             line=dict(color=color, width=3)))


def mc_figure(ns: np.ndarray, bands: Sequence[tuple], lines: Sequence[tuple], title: str,
              y_floor: float | None = None) -> go.Figure:
    """Estimates vs n on a log axis: bands [(name, (median, lo, hi), color)], lines [(name, y, color)]."""
    fig = go.Figure()
    for name, (med, lo, hi), color in bands:
        _band(fig, ns, med, lo, hi, name, color)
    for name, y, color in lines:
        fig.add_hline(y=y, line=dict(color=color, width=2, dash="dash"),
                      annotation_text=f"{name} = {y:.3f}", annotation_position="top left")
    fig.update_xaxes(type="log", title="number of samples n")
    fig.update_layout(title=title, yaxis_title="nats", height=460,
                      legend=dict(orientation="h", y=-0.2), margin=dict(t=70))
    if y_floor is not None:
        top = max(float(np.max(b[1][2])) for b in bands)
        top = max([top] + [float(y) for _, y, _ in lines])
        fig.update_yaxes(range=[y_floor, top + 0.1 * (top - y_floor)])
    return fig


def mc_convergence_figure(ns: np.ndarray, naive: tuple, imp: tuple, exact: float, x: float,
                          reps: int) -> go.Figure:
    """Eq. (1) of the second lecture: the naive and importance estimates' spreads (median,
    10%, 90%) against n, the exact log p(x) and a floor 30 nats below it."""
    return mc_figure(ns, [("naive, z ~ p(z)", naive, RED), ("importance, z ~ q", imp, BLUE)],
                     [("exact log p(x)", exact, "black")], y_floor=exact - 30.0,
                     title=f"Estimates log p̂(x) of eq. (1) vs the number of samples n, x = {x:g}: "
                           "naive (prior samples) vs importance sampling; bands: 10–90% of "
                           f"{reps} repetitions")


def mc_jensen_figure(ns: np.ndarray, log_mean_w: tuple, mean_log_w: tuple, exact: float,
                     elbo: float) -> go.Figure:
    """Jensen on the same importance samples: the spreads of log (1/n Σ w) and (1/n) Σ log w."""
    return mc_figure(ns, [("log (1/n Σ w)", log_mean_w, BLUE), ("(1/n) Σ log w", mean_log_w, ORANGE)],
                     [("exact log p(x)", exact, "black"), ("ELBO", elbo, GREEN)],
                     y_floor=min(elbo, exact) - 5.0,
                     title="Jensen on the same importance samples: log (1/n Σ w) ≥ (1/n) Σ log w; "
                           "they approach log p(x) and the ELBO, a gap of KL(q‖p(z|x))")


def _budget_values(b) -> tuple[list[float], list[str], list[float]]:
    """The waterfall of `budget_figure` for a Bound b: values, their labels, the x range."""
    elbo = b.expected_log_joint + b.entropy
    values = [b.expected_log_joint, b.entropy, elbo, b.kl, elbo + b.kl]
    ends = [0.0, b.expected_log_joint, elbo, elbo + b.kl]
    lo, hi = min(ends), max(ends)
    pad = 0.35 * max(hi - lo, 1e-3)
    return values, [f"{v:+.3f}" if i in (1, 3) else f"{v:.3f}" for i, v in enumerate(values)], \
        [lo - pad, hi + pad]


def elbo_budget_title(x: float, m: float, v: float, b) -> str:
    return (f"Exact posterior p(z|x={x:g}) vs q(z) = N({m:g}, {v:g}): ELBO = {b.elbo:.3f}, "
            f"KL(q‖p(z|x)) = {b.kl:.3f}, log p(x) = {b.log_px:.3f} — the closer q, the smaller "
            "the gap")


def elbo_budget_figure(z: np.ndarray, log_post: np.ndarray, x: float, m: float, v: float, b,
                       x_range: tuple[float, float], extra: Sequence[tuple] = ()) -> go.Figure:
    """p(z|x) against q = N(m, v) (left) and the budget log p(x) = E_q[log p(x,z)] + H(q) + KL
    (right) for the Bound b (first lecture text, eq. of the ELBO identity). q is drawn on ±5σ as
    x0 + i·dx; extra: fixed curves [(name, z, log density, colour)]."""
    sd = float(np.sqrt(v))
    u = np.linspace(-5, 5, 201)
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4], horizontal_spacing=0.17,
                        subplot_titles=("exact posterior p(z|x) (blue) and q(z) (orange)",
                                        "the budget: ELBO + KL = log p(x)"))
    fig.add_trace(_density_trace(z, log_post, "p(z|x) exact", BLUE, fill="tozeroy"), row=1, col=1)
    fig.add_trace(go.Scatter(y=np.exp(-0.5 * u ** 2) / (sd * np.sqrt(2 * np.pi)), dx=10 * sd / 200,
                             x0=m - 5 * sd, mode="lines", name=f"q = N({m:g}, {v:g})",
                             line=dict(color=ORANGE, width=3)), row=1, col=1)
    for name, zq, lq, color in extra:
        fig.add_trace(_density_trace(zq, lq, name, color), row=1, col=1)
    labels = ["E_q[log p(x,z)]", "+ H(q)", "= ELBO", "+ KL(q‖p(z|x))", "= log p(x)"]
    values, text, budget_range = _budget_values(b)
    fig.add_trace(go.Waterfall(
        orientation="h", y=labels, x=values, text=text,
        measure=["relative", "relative", "total", "relative", "total"],
        textposition="outside", connector=dict(line=dict(color=GREY, dash="dot")),
        increasing=dict(marker=dict(color=RED)), decreasing=dict(marker=dict(color=PURPLE)),
        totals=dict(marker=dict(color=BLUE)), showlegend=False, name="budget"), row=1, col=2)
    fig.add_vline(x=0, line=dict(color="black", width=1), row=1, col=2)
    fig.update_xaxes(title_text="z", range=list(x_range), row=1, col=1)
    fig.update_yaxes(title_text="density", row=1, col=1)
    fig.update_xaxes(title_text="nats", range=budget_range, row=1, col=2)
    fig.update_yaxes(autorange="reversed", row=1, col=2)
    fig.update_layout(title=elbo_budget_title(x, m, v, b), height=500, margin=dict(t=90, b=60),
                      legend=dict(x=0.0, y=1.0, xanchor="left", yanchor="top",
                                  bgcolor="rgba(255,255,255,0.6)"))
    return fig
