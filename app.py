"""VAE Explorer — entry point.  Run:  streamlit run app.py"""
import streamlit as st

from ui.state import get_executor

st.set_page_config(page_title="VAE Explorer", page_icon="🧭", layout="wide")
get_executor()  # created once per server: starts workers for runs queued before it started

pages = {
    "VAE": [
        st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
        st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
        st.Page("app_pages/latent_space.py", title="Latent space", icon=":material/scatter_plot:"),
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
st.navigation(pages).run()
