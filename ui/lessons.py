"""The lesson path: the three lectures in their order, one page with preset widgets per step.

Each step names a page, the URL values its widgets start from (the pages bind their
widgets to the query string, so a preset is just a link), one sentence of what to do and
one of what to watch. `?lesson=N` on any page shows the step in the sidebar with Back / Next.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from ui.url_notice import ignored

LECTURES = ("Lecture 1 · Latent variable models and the ELBO",
            "Lecture 2 · The variational autoencoder",
            "Lecture 3 · Discrete latents and gradient estimators")


@dataclass(frozen=True)
class Step:
    lecture: int  # index into LECTURES
    page: str
    title: str
    do: str
    watch: str
    preset: dict = field(default_factory=dict)


STEPS = (
    Step(0, "app_pages/infinite_mixture.py", "A mixture of infinitely many Gaussians",
         "Raise K from 1 to 3, then pick z with the slider in the VAE section.",
         "One Gaussian fits three clusters badly; a continuous z is a Gaussian for every z, and "
         "the marginal p(x) is their sum.", {"mix_dataset": "three_gaussians"}),
    Step(0, "app_pages/digit_completion.py", "The top half of a digit as the latent",
         "Compare the three rows of the table: φ = ½, φ = 1 and φ fitted by SVI.",
         "Neither guess is a good posterior; the fitted φ is, once the model is trained."),
    Step(0, "app_pages/elbo_posterior.py", "The ELBO and the posterior",
         "Move q's mean towards the posterior's mean.",
         "The KL bar shrinks while ELBO + KL stays log p(x): the bound is tight when q = p(z|x).",
         {"q_mean": "-1.0"}),
    Step(0, "app_pages/variational_learning.py", "Variational learning",
         "Step the joint optimisation of θ and φ.",
         "The ELBO rises for both; the per-point φ follows each posterior (SVI)."),
    Step(0, "app_pages/mc_marginals.py", "Monte Carlo marginals",
         "Move the proposal's mean away from the posterior.",
         "Naive sampling from the prior misses the mass; importance sampling with a good q does not."),
    Step(0, "app_pages/bound_ladder.py", "The bound ladder",
         "Read ELBO ≤ L_k ≤ log p(x) as k grows; move α.",
         "More samples close the gap; the gap that is left splits into approximation and amortization."),
    Step(1, "app_pages/train.py", "Train a VAE",
         "Press Train (2-D latent, 30 epochs).",
         "The ELBO rises; its two terms pull against each other (eq. 22).",
         {"dataset": "mnist5k", "epochs": "30"}),
    Step(1, "app_pages/latent_space.py", "The latent space",
         "Click points; look at the manifold and the traversals.",
         "Digits organise themselves in z; the decoder turns every z into an image."),
    Step(1, "app_pages/one_example.py", "One example through the model",
         "Move μ₁ and press Resample ε.",
         "z = μ + σ ⊙ ε moves with μ; the KL term grows as μ leaves 0; the gradient reaches μ and σ "
         "through z, never ε.", {"mu": "1.5"}),
    Step(1, "app_pages/rate_distortion.py", "Rate and distortion",
         "Train the β sweep of a run.",
         "A tighter ELBO does not mean an informative code: large β collapses the latent units."),
    Step(1, "app_pages/rate_distortion.py", "A decoder that needs no code",
         "Train the MLP and the MADE on bars and stripes.",
         "The factorised decoder puts the pattern in z (about log 32 nats); the autoregressive "
         "one models the pixels itself and keeps little more than the orientation (log 2)."),
    Step(1, "app_pages/objectives_compare.py", "Training on a tighter bound",
         "Train the line-up, then evaluate it with k = 5000.",
         "IWAE k = 50 beats k = 1 on L_5000; with the pathwise gradient k = 1 at d = 50 collapses, "
         "with DReG it does not — the estimator matters as much as the bound."),
    Step(1, "app_pages/ab_compare.py", "A/B: two runs",
         "Pick a β = 1 and a β = 4 run (or reparam vs REINFORCE).",
         "The same views side by side: what one setting changes."),
    Step(2, "app_pages/estimator_race.py", "The estimator race",
         "Compare the pathwise and the score-function estimators.",
         "Both are unbiased; the score function is far noisier without a baseline.",
         {"race_family": "normal"}),
    Step(2, "app_pages/reparam_families.py", "Reparameterizable families",
         "Pick gamma, then beta.",
         "z = g(φ, ε) transports ε; the change of variables gives q's density.",
         {"rf_family": "gamma"}),
    Step(2, "app_pages/gumbel.py", "Gumbel-max and Gumbel-softmax",
         "Lower τ towards 0.1, then raise it to 5.",
         "Small τ: samples near one-hot, gradients noisy; large τ: smooth but biased.",
         {"gm_tau": "0.1"}),
    Step(2, "app_pages/relaxation_bias.py", "Relaxation bias",
         "Move the target t.",
         "The relaxed estimators are biased; REBAR is not."),
    Step(2, "app_pages/smoothing.py", "Smoothing transformations",
         "Move β.",
         "The spike-and-exponential smoothing approaches the hard bit as β grows (the text's Figure 1)."),
    Step(2, "app_pages/discrete_codes.py", "Categorical and binary codes",
         "Pick a trained categorical or DVAE run.",
         "Which codes the encoder uses, and what each decodes to."),
    Step(2, "app_pages/vq_codebook.py", "The VQ-VAE codebook",
         "Look at code usage and the commitment sweep.",
         "Dead codes, perplexity and what β_c trades off."),
    Step(2, "app_pages/discrete_compare.py", "Discrete vs Gaussian",
         "Train the standard line-up.",
         "Every model's test ELBO on the same footing."),
)


def step_query(index: int) -> dict:
    return {**STEPS[index].preset, "lesson": str(index + 1)}


def current_step() -> int | None:
    """The step named by ?lesson=N (1-based), or None (a bad value gets a notice)."""
    raw = st.query_params.get("lesson")
    if raw is None:
        return None
    try:
        n = int(raw)
    except ValueError:
        n = 0
    if 1 <= n <= len(STEPS):
        return n - 1
    ignored("lesson", raw, f"lesson steps are numbered 1 to {len(STEPS)}; no step is shown.")
    return None


def go(index: int):
    st.switch_page(STEPS[index].page, query_params=step_query(index))


def lesson_bar():
    """Sidebar card of the current lesson step with Back / Next (only under ?lesson=N)."""
    i = current_step()
    if i is None:
        return
    step = STEPS[i]
    with st.sidebar:
        st.markdown(f"**Lesson {i + 1} of {len(STEPS)}** · {LECTURES[step.lecture].split(' · ')[0]}")
        st.markdown(f"**{step.title}**  \n👉 {step.do}  \n👀 {step.watch}")
        back, nxt = st.columns(2)
        if back.button("◀ Back", key="lesson_back", disabled=i == 0):
            go(i - 1)
        if nxt.button("Next ▶", key="lesson_next", disabled=i == len(STEPS) - 1):
            go(i + 1)
