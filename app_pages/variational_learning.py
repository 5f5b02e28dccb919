"""Variational learning: ELBO curves over θ lie below log p(x; θ); EM-style coordinate ascent."""
import streamlit as st

from explorer.toys import learning as tl
from explorer.toys import posterior as tp
from explorer.plots.toys import GREEN, GREY, ORANGE, em_figure, learning_figure
from ui import live
from ui import toy_data as toy
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
MEAN_HELP = "The mean m of q(z; φ) = N(m, v), held fixed while θ moves."
VAR_HELP = "The variance v (not σ) of q(z; φ) = N(m, v)."
Q = (live.control("x", "Observation x", url="vl_x", lo=-3.0, hi=6.0, step=0.1,
                  help="x: the one observed data point; log p(x; θ) and every bound are for it."),
     live.control("m1", "φ₁: q mean", url="m1", lo=-6.0, hi=6.0, step=0.1, help=MEAN_HELP),
     live.control("v1", "φ₁: q variance", url="v1", options=tp.VARIANCE_CHOICES, help=VAR_HELP),
     live.control("m2", "φ₂: q mean", url="m2", lo=-6.0, hi=6.0, step=0.1, help=MEAN_HELP),
     live.control("v2", "φ₂: q variance", url="v2", options=tp.VARIANCE_CHOICES, help=VAR_HELP))
Q_DEFAULTS = {"x": tp.X0, "m1": 2.0, "v1": 1.0, "m2": 0.7, "v2": 0.1}
MODEL = {**toy.LIVE_MODEL, "grid": grid.tolist()}
live.link_notices(Q)


@st.fragment
def bounds_figure(x: float, m1: float, v1: float, m2: float, v2: float):
    l1, l2 = toy.elbo_curve(x, m1, v1), toy.elbo_curve(x, m2, v2)
    return learning_figure(grid, toy.evidence_curve(x),
                           [(f"L(x; θ, φ₁), q = N({m1:g}, {v1:g})", l1, ORANGE),
                            (f"L(x; θ, φ₂), q = N({m2:g}, {v2:g})", l2, GREEN)],
                           title="log p(x; θ) (black) and the lower bounds L(x; θ, φ₁), "
                                 "L(x; θ, φ₂) over θ; dots mark where each bound comes closest")


def bounds_section():
    """Its own fragment: x and the four q sliders redraw these curves in the browser (ui/live)."""
    v = live.current("vl_live", Q, Q_DEFAULTS)
    live.reporting_view("learning", "bounds", key="vl_live", group="vl", values=v, controls=Q,
                        filename="learning_curves", data=MODEL,
                        figure=live.figure(bounds_figure, v["x"], v["m1"], v["v1"], v["m2"],
                                           v["v2"], key="learning_curves", chars=80))


bounds_section()

st.subheader("EM-style coordinate ascent")
st.markdown("Alternate the two moves of variational learning: **E-step** — fit q at the current "
            "θ_t (the exact posterior, or the best Gaussian); **M-step** — θ_{t+1} = argmax_θ "
            "L(x; θ, q_t) on the θ grid. With the exact posterior the bound touches log p(x; θ_t), "
            "so log p(x; θ_t) can only go up.")


TOTAL = 8  # E/M steps of the ascent
EM = (live.control("a0", "start θ₀", url="em_a0", lo=float(grid[0]), hi=float(grid[-1]), step=0.05,
                   help="θ₀: the decoder amplitude a the ascent starts from."),
      live.control("t", "steps shown", url="em_t", lo=1, hi=TOTAL, step=1,
                   help="How many E/M steps t of the ascent to draw."))
live.link_notices(EM)
url_notices(st.query_params, options={"em_q": (("exact", "Gaussian"), "the E-step q")})


def em_steps_figure(x: float, a0: float, estep: str):
    tr = toy.em_trace(x, a0, TOTAL, estep == "exact")
    return em_figure(grid, toy.evidence_curve(x), tr.thetas, tr.elbo_e, tr.elbo_m, tr.curves,
                     tr.log_px, TOTAL,
                     title=f"Coordinate ascent on L(x; θ, q) ({estep} E-step): blue = E-step "
                           "raises the bound at θ_t, red = M-step moves θ along L(x; θ, q_t)")


@st.fragment
def em_section():
    """θ₀ and the steps shown move in the browser (ui/live): it computes the ascent there for
    the x of the curves above; the E-step choice is a server widget (a new trace to open with)."""
    estep = st.radio("E-step q", ["exact", "Gaussian"], key="em_q", horizontal=True,
                     bind="query-params", help="q_t fitted at θ_t: the exact posterior "
                                               "p(z|x; θ_t), or the best Gaussian N(m, v).")
    x = live.current("vl_live", Q, Q_DEFAULTS)["x"]
    v = {"x": x, **live.current("em_live", EM, {"a0": 0.5, "t": 1})}
    live.reporting_view("learning", "em", key="em_live", group="vl", values=v, controls=EM,
                        filename="em_steps",
                        figure=live.figure(em_steps_figure, x, v["a0"], estep, key="em_steps",
                                           chars=80),
                        data={**MODEL, "total": TOTAL, "exact": estep == "exact",
                              "colors": {"orange": ORANGE, "grey": GREY}})
    if estep == "Gaussian":
        st.caption("With a Gaussian q the E-step leaves a gap KL(q_t ‖ p(z|x; θ_t)) > 0: "
                   "variational EM climbs the ELBO, which is not guaranteed to climb log p(x; θ).")


em_section()
