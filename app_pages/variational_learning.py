"""Variational learning: ELBO curves over θ lie below log p(x; θ); EM-style coordinate ascent."""
import streamlit as st

from explorer.toys import learning as tl
from explorer.toys import posterior as tp
from explorer.plots.toys import GREEN, ORANGE, em_figure, learning_figure
from ui import toy_data as toy
from ui.figures import show
from ui.frame_state import url_notices

st.title("Variational learning")
st.markdown(
    "Now the model parameter θ moves too. In the toy model of *ELBO & posterior* "
    "(p(z) = N(0, 2²), p(x|z) = N(x; θ·tanh z, 0.7²)) let θ be the decoder amplitude. For every "
    "fixed q(z; φ) the ELBO is a whole curve in θ lying **below** log p(x; θ), touching it only "
    "where q equals the posterior — the lecture's L(x; θ, φ₁) and L(x; θ, φ₂).")
st.latex(r"\log p(x;\theta) \;\ge\; \mathcal{L}(x;\theta,\phi) = \mathbb{E}_{q(z;\phi)}"
         r"[\log p(x,z;\theta)] + H(q(z;\phi))\quad\text{for every }\theta\text{ and }\phi")

grid = tl.A_GRID
url_notices(
    st.query_params, ranges={"vl_x": (-3, 6, "the observation x"), "m1": (-6, 6, "the q mean of φ₁"),
                             "m2": (-6, 6, "the q mean of φ₂"),
                             "em_a0": (float(grid[0]), float(grid[-1]), "the start θ₀")},
    options={"v1": (tp.VARIANCE_CHOICES, "the q variance of φ₁"),
             "v2": (tp.VARIANCE_CHOICES, "the q variance of φ₂"),
             "em_q": (("exact", "Gaussian"), "the E-step q")})
x = st.slider("Observation x", -3.0, 6.0, tp.X0, 0.1, key="vl_x", bind="query-params",
              help="x: the one observed data point; log p(x; θ) and every bound are for it.")
lp = toy.evidence_curve(x)


@st.fragment
def bounds_section():
    """Its own fragment: the four q sliders redraw only these curves, not the EM section."""
    c1, c2, c3, c4 = st.columns(4)
    mean_help = "The mean m of q(z; φ) = N(m, v), held fixed while θ moves."
    var_help = "The variance v (not σ) of q(z; φ) = N(m, v)."
    m1 = c1.slider("φ₁: q mean", -6.0, 6.0, 2.0, 0.1, key="m1", bind="query-params", help=mean_help)
    v1 = c2.select_slider("φ₁: q variance", tp.VARIANCE_CHOICES, 1.0, key="v1", bind="query-params",
                          help=var_help)
    m2 = c3.slider("φ₂: q mean", -6.0, 6.0, 0.7, 0.1, key="m2", bind="query-params", help=mean_help)
    v2 = c4.select_slider("φ₂: q variance", tp.VARIANCE_CHOICES, 0.1, key="v2", bind="query-params",
                          help=var_help)
    l1, l2 = toy.elbo_curve(x, m1, v1), toy.elbo_curve(x, m2, v2)
    show(learning_figure(grid, lp, [(f"L(x; θ, φ₁), q = N({m1:g}, {v1:g})", l1, ORANGE),
                                    (f"L(x; θ, φ₂), q = N({m2:g}, {v2:g})", l2, GREEN)],
                         title="log p(x; θ) (black) and the lower bounds L(x; θ, φ₁), L(x; θ, φ₂) "
                               "over θ; dots mark where each bound comes closest"),
         key="learning_curves", chars=80)
    gap1, gap2 = (lp - l1).min(), (lp - l2).min()
    j = int(lp.argmax())
    k1, k2, k3 = st.columns(3)
    k1.metric("max_θ log p(x; θ)", f"{lp[j]:.3f}", help=f"at θ = {grid[j]:.2f}")
    k2.metric("closest gap of φ₁", f"{gap1:.3f}", help=f"at θ = {grid[(lp - l1).argmin()]:.2f}")
    k3.metric("closest gap of φ₂", f"{gap2:.3f}", help=f"at θ = {grid[(lp - l2).argmin()]:.2f}")
    if max(gap1, gap2) > 20:
        st.warning("One of the q's is far from every posterior p(z|x; θ) on this θ range "
                   f"(closest gaps {gap1:.1f} and {gap2:.1f} nats): its ELBO curve lies far below "
                   "log p(x; θ) — maximising it over θ would learn from a useless bound.")
    if min(v1, v2) < 1e-3:
        st.warning("A q with variance < 0.001 is almost a point mass: its entropy ½ log(2πe v) → −∞, "
                   "so its whole ELBO curve drops by that amount (but stays finite).")
    if lp.max() < -50:
        st.warning(f"x = {x:g} is far in the tail of p(x; θ) for every θ on the grid "
                   f"(best log p(x; θ) = {lp.max():.1f}).")


bounds_section()

st.subheader("EM-style coordinate ascent")
st.markdown("Alternate the two moves of variational learning: **E-step** — fit q at the current "
            "θ_t (the exact posterior, or the best Gaussian); **M-step** — θ_{t+1} = argmax_θ "
            "L(x; θ, q_t) on the θ grid. With the exact posterior the bound touches log p(x; θ_t), "
            "so log p(x; θ_t) can only go up.")


@st.fragment
def em_section():
    e1, e2, e3 = st.columns(3)
    a0 = e1.slider("start θ₀", float(grid[0]), float(grid[-1]), 0.5, 0.05, key="em_a0",
                   bind="query-params", help="θ₀: the decoder amplitude a the ascent starts from.")
    estep = e2.radio("E-step q", ["exact", "Gaussian"], key="em_q", horizontal=True,
                     bind="query-params", help="q_t fitted at θ_t: the exact posterior "
                                               "p(z|x; θ_t), or the best Gaussian N(m, v).")
    total = 8
    t = e3.slider("steps shown", 1, total, 1, key="em_t",
                  help="How many E/M steps t of the ascent to draw.")
    tr = toy.em_trace(x, a0, total, estep == "exact")
    show(em_figure(grid, lp, tr.thetas, tr.elbo_e, tr.elbo_m, tr.curves, tr.log_px, t,
                   title=f"Coordinate ascent on L(x; θ, q) ({estep} E-step): blue = E-step raises "
                         "the bound at θ_t, red = M-step moves θ along L(x; θ, q_t)"),
         key="em_steps", chars=80)
    s = t - 1
    st.markdown(f"Step {s}: θ_{s} = **{tr.thetas[s]:.2f}**, log p(x; θ_{s}) = "
                f"**{tr.log_px[s]:.3f}**, after the E-step L = **{tr.elbo_e[s]:.3f}** "
                f"(gap {tr.log_px[s] - tr.elbo_e[s]:.3f}); M-step → θ_{s + 1} = "
                f"**{tr.thetas[s + 1]:.2f}**, L = {tr.elbo_m[s]:.3f} ≤ log p(x; θ_{s + 1}) = "
                f"{tr.log_px[s + 1]:.3f}.")
    if estep == "Gaussian":
        st.caption("With a Gaussian q the E-step leaves a gap KL(q_t ‖ p(z|x; θ_t)) > 0: "
                   "variational EM climbs the ELBO, which is not guaranteed to climb log p(x; θ).")


em_section()
