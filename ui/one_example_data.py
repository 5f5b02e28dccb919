"""The One example page's cached forward pass and its widgets (the work is
explorer.views.one_example): the dimension j, the ε seed with its "Resample ε" button, and the
μ_j / σ_j override sliders, all kept in the URL."""
from __future__ import annotations

import streamlit as st

from explorer.views import one_example

from ui.latent_data import model_for, test_codes
from ui.url_notice import ignored
from ui.widget_state import clamp_state

MU_RANGE, SIGMA_RANGE, STEP = (-5.0, 5.0), (0.01, 3.0), 0.01
MAX_SEED = 1_000_000
_CONTEXT = "_one_example_context"


@st.cache_data(max_entries=256, show_spinner=False)
def forward(run_id: str, epoch: int, dataset: str, index: int, seed: int,
            mu_override: tuple = (), sigma_override: tuple = ()) -> dict:
    """forward_pass for test point `index` with ε from `seed`; overrides as ((j, value), …)."""
    model = model_for(run_id, epoch)
    x = test_codes(run_id, epoch, dataset)["x"][index]
    eps = one_example.draw_eps(model, seed)
    return one_example.forward_pass(model, x, eps, dict(mu_override), dict(sigma_override))


def path_note(run_id: str, epoch: int) -> str | None:
    return one_example.path_note(model_for(run_id, epoch))


def _number(text, cast=float):
    try:
        return cast(text)
    except (TypeError, ValueError):
        return None


def check_link(params, n_points: int, d: int) -> None:
    """Name the link values the widgets will ignore, with the range each one takes (the
    generic notice of ui.url_notice cannot know a range)."""
    checks = {"point": (int, 0, n_points - 1, "a test point index"),
              "dim": (int, 1, d, "a latent dimension j"),
              "eps": (int, 0, MAX_SEED, "an ε seed"),
              "mu": (float, *MU_RANGE, "a value of μ_j"),
              "sigma": (float, *SIGMA_RANGE, "a value of σ_j")}
    for key, (cast, lo, hi, what) in checks.items():
        raw = params.get(key)
        if raw is None:
            continue
        value = _number(raw, cast)
        if value is None or not lo <= value <= hi:
            ignored(key, raw, f"{what} must be a number from {lo:g} to {hi:g}; using the "
                              "default instead.")


def dimension_input(d: int, container=st) -> int:
    """The latent dimension j the sliders act on, 1-based on screen (z₁ … z_d), 0-based returned."""
    clamp_state("dim", range(1, d + 1), 1)
    return int(container.number_input(
        "Dimension j", 1, d, 1, key="dim", bind="query-params",
        help="Which latent coordinate z_j the μ_j and σ_j sliders override and the graph "
             "highlights (j = 1 … d, as in eq. 22).")) - 1


def _bump_seed():
    st.session_state["eps"] = (int(st.session_state.get("eps", 0)) + 1) % (MAX_SEED + 1)


def eps_controls(container=st) -> int:
    """The seed of ε ~ N(0, I) and a button drawing a new ε; the seed is in the URL (?eps=…)."""
    clamp_state("eps", range(MAX_SEED + 1), 0)
    seed = container.number_input(
        "ε seed", 0, MAX_SEED, 0, key="eps", bind="query-params",
        help="ε ~ N(0, I) is the sampled input of z = μ + σ ⊙ ε (eq. 25); the same seed gives "
             "the same ε, so a link reproduces this draw.")
    container.button("Resample ε", key="resample_eps", on_click=_bump_seed,
                     help="Draw a new ε (next seed): z, the decoded image and the "
                          "reconstruction term move, the KL (eq. 22) does not — it has no ε.")
    return int(seed)


def _defaults(mu_j: float, sigma_j: float) -> tuple[float, float]:
    mu = min(max(round(mu_j, 2), MU_RANGE[0]), MU_RANGE[1])
    return mu, min(max(round(sigma_j, 2), SIGMA_RANGE[0]), SIGMA_RANGE[1])


def _reset(mu: float, sigma: float):
    st.session_state["mu"], st.session_state["sigma"] = mu, sigma


def override_sliders(context: tuple, j: int, mu_j: float, sigma_j: float,
                     columns) -> tuple[dict, dict]:
    """Sliders for μ_j and σ_j starting at the encoder's values, and a reset button; returns
    the overrides ({j: value}, {j: value}), empty while a slider sits at the encoder's value.
    A new run, point or dimension (`context`) puts both sliders back to the encoder."""
    mu0, sigma0 = _defaults(mu_j, sigma_j)
    if st.session_state.get(_CONTEXT, context) != context:
        _reset(mu0, sigma0)
    st.session_state[_CONTEXT] = context
    label = f"z{j + 1}"
    mu = columns[0].slider(
        f"μ_{j + 1} (override)", *MU_RANGE, mu0, STEP, key="mu", bind="query-params",
        help=f"The posterior mean μ_φ(x)_{j + 1} of {label}; the encoder says {mu_j:.3f}. "
             "Moving it shifts z_j = μ_j + σ_j ε_j one for one (∂z/∂μ = 1) and the KL term "
             "½ μ_j² of eq. 22.")
    sigma = columns[1].slider(
        f"σ_{j + 1} (override)", *SIGMA_RANGE, sigma0, STEP, key="sigma", bind="query-params",
        help=f"The posterior standard deviation σ_φ(x)_{j + 1}; the encoder says {sigma_j:.3f}. "
             "It scales ε_j in z_j (∂z/∂σ = ε) and enters eq. 22 as ½ (σ_j² − 1 − log σ_j²).")
    columns[2].button("Reset to the encoder", key="reset_override", on_click=_reset,
                      args=(mu0, sigma0), help="Put μ_j and σ_j back to the encoder's q(z|x).")
    mu_over = {j: float(mu)} if abs(mu - mu0) > 1e-9 else {}
    sigma_over = {j: float(sigma)} if abs(sigma - sigma0) > 1e-9 else {}
    return mu_over, sigma_over
