"""Home: what the app is, where to start, and what is training right now."""
import streamlit as st

from trainer.class_models import CLASS_IDS
from ui.preparation import trainer_command
from ui.state import get_store, run_label

st.title("VAE Explorer")
st.markdown(
    "Train small **variational autoencoders** in the background and see what the lectures "
    "say: latent spaces, the evidence lower bound (ELBO) and its two terms, and how the "
    "prior shapes what the encoder learns. A VAE pairs a decoder p(x|z) with an encoder "
    "q(z|x) and maximises, for every data point,"
)
st.latex(r"\log p_\theta(x) \;=\; \underbrace{\mathbb{E}_{q_\phi(z|x)}\Big[\log "
         r"\frac{p_\theta(x,z)}{q_\phi(z|x)}\Big]}_{\text{ELBO}} \;+\; "
         r"\mathrm{KL}\big(q_\phi(z|x)\,\|\,p_\theta(z|x)\big)")
st.markdown(
    "**Where to start**\n"
    "1. **Train** — press *Train* on the default settings: a 2-D latent VAE on 4,000 real "
    "MNIST digits trains in a background worker in about 15–25 s; watch the ELBO rise.\n"
    "2. **Latent space** — see where each digit lands in z, decode a grid of z into images, "
    "click a point to see its reconstruction and samples from q(z|x), interpolate, traverse.\n\n"
    "**Bounds lab** — the identity above, made visible: **ELBO & posterior** (move q, watch "
    "ELBO + KL add up to log p(x)), **Variational learning** (lower bounds touching "
    "log p(x;θ), EM step by step), **Monte Carlo marginals** (why sampling the prior fails), "
    "**Bound ladder** (ELBO ≤ L_k ≤ log p(x) for a trained model, Rényi bounds, where the "
    "gap comes from) and **Gaps over training**.\n\n"
    "**Gradient estimators** — REINFORCE against the reparameterisation trick on toy costs "
    "and on a real encoder, the bias a relaxation buys, and REBAR, which removes it.\n\n"
    "**Discrete latents** — the Gumbel-max trick and its softmax relaxation, the smoothing "
    "transformations of binary latents, and three discrete VAEs you can train on the Train "
    "page (categorical with Gumbel-softmax, Rolfe's DVAE, VQ-VAE): inspect their codes and "
    "compare their test bounds with a Gaussian VAE's.\n\n"
    "Runs keep training when you switch pages or close the tab. On its first start with an "
    "empty store the app trains the **class models** every page needs (a 2-D and a 20-D "
    "Gaussian VAE, a categorical VAE, a DVAE and a VQ-VAE on mnist5k, a 1-D VAE on three "
    "Gaussians) in the background: about a minute on an otherwise idle two-core machine. "
    "Until a page's run has its first checkpoint, the page shows its progress. A teacher "
    "can train them before class, and any other run, from the project folder:"
)
st.code(f"make pretrain    # or: {trainer_command('pretrain --wait')}\n"
        f"{trainer_command('train --dataset mnist5k --latent-dim 2 --epochs 30 --seed 1')}",
        language="bash")


@st.fragment(run_every=2.0)
def training_now():
    store = get_store()
    active = store.list(("running", "queued"))
    st.subheader("Training now")
    done = store.list(("done",))
    ready = sum(r.run_id in CLASS_IDS for r in done)
    st.caption(f"Class models ready: {ready} of {len(CLASS_IDS)} · store `{store.root}`")
    if not active:
        st.caption(f"Nothing is training. {len(done)} finished run(s) in the store.")
        return
    for rec in active:
        st.progress(rec.progress, text=run_label(rec))


training_now()
