"""ELBO & posterior: a toy model whose posterior is known exactly, a Gaussian q against it, and
the identity log p(x) = ELBO + KL(q ‖ p(z|x)) drawn as a budget."""
import streamlit as st

from explorer.toys import posterior as tp
from explorer.toys import posterior2d as t2
from explorer.plots.toys import BLUE, ORANGE, PURPLE, posterior2d_figure, svi_figure
from ui import live
from ui import toy_data as toy
from ui.figures import show

st.title("The ELBO and the posterior")
st.markdown(
    "A one-dimensional latent-variable model small enough to compute the posterior p(z|x) "
    "exactly on a grid: p(z) = N(0, 2²), p(x|z) = N(x; 2·tanh z, 0.7²) — a decoder with one "
    "tanh unit. Pick a Gaussian q(z; φ) = N(φ₁, φ₂) (**φ₂ is the variance**) and watch the "
    "lower bound: whatever q is, the ELBO plus the KL gap adds up to log p(x).")
st.latex(r"\log p(x;\theta) = \underbrace{\mathbb{E}_{q(z;\phi)}[\log p(x,z;\theta)] + "
         r"H(q)}_{\mathcal{L}(x;\theta,\phi)\ (\text{ELBO})} + "
         r"D_{KL}\big(q(z;\phi)\,\|\,p(z|x;\theta)\big)")

Q1D = (live.control("x", "Observation x", url="x", lo=-10.0, hi=10.0, step=0.1,
                    help="The one observed data point; the exact posterior p(z|x) and log p(x) "
                         "are recomputed on a grid for it."),
       live.control("m", "q mean φ₁", url="q_mean", lo=-8.0, hi=8.0, step=0.1,
                    help="q(z; φ) = N(φ₁, φ₂): the mean φ₁."),
       live.control("v", "q variance φ₂ (not σ)", url="q_var", options=tp.VARIANCE_CHOICES,
                    help="q(z; φ) = N(φ₁, φ₂): φ₂ is the variance σ², not the standard "
                         "deviation."))
Q1D_DEFAULTS = {"x": tp.X0, "m": tp.Q_ORANGE[0], "v": tp.Q_ORANGE[1]}
th = tp.THETA0
live.link_notices(Q1D)
green = st.checkbox("show N(−4, 0.75)", True, key="green", bind="query-params",
                    help="The first lecture's poor approximation N(−4, 0.75) beside the posterior.")
q1 = live.current("elbo_live", Q1D, Q1D_DEFAULTS)
x, v = q1["x"], q1["v"]
live.reporting_view(
    "elbo1d", "budget", key="elbo_live", group="elbo1d", values=q1, controls=Q1D,
    filename="posterior_q",
    figure=live.figure(toy.elbo_figure, x, q1["m"], v, green, key="posterior_q", chars=200),
    data={**toy.LIVE_MODEL, "green": green, "q_green": list(tp.Q_GREEN),
          "q_orange": list(tp.Q_ORANGE), "chars": 200})
st.caption("x, q's mean φ₁ and its variance φ₂ move in your browser: the posterior, q, the "
           "budget and its notes are recomputed there by the same grid and quadrature.")

st.subheader("Stochastic variational inference for this one x")
st.markdown("Gradient ascent φ ← φ + η ∇_φ L on the ELBO in φ = (m, log v), starting from "
            "a q = N(m₀, φ₂) — the first lecture's per-point optimisation of φⁱ. (Here the "
            "gradient is computed exactly by quadrature, so the path is smooth.)")
s0, s1, s2 = st.columns(3)
m = s0.slider("start: q mean m₀", -8.0, 8.0, q1["m"], 0.1, key="svi_m0",
              help="Where gradient ascent starts: q₀ = N(m₀, φ₂) with the variance above.")
steps = s1.slider("SVI steps", 10, 200, 80, 10, key="svi_steps")
lr = s2.select_slider("learning rate η", (0.01, 0.02, 0.05, 0.1, 0.2), 0.1, key="svi_lr",
                      help="The step size η of φ ← φ + η ∇_φ L, applied to (m, log v).")
if st.button("Run SVI", key="run_svi", type="primary"):
    b = tp.bound(x, th, m, v)
    z, log_post = toy.posterior(x)
    path, vals = tp.svi_path(x, th, m, v, steps, lr)
    show(svi_figure(z, log_post, path, vals, b.log_px,
                    title="SVI: q_t = N(m_t, v_t) climbing the ELBO L(x; θ, φ_t) toward the "
                          "posterior (press ▶ Play)"), key="svi_anim", chars=80)
    st.success(f"ELBO {vals[0]:.3f} → {vals[-1]:.3f} after {steps} steps "
               f"(log p(x) = {b.log_px:.3f}); final q = N({path[-1, 0]:.3f}, {path[-1, 1]:.3f}).")


st.subheader("Two latent dimensions")


X2D = live.control("x2", "Observation x of the 2-D model", url="x2d", lo=-4.0, hi=4.0, step=0.1,
                   help="The observed x the posterior p(z|x) over z ∈ R² is conditioned on.")
Q2D = (X2D, live.control("m1", "q mean m₁", url="m1_2d", lo=-4.0, hi=4.0, step=0.1,
                    help="q's mean of z₁."),
       live.control("m2", "q mean m₂", url="m2_2d", lo=-4.0, hi=4.0, step=0.1,
                    help="q's mean of z₂."),
       live.control("v1", "q variance v₁", url="v1_2d", options=tp.VARIANCE_CHOICES,
                    help="q's variance of z₁ (a variance, not σ)."),
       live.control("v2", "q variance v₂", url="v2_2d", options=tp.VARIANCE_CHOICES,
                    help="q's variance of z₂ (a variance, not σ)."),
       live.control("rho", "q correlation ρ (0 = diagonal)", url="rho2d", lo=-0.99, hi=0.99,
                    step=0.01, help="The correlation of z₁ and z₂ under q; ρ = 0 is the "
                                    "mean-field (diagonal) family, which cannot tilt."))
Q2D_DEFAULTS = {"x2": 1.5, "m1": 1.0, "m2": 1.0, "v1": 0.5, "v2": 0.5, "rho": 0.0}


def q2d_figure(kind: str, best: bool, values: tuple):
    """The 2-D posterior's contours with q's ellipse (and the best Gaussians' for this x)."""
    v = dict(values)
    x2 = v["x2"]
    g, lp2, _ = toy.posterior2d(x2, kind)
    ells = [("your q (2σ)", *t2.ellipse((v["m1"], v["m2"]), t2.covariance(v["v1"], v["v2"], v["rho"])),
             ORANGE)]
    if best:  # the fits for the link's x, as the browser draws them for every x
        table = toy.best2d_table(kind, X2D["min"], X2D["max"], X2D["step"])
        k = round((x2 - X2D["min"]) / X2D["step"])
        ells += [(name, *t2.ellipse(row[:2], [[row[2], row[3]], [row[3], row[4]]]), color)
                 for name, row, color in (("best diagonal q", table["diag"][k], PURPLE),
                                          ("best full q", table["full"][k], BLUE))]
    name = "z₁ + z₂" if kind == "sum" else "z₁·z₂"
    return posterior2d_figure(g, lp2, ells, title=f"2-D latent: contours of p(z|x={x2:g}) for "
                              f"f(z) = {name} and q's 2σ ellipse; KL(q‖p(z|x)) = log p(x) − ELBO")


@st.fragment
def two_d():
    st.markdown("z ∈ R², p(z) = N(0, I), p(x|z) = N(x; f(z), 0.5²). With f = z₁ + z₂ the "
                "posterior is a correlated Gaussian; with f = z₁·z₂ it follows the hyperbola "
                "z₁z₂ = x and has two modes. A diagonal q cannot tilt. x and q's sliders move in "
                "your browser: the posterior, ELBO and KL are recomputed there by the same grid "
                "and quadrature.")
    live.link_notices(Q2D)
    a1, a2 = st.columns(2)
    kind = a1.radio("decoder f(z)", t2.DECODERS, key="dec2d", horizontal=True,
                    bind="query-params",
                    help="The decoder mean in p(x|z) = N(x; f(z), 0.5²): sum f = z₁ + z₂ "
                         "(a tilted Gaussian posterior) or product f = z₁·z₂ (two modes).")
    best = a2.checkbox("show the best diagonal and best full-covariance Gaussians", key="best2d",
                       bind="query-params")
    v = live.current("q2d_live", Q2D, Q2D_DEFAULTS)
    table = toy.best2d_table(kind, X2D["min"], X2D["max"], X2D["step"]) if best else None
    u, w = t2.gauss_hermite()
    live.reporting_view("posterior2d", "q2d", key="q2d_live", group="q2d", values=v, controls=Q2D,
                        filename="posterior2d",
                        figure=live.figure(q2d_figure, kind, best, tuple(v.items()),
                                           key="posterior2d", chars=70),
                        data={"kind": kind, "noise_std": t2.NOISE_STD, "u": u.tolist(),
                              "w": w.tolist(), "best": table, "chars": 70})


two_d()
