"""Figures of one example's trip through a VAE (explorer.views.one_example): the computation
graph of the second text's Figure 1 with its gradient paths, the loss terms, and for d = 2 the
point z on the latent map.

In the graph every vector node draws one horizontal bar per latent dimension (all on a common
scale, so z = μ + σ ⊙ ε can be read off the bars); the selected dimension j is orange.
Forward edges are grey, gradients of the single-sample ELBO red, drawn backwards from the
loss; ε has no incoming gradient (it is a sampled input). Arrow annotations are named
"forward:a->b" / "gradient:a->b" so tests can read the graph.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from explorer.plots.images import png_data_uri
from explorer.plots.latent import ellipse_path, latent_scatter
from explorer.views.latent import dimension_label

FORWARD, GRADIENT, CHOSEN, BAR = "#7f7f7f", "#d62728", "#ff7f0e", "#1f77b4"
# Node boxes (x0, x1, y0, y1) in data units; the layout is planar except for ε's edge, which
# the σ gradient passes by: ε blocks no gradient path.
NODES = {"x": (0.0, 1.6, -1.1, 1.1), "encoder": (2.1, 3.1, -0.9, 0.9),
         "mu": (3.7, 4.9, 1.1, 3.1), "kl": (3.7, 4.9, -0.45, 0.45), "sigma": (3.7, 4.9, -3.1, -1.1),
         "reparam": (5.6, 6.9, -0.45, 0.45), "eps": (5.65, 6.85, -4.1, -2.1),
         "z": (7.5, 8.7, -1.0, 1.0), "decoder": (9.2, 10.2, -0.9, 0.9),
         "output": (10.7, 12.3, -1.1, 1.1), "recon": (10.5, 12.5, 1.9, 2.7),
         "elbo": (10.5, 12.5, 3.3, 4.1)}


class _Canvas:
    """Traces, shapes, annotations and images collected first and handed to plotly at once
    (adding ~60 items one by one costs ~0.6 s of validation; one constructor ~0.05 s)."""

    def __init__(self):
        self.traces, self.shapes, self.annotations, self.images = [], [], [], []

    def arrow(self, name, start, end, color=FORWARD, width=1.5, hover=None):
        self.annotations.append(dict(x=end[0], y=end[1], ax=start[0], ay=start[1], xref="x",
                                     yref="y", axref="x", ayref="y", text="", showarrow=True,
                                     arrowhead=2, arrowsize=1, arrowwidth=width,
                                     arrowcolor=color, name=name, hovertext=hover))

    def label(self, x, y, text, color="black", size=11, **kw):
        self.annotations.append(dict(x=x, y=y, xref="x", yref="y", text=text, showarrow=False,
                                     font=dict(size=size, color=color), **kw))

    def box(self, node, text, fill="#f2f2f2"):
        x0, x1, y0, y1 = NODES[node]
        self.shapes.append(dict(type="rect", x0=x0, x1=x1, y0=y0, y1=y1, fillcolor=fill,
                                line=dict(color="#555", width=1), layer="below"))
        if text:
            self.label((x0 + x1) / 2, (y0 + y1) / 2, text)

    def vector(self, node, values, scale, j, name, hover):
        """Bars of a (d,) vector inside its node box, zero at the box's centre line."""
        x0, x1, y0, y1 = NODES[node]
        d = len(values)
        self.box(node, "", fill="white")
        centre, half = (x0 + x1) / 2, 0.45 * (x1 - x0)
        ys = y1 - (np.arange(d) + 0.5) * (y1 - y0) / d
        ends = centre + half * np.clip(np.asarray(values) / scale, -1, 1)
        self.shapes.append(dict(type="line", x0=centre, x1=centre, y0=y0, y1=y1,
                                line=dict(color="#bbb", width=1)))
        width = float(np.clip(0.6 * 55 * (y1 - y0) / d, 1, 24))  # ≈55 px per unit of height
        for rows, color in ((np.arange(d) != j, BAR), (np.arange(d) == j, CHOSEN)):
            xs = np.column_stack([np.full(d, centre), ends, np.full(d, np.nan)])[rows].ravel()
            yy = np.column_stack([ys, ys, np.full(d, np.nan)])[rows].ravel()
            self.traces.append(go.Scatter(x=xs, y=yy, mode="lines", hoverinfo="skip",
                                          line=dict(color=color, width=width), showlegend=False))
        self.traces.append(go.Scatter(x=ends, y=ys, mode="markers", name=name, text=hover,
                                      marker=dict(size=4, color="#333"), showlegend=False,
                                      hovertemplate="%{text}<extra></extra>"))

    def data_node(self, node, values, image_shape, caption):
        x0, x1, y0, y1 = NODES[node]
        if image_shape is not None:  # "contain" keeps the pixels square in any figure width
            pixels = np.clip(np.asarray(values, dtype=np.float64).reshape(image_shape), 0, 1)
            self.images.append(dict(source=png_data_uri(pixels), xref="x", yref="y", x=x0, y=y1,
                                    sizex=x1 - x0, sizey=y1 - y0, xanchor="left", yanchor="top",
                                    sizing="contain", layer="above"))
        else:  # 2-D toy data: the coordinates as bars
            values = np.asarray(values, dtype=np.float64)
            self.vector(node, values, max(1e-9, np.abs(values).max()), -1, caption,
                        [f"{caption}: coordinate {k + 1} = {v:.3f}" for k, v in enumerate(values)])
        self.label((x0 + x1) / 2, y0 - 0.2, caption, size=10)


def _width(value, biggest):
    return 1.0 + 4.0 * abs(value) / biggest if biggest > 0 else 1.0


def _red(text):
    return f"<span style='color:{GRADIENT}'>{text}</span>"


def computation_graph(out: dict, x: np.ndarray, image_shape: tuple[int, int] | None, j: int,
                      title: str | None = None) -> go.Figure:
    """The doubly stochastic computation for one x (forward_pass output `out`), dimension j
    highlighted, with the gradients of the single-sample ELBO on the red arrows."""
    mu, sigma, eps, z = out["mu"], out["sigma"], out["eps"], out["z"]
    zj, sub = dimension_label(j), f"<sub>{j + 1}</sub>"
    g = {"z": out["grad_z"][j], "mu_z": out["grad_z"][j], "sigma_z": out["grad_z"][j] * eps[j],
         "mu_kl": out["grad_mu_kl"][j], "sigma_kl": out["grad_sigma_kl"][j]}
    biggest = max(abs(v) for v in g.values())
    c = _Canvas()
    c.data_node("x", x, image_shape, "x (the chosen test point)")
    c.box("encoder", "encoder<br>q_φ(z|x)")
    # μ, ε and z share one scale so z = μ + σ ⊙ ε reads off the bars; σ (often ≪ 1) has its own.
    scale = max(2.5, *(np.abs(a).max() for a in (mu, eps, z)))
    for node, values, sym, node_scale in (("mu", mu, "μ", scale), ("eps", eps, "ε", scale),
                                          ("z", z, "z", scale),
                                          ("sigma", sigma, "σ", max(0.05, sigma.max()))):
        c.vector(node, values, node_scale, j, sym,
                 [f"{sym}<sub>{k + 1}</sub> = {v:.3f}" for k, v in enumerate(values)])
    formula = "eq. 22" if out["family"] == "diagonal" else "closed form"
    c.box("kl", f"KL = {out['kl']:.2f}<br>({formula})", fill="#fdebd0")
    c.box("reparam", "z = μ + σ ⊙ ε", fill="#e8f4e8")
    c.box("decoder", "decoder<br>p_θ(x|z)")
    c.data_node("output", out["decoded"], image_shape, "mean of p_θ(x|z)")
    c.box("recon", f"log p_θ(x|z) = {out['reconstruction']:.2f}", fill="#fdebd0")
    c.box("elbo", f"L = log p_θ(x|z) − KL = {out['elbo']:.2f}", fill="#fdebd0")
    grad_mu = _red(f"∂L/∂μ{sub} = {out['grad_mu'][j]:.3g}")
    grad_sigma = _red(f"∂L/∂σ{sub} = {out['grad_sigma'][j]:.3g}")
    c.label(4.3, 3.5, f"μ_φ(x): μ{sub} = {mu[j]:.2f}<br>{grad_mu}")
    c.label(4.3, -3.5, f"σ_φ(x) (own scale): σ{sub} = {sigma[j]:.2f}<br>{grad_sigma}")
    c.label(6.25, -4.4, f"ε ~ p(ε): ε{sub} = {eps[j]:.2f}, a sampled input —<br>"
                        "no gradient flows into ε, and it blocks none", color="#555", size=10)
    c.label(8.1, 1.25, f"z: z{sub} = {z[j]:.2f}")
    for name, a, b in (("x->encoder", (1.6, 0), (2.1, 0)), ("encoder->mu", (3.1, 0.6), (3.7, 2.1)),
                       ("encoder->sigma", (3.1, -0.6), (3.7, -2.1)),
                       ("mu->kl", (4.15, 1.1), (4.15, 0.45)), ("sigma->kl", (4.15, -1.1), (4.15, -0.45)),
                       ("mu->reparam", (4.9, 2.1), (5.6, 0.3)),
                       ("sigma->reparam", (4.9, -2.1), (5.6, -0.3)),
                       ("eps->reparam", (6.25, -2.1), (6.25, -0.45)), ("reparam->z", (6.9, 0), (7.5, 0)),
                       ("z->decoder", (8.7, 0), (9.2, 0)), ("decoder->output", (10.2, 0), (10.7, 0)),
                       ("output->recon", (11.5, 1.1), (11.5, 1.9)),
                       ("recon->elbo", (11.5, 2.7), (11.5, 3.3))):
        c.arrow(f"forward:{name}", a, b)
    norm = float(np.linalg.norm(out["grad_z"]))
    for name, a, b, key, text, at in (
            ("recon->z", (10.5, 2.1), (8.5, 1.05), "z",
             f"∂log p/∂z{sub} = {g['z']:.3g} (‖∂log p/∂z‖ = {norm:.3g}),<br>back through the decoder",
             (9.5, 1.3)),
            ("z->mu", (7.5, 0.7), (4.95, 2.6), "mu_z", f"× ∂z/∂μ = 1 → {g['mu_z']:.3g}", (6.45, 1.75)),
            ("z->sigma", (7.5, -0.7), (4.95, -2.6), "sigma_z",
             f"× ∂z/∂σ = ε{sub} → {g['sigma_z']:.3g}", (7.4, -1.75)),
            ("kl->mu", (4.5, 0.45), (4.5, 1.1), "mu_kl", f"−∂KL/∂μ{sub} = {g['mu_kl']:.2g}", (4.6, 0.78)),
            ("kl->sigma", (4.5, -0.45), (4.5, -1.1), "sigma_kl",
             f"−∂KL/∂σ{sub} = {g['sigma_kl']:.2g}", (4.6, -0.78))):
        c.arrow(f"gradient:{name}", a, b, GRADIENT, _width(g[key], biggest), text)
        c.label(*at, text, color=GRADIENT, size=10, bgcolor="rgba(255,255,255,0.85)",
                **({"xanchor": "left"} if name.startswith("kl") else {}))
    for name, color in (("forward: the computation", FORWARD),
                        ("backward: gradient of the one-sample ELBO L", GRADIENT),
                        (f"selected dimension {zj}", CHOSEN)):
        c.traces.append(go.Scatter(x=[None], y=[None], mode="lines", name=name,
                                   line=dict(color=color, width=3)))
    return go.Figure(data=c.traces, layout=dict(
        title=title or ("One example through the VAE (eq. 26, Figure 1): z = μ + σ ⊙ ε with ε "
                        "drawn; red arrows = ∂L/∂μ and ∂L/∂σ back through z and the KL"),
        shapes=c.shapes, annotations=c.annotations, images=c.images,
        xaxis=dict(visible=False, range=[-0.2, 12.7]), yaxis=dict(visible=False, range=[-4.8, 4.3]),
        height=600, margin=dict(l=10, r=10, t=60, b=10), plot_bgcolor="white",
        legend=dict(orientation="h", y=-0.02), hovermode="closest"))


def loss_terms_figure(out: dict, j: int) -> go.Figure:
    """The single-sample ELBO's two terms and the KL per dimension (eq. 22), j in orange."""
    d = len(out["kl_dim"])
    fig = make_subplots(rows=1, cols=2, column_widths=[0.4, 0.6], horizontal_spacing=0.12,
                        subplot_titles=("the two terms (nats)", "KL_j per dimension (eq. 22)"))
    terms = [out["reconstruction"], -out["kl"], out["elbo"]]
    fig.add_trace(go.Bar(x=["log p_θ(x|z)", "−KL", "ELBO"], y=terms,
                         marker_color=["#2ca02c", "#9467bd", "#333"], text=[f"{v:.2f}" for v in terms],
                         textposition="auto", showlegend=False,
                         hovertemplate="%{x} = %{y:.3f}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Bar(x=[dimension_label(k) for k in range(d)], y=out["kl_dim"],
                         marker_color=[CHOSEN if k == j else "#9467bd" for k in range(d)],
                         showlegend=False, hovertemplate="KL of %{x} = %{y:.3f} nats<extra></extra>"),
                  row=1, col=2)
    fig.update_yaxes(title="nats", row=1, col=1)
    fig.update_layout(title="Loss terms for this x and this ε: reconstruction (one sample z) and "
                            "the closed-form KL per dimension (eq. 22)",
                      height=380, margin=dict(l=50, r=10, t=100, b=40))
    return fig


def latent_point_map(coords: np.ndarray, labels: np.ndarray | None, out: dict) -> go.Figure:
    """For d = 2: the test set's μ(x), this x's q(z|x) (1σ, 2σ ellipses around the shown μ) and
    the drawn z; the encoder's own μ as a hollow circle when μ is overridden."""
    fig = latent_scatter(coords, labels, title="Latent map: test-set means μ(x); the chosen x's "
                         "q(z|x) (ellipses 1σ, 2σ) and the drawn z = μ + σ ⊙ ε")
    for k, dash in ((1, "solid"), (2, "dot")):
        ex, ey = ellipse_path(out["mu"], k * out["sigma"])
        fig.add_trace(go.Scatter(x=ex, y=ey, mode="lines", name="1σ and 2σ (dotted) of q(z|x)",
                                 legendgroup="q", showlegend=k == 1,
                                 line=dict(color="black", width=1.5, dash=dash), hoverinfo="skip"))
    if not np.allclose(out["mu"], out["mu_encoder"]):
        fig.add_trace(go.Scatter(x=[out["mu_encoder"][0]], y=[out["mu_encoder"][1]], mode="markers",
                                 name="encoder's μ(x)", marker=dict(size=12, symbol="circle-open",
                                                                   color="black")))
    fig.add_trace(go.Scatter(x=[out["mu"][0]], y=[out["mu"][1]], mode="markers", name="μ",
                             marker=dict(size=10, color="black", symbol="x")))
    fig.add_trace(go.Scatter(x=[out["z"][0]], y=[out["z"][1]], mode="markers", name="z",
                             marker=dict(size=16, symbol="star", color=CHOSEN,
                                         line=dict(color="black", width=1.5)),
                             hovertemplate="z = (%{x:.2f}, %{y:.2f})<extra></extra>"))
    fig.update_layout(height=480)
    return fig
