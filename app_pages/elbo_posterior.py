"""ELBO & posterior: a toy model whose posterior is known exactly, a Gaussian q against it, and
the identity log p(x) = ELBO + KL(q ‖ p(z|x)) drawn as a budget."""
import numpy as np
import streamlit as st

from explorer.toys import posterior as tp
from explorer.toys import posterior2d as t2
from explorer.plots.toys import (BLUE, GREEN, ORANGE, PURPLE, budget_figure, posterior2d_figure,
                                 posterior_q_figure, svi_figure)
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

c1, c2, c3, c4 = st.columns([2, 2, 2, 1])
x = c1.slider("Observation x", -10.0, 10.0, tp.X0, 0.1, key="x", bind="query-params")
m = c2.slider("q mean φ₁", -8.0, 8.0, 2.0, 0.1, key="q_mean", bind="query-params")
v = c3.select_slider("q variance φ₂ (not σ)", tp.VARIANCE_CHOICES, 2.0, key="q_var",
                     bind="query-params")
green = c4.checkbox("show N(−4, 0.75)", True, key="green")
th = tp.THETA0


@st.cache_data(max_entries=256, show_spinner=False)
def posterior(x: float):
    return tp.posterior_on_grid(x, th)


z, log_post = posterior(x)
b = tp.bound(x, th, m, v)


def q_curve(mq, vq, name, color):
    zq = np.sort(np.concatenate([z, mq + np.sqrt(vq) * np.linspace(-5, 5, 201)]))
    return name, zq, tp.q_log_density(zq, mq, vq), color


qs = [q_curve(m, v, f"q = N({m:g}, {v:g})", ORANGE)]
if green:
    qs.append(q_curve(*tp.Q_GREEN, "N(−4, 0.75) (lecture's green)", GREEN))
cdf = np.cumsum(np.exp(log_post)) * (z[1] - z[0])
lo = min(-7.0, z[np.searchsorted(cdf, 1e-4)] - 1, m - 4 * np.sqrt(v))
hi = max(7.0, z[min(np.searchsorted(cdf, 1 - 1e-4), len(z) - 1)] + 1, m + 4 * np.sqrt(v))
left, right = st.columns([3, 2])
with left:
    show(posterior_q_figure(
        z, log_post, qs, x_range=(lo, hi),
        title=f"Exact posterior p(z|x={x:g}) (blue) vs q(z) = N({m:g}, {v:g}) (orange): "
              "the closer q, the smaller KL(q‖p(z|x)) — the gap in log p(x) = ELBO + KL"),
         key="posterior_q", chars=70)
with right:
    show(budget_figure(b.expected_log_joint, b.entropy, b.kl,
                       title="The budget: ELBO = E_q[log p(x,z)] + H(q), and "
                             "log p(x) = ELBO + KL(q‖p(z|x))"), key="budget", chars=50)
    k1, k2, k3 = st.columns(3)
    k1.metric("log p(x)", f"{b.log_px:.3f}")
    k2.metric("ELBO", f"{b.elbo:.3f}")
    k3.metric("KL", f"{b.kl:.3f}")
for note in tp.degeneracy_notes(x, th, m, v, b):
    st.warning(note)
if green:
    kg = tp.kl_to_posterior(x, th, *tp.Q_GREEN, b.log_px)
    st.caption(f"For comparison, KL(N(−4, 0.75) ‖ p(z|x)) = {kg:.2f} nats vs {b.kl:.2f} for "
               f"your q: the lecture's orange N(2, 2) is the better approximation.")

st.subheader("Stochastic variational inference for this one x")
st.markdown("Gradient ascent φ ← φ + η ∇_φ L on the ELBO in φ = (m, log v), starting from "
            "your q — the first lecture's per-point optimisation of φⁱ. (Here the "
            "gradient is computed exactly by quadrature, so the path is smooth.)")
s1, s2 = st.columns(2)
steps = s1.slider("SVI steps", 10, 200, 80, 10, key="svi_steps")
lr = s2.select_slider("learning rate η", (0.01, 0.02, 0.05, 0.1, 0.2), 0.1, key="svi_lr")
if st.button("Run SVI", key="run_svi", type="primary"):
    path, vals = tp.svi_path(x, th, m, v, steps, lr)
    show(svi_figure(z, log_post, path, vals, b.log_px,
                    title="SVI: q_t = N(m_t, v_t) climbing the ELBO L(x; θ, φ_t) toward the "
                          "posterior (press ▶ Play)"), key="svi_anim", chars=80)
    st.success(f"ELBO {vals[0]:.3f} → {vals[-1]:.3f} after {steps} steps "
               f"(log p(x) = {b.log_px:.3f}); final q = N({path[-1, 0]:.3f}, {path[-1, 1]:.3f}).")


st.subheader("Two latent dimensions")


@st.cache_data(max_entries=64, show_spinner="Fitting the best Gaussians…")
def best2d(x2: float, kind: str):
    return t2.best_gaussian2d(x2, kind, full=False), t2.best_gaussian2d(x2, kind, full=True)


@st.fragment
def two_d():
    st.markdown("z ∈ R², p(z) = N(0, I), p(x|z) = N(x; f(z), 0.5²). With f = z₁ + z₂ the "
                "posterior is a correlated Gaussian; with f = z₁·z₂ it follows the hyperbola "
                "z₁z₂ = x and has two modes. A diagonal q cannot tilt.")
    a1, a2, a3 = st.columns(3)
    kind = a1.radio("decoder f(z)", t2.DECODERS, key="dec2d", horizontal=True,
                    bind="query-params")
    x2 = a2.slider("Observation x", -4.0, 4.0, 1.5, 0.1, key="x2d", bind="query-params")
    rho = a3.slider("q correlation ρ (0 = diagonal)", -0.99, 0.99, 0.0, 0.01, key="rho2d")
    b1, b2, b3, b4 = st.columns(4)
    m1 = b1.slider("q mean m₁", -4.0, 4.0, 1.0, 0.1, key="m1_2d")
    m2 = b2.slider("q mean m₂", -4.0, 4.0, 1.0, 0.1, key="m2_2d")
    v1 = b3.select_slider("q variance v₁", tp.VARIANCE_CHOICES, 0.5, key="v1_2d")
    v2 = b4.select_slider("q variance v₂", tp.VARIANCE_CHOICES, 0.5, key="v2_2d")
    g, lp2, lpx2 = t2.posterior_grid2d(x2, kind)
    cov = t2.covariance(v1, v2, rho)
    e2, k2 = t2.elbo2d(x2, (m1, m2), cov, kind), t2.kl2d(x2, (m1, m2), cov, kind, log_px=lpx2)
    ells = [("your q (2σ)", *t2.ellipse((m1, m2), cov), ORANGE)]
    if st.checkbox("show the best diagonal and best full-covariance Gaussians", key="best2d"):
        (md, cd), (mf, cf) = best2d(x2, kind)
        ells += [("best diagonal q", *t2.ellipse(md, cd), PURPLE),
                 ("best full q", *t2.ellipse(mf, cf), BLUE)]
        st.caption(f"Best diagonal: KL = {t2.kl2d(x2, md, cd, kind, log_px=lpx2):.3f}; best full: "
                   f"KL = {t2.kl2d(x2, mf, cf, kind, log_px=lpx2):.3f} nats.")
    name = "z₁ + z₂" if kind == "sum" else "z₁·z₂"
    show(posterior2d_figure(g, lp2, ells, title=f"2-D latent: contours of p(z|x={x2:g}) for "
                            f"f(z) = {name} and q's 2σ ellipse; KL(q‖p(z|x)) = log p(x) − ELBO"),
         key="posterior2d", chars=70)
    k1, k2c, k3 = st.columns(3)
    k1.metric("log p(x)", f"{lpx2:.3f}")
    k2c.metric("ELBO", f"{e2:.3f}")
    k3.metric("KL", f"{k2:.3f}")
    if k2 > 20 or min(v1, v2) < 1e-3 or max(v1, v2) > 50:
        st.warning(f"Extreme q: KL = {k2:.1f} nats. A very narrow q has entropy → −∞; a very wide "
                   "or misplaced one spends its mass where log p(x, z) is very negative.")


two_d()
