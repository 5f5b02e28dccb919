"""Two runs side by side: pickers bound to ?a=…&b=…, and the views both runs can show."""
from __future__ import annotations

import numpy as np
import streamlit as st

from explorer.plots.bounds import bounds_over_training
from explorer.plots.latent import latent_scatter
from explorer.plots.training import compare_curves, kl_bars
from explorer.views.latent import active_units
from trainer import RunRecord

from ui.figures import show
from ui.latent_data import projection, test_codes
from ui.state import get_store, run_label
from ui.url_notice import ignored

MAX_POINTS = 1500
BOUND_NAMES = {"bound_elbo": "ELBO", "bound_iwae": "L_k", "bound_exact": "log p(x)"}


def pick_pair() -> tuple[RunRecord, RunRecord] | None:
    """Run A and run B (different runs when there are two), kept in the URL as ?a= and ?b=."""
    runs = get_store().list()
    if len(runs) < 2:
        st.info("The A/B view needs two runs — train a second one on the **Train** page (e.g. "
                "the same spec with β = 4, or with REINFORCE instead of reparam).")
        return None
    by_id = {r.run_id: r for r in runs}
    ids = list(by_id)
    for key, default in (("a", ids[0]), ("b", ids[1])):
        from_link = f"ab_{key}" not in st.session_state
        wanted = st.session_state.get(f"ab_{key}") or st.query_params.get(key)
        if wanted is not None and wanted not in by_id:
            if from_link:
                ignored(key, wanted, f"not a run in this store; showing {default} as run "
                                     f"{key.upper()}.")
            wanted = None
        st.session_state[f"ab_{key}"] = wanted or default
    c1, c2 = st.columns(2)
    a = c1.selectbox("Run A", ids, key="ab_a", format_func=lambda i: run_label(by_id[i]))
    b = c2.selectbox("Run B", ids, key="ab_b", format_func=lambda i: run_label(by_id[i]))
    st.query_params["a"], st.query_params["b"] = a, b
    return by_id[a], by_id[b]


def _thinned(m: dict, name: str) -> tuple[list, list]:
    stride = max(1, len(m["step"]) // MAX_POINTS)
    return m["step"][::stride], m[name][::stride]


def curves(a: RunRecord, b: RunRecord):
    """Training ELBO, its two terms and the recorded bounds of both runs on shared axes."""
    store = get_store()
    ma, mb = store.metrics(a.run_id), store.metrics(b.run_id)
    for name, title in (("elbo", "Training ELBO per example (eq. 22's two terms together)"),
                        ("kl", "KL(q(z|x) ‖ p(z)) per example: the rate"),
                        ("reconstruction", "E_q log p(x|z) per example: minus the distortion")):
        show(compare_curves({f"A · {a.run_id}": _thinned(ma, name),
                             f"B · {b.run_id}": _thinned(mb, name)}, title=title),
             key=f"ab_{name}", chars=70)
    epochs, values = {}, {}
    for tag, rec in (("A", a), ("B", b)):
        for key, label in BOUND_NAMES.items():
            ev = store.evals(rec.run_id).get(key)
            if ev:
                epochs[f"{tag} {label}"], values[f"{tag} {label}"] = ev["epoch"], ev["value"]
    if values:
        show(bounds_over_training(epochs, values, title="Bounds on the first test points over "
                                  "training: ELBO ≤ L_k ≤ log p(x) for each run"), key="ab_bounds")


def _kl_dim(rec: RunRecord) -> np.ndarray | None:
    last = get_store().metrics(rec.run_id, since_step=rec.step - 1)["kl_per_dim"]
    return np.asarray(last[-1]) if last else None


def latent_maps(a: RunRecord, b: RunRecord):
    """The μ scatter (PCA beyond d = 2) and the KL per dimension of each run, side by side."""
    cols = st.columns(2)
    for tag, rec, col in (("A", a, cols[0]), ("B", b, cols[1])):
        with col:
            st.markdown(f"**{tag}** · {rec.run_id} · {rec.spec.model}")
            if "latent_space" in rec.spec.family.views and rec.checkpoint_epoch is not None:
                epoch, d = rec.checkpoint_epoch, rec.spec.latent_dim
                codes = test_codes(rec.run_id, epoch, rec.spec.dataset)
                coords, idx = projection(rec.run_id, epoch, rec.spec.dataset, "pca")
                labels = codes["y"][idx] if codes["y"] is not None else None
                title = ("μ(x) of q(z|x) on the test set" if d == 2 else
                         f"PCA of the {d}-D μ(x)")
                show(latent_scatter(coords, labels, codes["sigma"][idx] if d == 2 else None,
                                    indices=idx, title=title, point_name="μ"),
                     key=f"ab_latent_{tag}", chars=45)
            else:
                st.caption("No Gaussian latent map for this run (its family has none, or it "
                           "has no checkpoint yet).")
            kl = _kl_dim(rec)
            if kl is not None and kl.size:
                show(kl_bars(kl, active_units(kl), title="KL per latent dimension (last step); "
                             "active units above the line"), key=f"ab_kl_{tag}", chars=45)
