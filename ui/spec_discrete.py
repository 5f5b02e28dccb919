"""Spec widgets of the model kinds: which latent, and the settings only that kind reads."""
from __future__ import annotations

import streamlit as st

from explorer.models import ESTIMATORS_BY_KIND

MODEL_TITLES = {
    "gaussian": "Gaussian z ~ N(μ, σ²) — the reparameterisation trick",
    "categorical": "Categorical z: N variables × K categories, Gumbel-softmax relaxation (§2.2)",
    "dvae": "Binary z smoothed by the spike-and-exponential f1 — Rolfe's DVAE (§2.3)",
    "vqvae": "VQ-VAE: N positions snap to the nearest of K codebook vectors (§2.4)",
}
ESTIMATOR_HELP = {
    "gaussian": "How ∇_φ E_q[log p(x|z)] is estimated: the reparameterisation trick, the score "
                "function (REINFORCE), or REINFORCE with a leave-one-out baseline (≥ 2 samples).",
    "categorical": "Gumbel-softmax feeds the decoder relaxed samples (biased, low variance); "
                   "straight-through feeds one-hot samples with the relaxed gradient; REINFORCE "
                   "is unbiased and noisy.",
    "dvae": "ζ = f1(β, q, ε) is a reparameterised draw, so the gradient passes through q.",
    "vqvae": "The decoder's gradient is copied from z_q to z_e (straight-through).",
}
LATENT_SLIDERS = {  # key (gaussian keeps the historical URL name), label, default
    "gaussian": ("latent_dim", "Latent dimension d", 2),
    "categorical": ("cat_vars", "Categorical variables N", 20),
    "dvae": ("dvae_bits", "Binary latents d", 32),
    "vqvae": ("vq_positions", "Code positions N", 8),
}


def model_choice() -> str:
    model = st.selectbox("Latent variable", list(MODEL_TITLES), key="model", bind="query-params")
    st.caption(MODEL_TITLES[model])
    return model


def latent_size(model: str, column) -> int:
    key, label, default = LATENT_SLIDERS[model]
    return column.slider(label, 1, 64, default, key=key, bind="query-params")


def estimator_choice(model: str, column) -> str:
    options = list(ESTIMATORS_BY_KIND[model])
    return column.selectbox("Encoder gradient estimator", options, key=f"estimator_{model}",
                            disabled=len(options) == 1, help=ESTIMATOR_HELP[model])


def discrete_settings(model: str) -> dict:
    """The RunSpec fields only `model` reads, as widgets (none for a Gaussian model)."""
    if model == "categorical":
        c1, c2, c3, c4 = st.columns(4)
        st.caption("Temperature schedule τ_t = max(τ_min, τ₀·exp(−r t)), t = Adam steps "
                   "(Jang et al. 2017); the Gumbel-max & softmax page draws it.")
        return dict(
            n_categories=c1.slider("Categories K", 2, 64, 10, key="cat_k", bind="query-params"),
            tau0=c2.select_slider("τ₀", [0.5, 1.0, 2.0, 5.0], 1.0, key="tau0"),
            tau_min=c3.select_slider("τ_min", [0.05, 0.1, 0.2, 0.5, 1.0], 0.5, key="tau_min"),
            anneal_rate=c4.select_slider("rate r", [0.0, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2], 1e-3,
                                         key="anneal_rate"),
        )
    if model == "dvae":
        c1, c2 = st.columns(2)
        smoothing = c1.radio("Smoothing r(ζ|z)", ["spike_exponential", "overlapping_exponential"],
                             key="smoothing", bind="query-params",
                             help="spike_exponential (Rolfe 2016, f1): ζ = 0 exactly when z = 0. "
                                  "overlapping_exponential (DVAE++, Vahdat et al. 2018): both "
                                  "bit values are smoothed, e^{−βζ} and e^{β(ζ−1)}.")
        beta = c2.select_slider("Smoothing sharpness β", [1.0, 2.0, 5.0, 10.0, 20.0, 50.0],
                                5.0, key="smoothing_beta",
                                help="Large β: ζ is nearly the bit itself, but ∂ζ/∂q is "
                                     "concentrated near the ends (see Smoothing transformations).")
        return dict(smoothing_beta=beta, smoothing=smoothing)
    if model == "vqvae":
        c1, c2, c3 = st.columns(3)
        out = dict(
            n_categories=c1.select_slider("Codebook size K", [4, 8, 16, 32, 64, 128, 256, 512], 64,
                                          key="vq_k", bind="query-params"),
            code_dim=c2.select_slider("Code dimension D", [2, 4, 8, 16, 32, 64], 16, key="code_dim"),
            commitment=c3.select_slider("Commitment β_c", [0.0, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0],
                                        0.25, key="commitment", bind="query-params"),
        )
        c1, c2 = st.columns(2)
        out["codebook_update"] = c1.radio("Codebook update", ["loss", "ema"], key="codebook_update",
                                          horizontal=True, bind="query-params",
                                          help="loss: ‖sg[z_e] − e‖² trains the codes; ema: "
                                               "running means of the encoder outputs assigned "
                                               "to each code (van den Oord et al., App. A.1).")
        out["ema_decay"] = c2.select_slider("EMA decay γ", [0.9, 0.95, 0.99, 0.999], 0.99,
                                            key="ema_decay",
                                            disabled=out["codebook_update"] != "ema")
        return out
    return {}
