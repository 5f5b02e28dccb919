"""VAE Explorer — entry point.  Run:  streamlit run app.py"""
import os

# One torch thread in the server (before anything imports torch): sessions share the cores, and
# a second intra-op thread mostly waits for one — on 2 busy cores a Relaxation bias sweep took
# 2.1 s with two threads and 0.14 s with one. Workers set their own (trainer/executor.py).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import streamlit as st  # noqa: E402

from ui.jobs import teacher_login  # noqa: E402
from ui.lessons import lesson_bar  # noqa: E402
from ui.preparation import prepare_class_models  # noqa: E402
from ui.presentation import presentation_switch  # noqa: E402
from ui.state import get_executor  # noqa: E402
from ui.url_notice import collecting  # noqa: E402

st.set_page_config(page_title="VAE Explorer", page_icon="🧭", layout="wide")
get_executor()  # created once per server: starts workers for runs queued before it started
prepare_class_models()  # a fresh store: queue the runs every page needs, once

pages = {
    "VAE": [
        st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("app_pages/lessons.py", title="Lesson path", icon=":material/school:"),
        st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("app_pages/latent_space.py", title="Latent space", icon=":material/scatter_plot:"),
        st.Page("app_pages/ab_compare.py", title="A/B runs", icon=":material/compare:"),
        st.Page("app_pages/one_example.py", title="One example", icon=":material/account_tree:"),
        st.Page("app_pages/infinite_mixture.py", title="Infinite mixture", icon=":material/blur_on:"),
    ],
    "Bounds lab": [
        st.Page("app_pages/elbo_posterior.py", title="ELBO & posterior", icon=":material/area_chart:"),
        st.Page("app_pages/variational_learning.py", title="Variational learning",
                icon=":material/trending_up:"),
        st.Page("app_pages/mc_marginals.py", title="Monte Carlo marginals", icon=":material/casino:"),
        st.Page("app_pages/bound_ladder.py", title="Bound ladder",
                icon=":material/stacked_line_chart:"),
        st.Page("app_pages/gaps_training.py", title="Gaps over training", icon=":material/timeline:"),
        st.Page("app_pages/rate_distortion.py", title="Rate and distortion",
                icon=":material/scatter_plot:"),
        st.Page("app_pages/digit_completion.py", title="Top half of a digit", icon=":material/draw:"),
        st.Page("app_pages/objectives_compare.py", title="Objectives compared", icon=":material/leaderboard:"),
    ],
    "Gradient estimators": [
        st.Page("app_pages/estimator_race.py", title="Estimator race", icon=":material/sprint:"),
        st.Page("app_pages/relaxation_bias.py", title="Relaxation bias",
                icon=":material/thermostat:"),
        st.Page("app_pages/estimators_vae.py", title="On a real VAE", icon=":material/neurology:"),
        st.Page("app_pages/reparam_families.py", title="Reparameterizable families",
                icon=":material/transform:"),
    ],
    "Discrete latents": [
        st.Page("app_pages/gumbel.py", title="Gumbel-max & softmax", icon=":material/casino:"),
        st.Page("app_pages/smoothing.py", title="Smoothing transformations",
                icon=":material/ssid_chart:"),
        st.Page("app_pages/discrete_codes.py", title="Categorical & binary codes",
                icon=":material/grid_view:"),
        st.Page("app_pages/vq_codebook.py", title="VQ-VAE codebook", icon=":material/hub:"),
        st.Page("app_pages/discrete_compare.py", title="Discrete vs Gaussian",
                icon=":material/leaderboard:"),
    ],
}
navigation = st.navigation(pages)
# A link value the page could not use: a notice at the top, not silence.
with collecting(navigation.url_path):
    teacher_login()  # classroom mode only: the teacher unlocks training in this browser
    lesson_bar()  # under ?lesson=N: the step's instructions with Back / Next
    presentation_switch()
    navigation.run()
