"""VAE Explorer — entry point.  Run:  streamlit run app.py"""
import streamlit as st

st.set_page_config(page_title="VAE Explorer", page_icon="🧭", layout="wide")

pages = [
    st.Page("app_pages/home.py", title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("app_pages/latent_space.py", title="Latent space", icon=":material/scatter_plot:"),
]
st.navigation(pages).run()
