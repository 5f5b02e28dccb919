"""VAE Explorer — entry point.  Run:  streamlit run app.py"""
import streamlit as st

st.set_page_config(page_title="VAE Explorer", page_icon="🧭", layout="wide")

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
    ],
    "Gradient estimators": [
        st.Page("app_pages/estimator_race.py", title="Estimator race", icon=":material/sprint:"),
        st.Page("app_pages/relaxation_bias.py", title="Relaxation bias",
                icon=":material/thermostat:"),
        st.Page("app_pages/estimators_vae.py", title="On a real VAE", icon=":material/neurology:"),
    ],
}
st.navigation(pages).run()
