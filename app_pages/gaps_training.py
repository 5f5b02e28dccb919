"""Gaps over training: ELBO, L_k and log p(x) recorded by the trainer every few epochs."""
import streamlit as st

from explorer.plots.bounds import bounds_over_training
from explorer.plots.learning import reveal_timeline
from ui.figures import show
from ui.posterior_family_data import posterior_siblings
from ui.preparation import trainer_command
from ui.run_picker import pick_run
from ui.state import get_store

st.title("Gaps over training")
st.markdown("While a run trains, the trainer evaluates on a fixed set of test points the ELBO, "
            "the IWAE bound L_k and the exact log-likelihood — by numerical integration when a "
            "Gaussian latent space has at most two dimensions, by summing over every code for a "
            "categorical latent with at most 4,096 codes (e.g. 3 variables × 16 categories). "
            "Their distances are the gaps:")
st.latex(r"\underbrace{\log p(x) - \mathcal{L}_k}_{\text{left after importance weighting}}"
         r"\;+\;\underbrace{\mathcal{L}_k - \text{ELBO}}_{\text{recovered by } k \text{ samples}}"
         r"\;=\; \mathrm{KL}\big(q(z|x)\,\|\,p(z|x)\big) \text{ on average}")


@st.fragment(run_every=2.0)
def gaps_view(run_id: str):
    rec = get_store().get(run_id)
    ev = get_store().evals(run_id)
    names = {"bound_elbo": "ELBO", "bound_iwae": f"L_{rec.spec.bounds_k}", "bound_exact": "log p(x) (exact)"}
    have = {names[k]: v for k, v in ev.items() if k in names}
    if not have:
        st.info("This run records no bounds: its spec has bounds_every = 0, it is a VQ-VAE (a "
                "point-mass q gives no importance weights), or it has not reached its first "
                "evaluation yet.")
        return
    st.caption(f"{rec.status} · averaged over the first {rec.spec.bounds_points} test points · "
               f"every {rec.spec.bounds_every} epochs")
    show(bounds_over_training({k: v["epoch"] for k, v in have.items()},
                              {k: v["value"] for k, v in have.items()}), key=f"bounds_{run_id}")
    elbo, lk = have["ELBO"], have[names["bound_iwae"]]
    gaps = {f"L_{rec.spec.bounds_k} − ELBO": [b - a for a, b in zip(elbo["value"], lk["value"])]}
    epochs = {f"L_{rec.spec.bounds_k} − ELBO": elbo["epoch"]}
    if "log p(x) (exact)" in have:
        ex = have["log p(x) (exact)"]["value"]
        gaps["log p(x) − ELBO"] = [b - a for a, b in zip(elbo["value"], ex)]
        gaps[f"log p(x) − L_{rec.spec.bounds_k}"] = [b - a for a, b in zip(lk["value"], ex)]
        epochs.update({k: elbo["epoch"] for k in gaps})
    fig = bounds_over_training(epochs, gaps, title="The gaps between them (nats per example); ▶ "
                               "replays them epoch by epoch, the slider scrubs")
    show(reveal_timeline(fig) if rec.status not in ("queued", "running") else fig,
         key=f"gaps_{run_id}")


def posterior_comparison(rec):
    """The recorded inference gap of the runs that differ from `rec` only in q's family."""
    st.subheader("Richer posteriors on the same data")
    st.markdown("The gap log p(x) − ELBO is KL(q(z|x) ‖ p(z|x)): a richer family of q — full "
                "covariance, a flow — can shrink it (Cremer et al. 2018). Runs that differ only "
                "in `posterior` (same data, seed and everything else) are drawn side by side.")
    runs = posterior_siblings(rec, get_store().list())
    series, epochs = {}, {}
    for r in runs:
        ev = get_store().evals(r.run_id)
        top = ev.get("bound_exact") or ev.get("bound_iwae")
        if not top or "bound_elbo" not in ev:
            continue
        which = "log p(x)" if "bound_exact" in ev else f"L_{r.spec.bounds_k}"
        name = f"{getattr(r.spec, 'posterior', 'diagonal')}: {which} − ELBO"
        series[name] = [b - a for a, b in zip(ev["bound_elbo"]["value"], top["value"])]
        epochs[name] = ev["bound_elbo"]["epoch"]
    if len(series) < 2:
        st.info("Only one posterior family has been trained with these settings. To compare, "
                "train the same spec with another q, e.g. `" + trainer_command(
                    f"train --dataset {rec.spec.dataset} --latent-dim {rec.spec.latent_dim} "
                    "--posterior full_cov") + "` "
                "and `--posterior flow --flow-layers 4` (or pick Posterior q(z|x) on the Train "
                "page): the lines appear here.")
        return
    show(bounds_over_training(epochs, series, title="Inference gap by posterior family "
                                                    "(nats per example, same data and seed)"),
         key=f"posterior_gaps_{rec.run_id}")


rec = pick_run(require_checkpoint=True)  # every family that tracks bounds
if rec is not None:
    gaps_view(rec.run_id)
    if "posterior" in rec.spec.family.option_names():
        posterior_comparison(rec)
