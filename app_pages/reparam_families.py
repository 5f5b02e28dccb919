"""Reparameterizable families: z = g(φ, ε) as a transport map, the change of variables
density, and why the pathwise gradient beats the score function (lecture §1.6–1.7)."""
import streamlit as st

from explorer.estimators import transport as tr
from explorer.plots.transport import density_figure, transport_figure, variance_figure
from ui import transport_data as td
from ui.figures import show

KIND = {"normal": "location-scale: z = μ + σε, ε ~ N(0, 1)",
        "laplace": "inverse CDF: z = μ − σ·sign(u − ½)·log(1 − 2|u − ½|), u ~ U(0, 1)",
        "logistic": "inverse CDF: z = μ + σ·log(u / (1 − u)), u ~ U(0, 1)",
        "exponential": "inverse CDF: z = −log(1 − u) / λ, u ~ U(0, 1)",
        "lognormal": "transformation: z = exp(μ + σε), ε ~ N(0, 1)",
        "kumaraswamy": "inverse CDF: z = (1 − (1 − u)^{1/b})^{1/a}, u ~ U(0, 1)",
        "gamma": "no closed-form F⁻¹: z = F⁻¹(u) numerically (torch itself uses implicit "
                 "reparameterisation, ∂z/∂θ = −(∂F/∂θ)/q)",
        "beta": "no closed-form F⁻¹: z = F⁻¹(u) numerically (torch itself uses implicit "
                "reparameterisation, ∂z/∂θ = −(∂F/∂θ)/q)"}

st.title("Reparameterizable families")
st.markdown(
    "A family is *reparameterizable* when a sample can be written as a deterministic, "
    "differentiable map of parameter-free noise. Then ∇_φ E_q[f(z)] = E_ε[∇_φ f(g(φ, ε))] "
    "— the pathwise gradient — and the density of z follows from the change of variables.")
l1, l2 = st.columns(2)
l1.latex(r"z = g(\phi, \varepsilon),\qquad \varepsilon \sim p(\varepsilon)")
l2.latex(r"\log q_\phi(z) = \log p(\varepsilon) - \log\left|\frac{\partial z}{\partial \varepsilon}\right|")
st.caption("Student's t (its degrees of freedom get no gradient) and the Dirichlet "
           "(K-dimensional) are left out: this page draws 1-D maps.")

c1, c2, c3, c4 = st.columns([2, 2, 2, 2])
family = c1.selectbox("family of q", tr.SUPPORTED, key="rf_family", bind="query-params",
                      help="The distribution written as z = g(φ, ε): a transform of a fixed "
                           "noise ε.")
values = []
for col, (name, (label, lo, hi, default, step)), slot in zip((c2, c3), tr.SLIDERS[family].items(), "ab"):
    values.append(col.slider(label, lo, hi, default, step, key=f"rf_{slot}_{family}",
                             bind="query-params",
                             help="A parameter φ of q; g(φ, ε) and the pathwise gradient "
                                  "∂z/∂φ change with it."))
values = tuple(values)
target = c4.slider("cost target t in f(z) = (z − t)²", -2.0, 3.0, 1.0, 0.1, key="rf_t",
                   bind="query-params",
                   help="The point t the quadratic cost pulls z toward.")
st.markdown(f"**{family}** — {KIND[family]}")

pic = td.picture(family, values)
base = "ε ~ N(0, 1)" if tr.base(family) == "normal" else "u ~ U(0, 1)"
left, right = st.columns(2)
with left:
    show(transport_figure(pic["eps_curve"], pic["z_curve"], pic["eps"], pic["z"],
                          title=f"Transport map z = g(φ, ε) of {family}: noise {base} on the "
                                "horizontal axis, 40 sample pairs traced to z",
                          eps_title=base.split(" ~ ")[0]), key="rf_map", chars=60)
    st.caption("Each noise draw is pushed through the same monotone map; where the curve is "
               "steep, nearby noise values are spread apart and q(z) is low.")
with right:
    show(density_figure(pic["z"], pic["z_grid"], pic["change_of_variables"], pic["log_prob"],
                        title=f"{len(pic['z'])} transported samples and the change of variables "
                              "q(z) = p(ε) / |∂z/∂ε| (solid) vs torch log_prob (dashed)"),
         key="rf_density", chars=60)
    err = float(abs(pic["change_of_variables"] - pic["log_prob"]).max())
    st.caption(f"∂z/∂ε comes from autograd through g; the two curves agree to {err:.1e} in "
               "log q on the plotted grid.")

var = td.variances(family, values, target)
show(variance_figure(var["params"], var["variance"],
                     title=f"Variance of one gradient estimate of E_q[(z − {target:g})²] (S = 2 "
                           "samples each, log scale): pathwise ∇_φ f(g(φ, ε)) vs score function "
                           "f(z) ∇_φ log q(z)"), key="rf_variance", chars=90)
st.caption("Exact gradient (quadrature): " + ", ".join(
    f"∂/∂{p} = {g:.4g}" for p, g in zip(var["params"], var["exact"]))
    + ". The pathwise estimator uses f′, the score function only f's values — hence its "
      "larger variance, which the leave-one-out baseline reduces only partly.")
