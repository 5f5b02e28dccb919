"""The run-spec form of the Train page: widgets in, a validated RunSpec (or errors) out."""
from __future__ import annotations

import streamlit as st
from pydantic import ValidationError

from explorer import data
from trainer import RunSpec, describe_errors

from ui.widget_state import clamp_state
from ui.family_settings import estimator_choice, family_choice, family_settings, latent_size

LIKELIHOOD_TITLES = {
    "bernoulli": "Bernoulli (images; grey levels scored as continuous BCE)",
    "gaussian_fixed": "Gaussian, fixed variance s² (squared error; s² acts like β)",
    "gaussian_learned": "Gaussian, learned variance σ²(z)",
}
# Up to 10 on purpose: a class can watch a run diverge and read why (trainer/divergence.py).
LEARNING_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0, 3.0, 10.0]


def dataset_options() -> list[str]:
    uploads = sorted(p.stem for p in (data.data_dir() / "uploads").glob("upload-*.npz"))
    return list(data.DATASETS) + uploads


def upload_box():
    """Let a user add a .npz/.npy/.csv data set; errors are shown, never raised."""
    with st.expander("Use your own data (.npz / .npy / .csv of flattened images or points)"):
        st.caption("Rows are examples. An .npz holds `x` and optionally integer labels `y`; "
                   "a .csv may have a `label` column. Integer images in 0–255 are scaled to [0, 1].")
        up = st.file_uploader("Data file", type=["npz", "npy", "csv"], key="upload_file")
        if up is not None and st.button("Add data set"):
            try:
                name = data.save_upload(up.getvalue(), up.name)
            except data.DatasetError as exc:
                st.error(f"Could not use {up.name}: {exc}")
            else:
                st.success(f"Added as **{name}**; pick it in the data set list.")


OBJECTIVE_TITLES = {"elbo": "ELBO (β-VAE)", "iwae": "IWAE bound L_K", "renyi": "Rényi bound L_α"}
REGULARIZER_TITLES = {"kl": "KL(q‖p)", "l2": "L2 to the prior's (0, 1)", "mmd": "MMD² (InfoVAE)"}


def _choice(label: str, options: tuple[str, ...], titles: dict, key: str, column, help: str,
            disabled: bool = False):
    """A selectbox over the family's options (the first when disabled or only one)."""
    clamp_state(key, options, options[0])  # a value left over from another family
    value = column.selectbox(label, list(options), key=key, help=help,
                             disabled=disabled or len(options) < 2,
                             format_func=lambda o: titles.get(o, o))
    return options[0] if disabled else value


def objective_settings(family) -> tuple[str, int, float, str]:
    """Objective, K, α and regulariser, enabled where the family supports them."""
    c1, c2, c3, c4 = st.columns(4)
    objective = _choice("Objective", family.objectives, OBJECTIVE_TITLES, "objective", c1,
                        "What training maximises: the ELBO, the importance-weighted bound "
                        "L_K (Burda et al. 2015) or the Rényi bound L_α (Li & Turner 2016).")
    k = c2.slider("K (importance samples)", 1, 50, 5, key="k", disabled=objective == "elbo",
                  help="Samples z₁ … z_K per data point inside the log of L_K (and L_α); "
                       "K = 1 gives the ELBO.")
    alpha = c3.slider("α", 0.0, 1.0, 0.5, 0.05, key="alpha", disabled=objective != "renyi",
                      help="0 = IWAE L_K, 1 = the K-sample ELBO.")
    regularizer = _choice("Regulariser (β weighs it)", family.regularizers, REGULARIZER_TITLES,
                          "regularizer", c4, "With the ELBO objective, what β weighs: the "
                          "KL, the squared distance of (μ, σ) from (0, 1), or the MMD² "
                          "between the batch's z and N(0, I) samples (L_K and L_α keep the "
                          "KL inside their log weights).", disabled=objective != "elbo")
    return objective, int(k), float(alpha), regularizer


def spec_form() -> tuple[RunSpec | None, bool]:
    """Render the spec widgets; returns (spec or None if invalid, whether Train was pressed)."""
    options = dataset_options()
    # Bound widgets put their *displayed* option in the URL, so options stay short names.
    dataset = st.selectbox("Data set", options, key="dataset", bind="query-params")
    info = data.info(dataset)
    st.caption(f"**{info.title}.** {info.description}")
    points = info.kind == "points"
    family = family_choice()
    c1, c2 = st.columns(2)
    latent_dim = latent_size(family, c1)
    likelihood = c2.selectbox(
        "Decoder likelihood p(x|z)", list(LIKELIHOOD_TITLES), index=1 if points else 0,
        key="likelihood", bind="query-params",
        help="The decoder's distribution of x given z: its log density is the reconstruction "
             "term E_q log p(x|z) of the ELBO.")
    st.caption(LIKELIHOOD_TITLES[likelihood])
    obs_std = 1.0
    if likelihood == "gaussian_fixed":
        obs_std = st.select_slider("Observation std s", [0.01, 0.03, 0.1, 0.3, 1.0, 3.0],
                                   value=0.1 if points else 0.3, key="obs_std",
                                   help="The fixed standard deviation s of p(x|z) = "
                                        "N(x; f(z), s² I): a small s weighs reconstruction "
                                        "heavily against the KL.")
    extra = family_settings(family)
    c1, c2, c3 = st.columns(3)
    beta = c1.number_input("β (KL weight)", 0.0, 100.0, 1.0, 0.1, key="beta", bind="query-params",
                           disabled=family.deterministic,
                           help="With a deterministic q (VQ-VAE) KL(q‖p) = N log K is a "
                                "constant, so β has no effect.")
    epochs = c2.number_input("Epochs", 1, 2000, 30, key="epochs", bind="query-params")
    seed = c3.number_input("Seed", 0, 2**31 - 1, 0, key="seed", bind="query-params")
    with st.expander("More settings"):
        c1, c2, c3 = st.columns(3)
        hidden = c1.text_input("Hidden sizes", "64,64" if points else "400,400", key="hidden",
                               help="Comma-separated; the decoder mirrors the encoder.")
        lr = c2.select_slider("Learning rate", LEARNING_RATES, value=3e-3, key="lr")
        batch_size = c3.select_slider("Batch size", [16, 32, 64, 128, 256, 512], 128, key="batch_size")
        c1, c2 = st.columns(2)
        estimator = estimator_choice(family, c1)
        n_samples = c2.slider("z samples per point", 1, 16, 2 if estimator == "reinforce_loo" else 1,
                              key="n_samples", disabled=family.deterministic,
                              help="How many z ~ q(z|x) each data point draws per step to "
                                   "estimate the ELBO and its gradient.")
        c1, c2 = st.columns(2)
        binarize = c1.checkbox("Dynamic binarisation", False, key="binarize",
                               disabled=likelihood != "bernoulli",
                               help="Resample x ~ Bernoulli(pixel) each step (Burda et al. 2015).")
        objective, k, alpha, regularizer = objective_settings(family)
    try:
        spec = RunSpec(model=family.name, **extra, dataset=dataset, latent_dim=latent_dim, likelihood=likelihood,
                       obs_std=obs_std, beta=beta, epochs=int(epochs), seed=int(seed),
                       hidden=hidden, lr=lr, batch_size=batch_size, n_samples=n_samples,
                       estimator=estimator, objective=objective, k=k, alpha=alpha,
                       regularizer=regularizer,
                       binarize=binarize and likelihood == "bernoulli")
    except ValidationError as exc:
        st.error("These settings cannot be trained:\n\n" + describe_errors(exc).replace("\n", "\n\n"))
        return None, False
    pressed = st.button("Train", type="primary", key="train_button")
    return spec, pressed
