"""Objectives compared: one network trained with the ELBO, IWAE (k = 1, 5, 50), Rényi and the
L2 / MMD regularisers; test L_5000 and active units from the stored runs (Burda et al. 2015)."""
import pandas as pd
import streamlit as st

from explorer import data
from explorer.plots.objective_compare import bound_points
from trainer import objective_lineup as lineup
from trainer.families import missing
from ui import jobs as ui_jobs
from ui.figures import show
from ui.objectives_data import evaluation_jobs, job_key, stored_evaluation
from ui.prior_match_section import prior_match_section
from ui.spec_form import dataset_options
from ui.state import get_store
from ui.widget_state import clamp_state

st.title("Training objectives compared")
st.markdown(
    "The same network (d = 50, two hidden layers of 200, Bernoulli p(x|z) on binarised digits, "
    "as in Burda et al. 2015) trained with different objectives, then scored alike: the test "
    "ELBO and the importance-weighted bound L_k with k = 5000 samples, a tight lower bound on "
    "log p(x). Burda et al. found that training on L_50 gives a higher test L_5000 **and** "
    "more active units than training on L_1: the tighter bound lets q spread over the "
    "posterior instead of switching units off.")
st.latex(r"\mathcal{L}_k(x) = \mathbb{E}_{z_i \sim q(z|x)}\Big[\log \frac{1}{k}\sum_{i=1}^{k}"
         r"\frac{p(x, z_i)}{q(z_i|x)}\Big],\qquad \text{ELBO} = \mathcal{L}_1 \le \mathcal{L}_k "
         r"\le \log p(x),\qquad A_j = \mathrm{Cov}_x\big(\mathbb{E}_{q(z|x)}[z_j]\big) > 0.01")

images = [d for d in dataset_options() if data.info(d).kind == "images"]
c1, c2, c3, c4, c5 = st.columns(5)
dataset = c1.selectbox("Data set", images, key="obj_dataset", bind="query-params")
epochs = int(c2.number_input("Epochs", 1, 2000, 100, key="obj_epochs", bind="query-params"))
seed = int(c3.number_input("Seed", 0, 2**31 - 1, 0, key="obj_seed", bind="query-params"))
k = int(c4.selectbox("k of the test L_k", (5000, 1000, 100, 10), key="obj_k",
                     bind="query-params",
                     help="Importance samples of the bound L_k every model is scored with on "
                          "the test set; large k is closest to log p(x)."))
n_test = data.info(dataset).n_test
clamp_state("obj_points", range(n_test + 1), 0)  # another data set may have fewer test points
points = int(c5.number_input(f"Test points (0 = all {n_test})", 0, n_test, 0, key="obj_points",
                             bind="query-params")) or None
base = lineup.base_spec(dataset, epochs, seed)
store, jobs = get_store(), evaluation_jobs()


def evaluation_of(run_id: str) -> dict | None:
    return stored_evaluation(run_id, k, points)


def results():
    """Training and evaluation progress, the table, the chart and Burda's ordering."""
    records = store.list()
    for r in records:
        if r.status in ("queued", "running") and lineup.same_except_objective(r.spec, base):
            st.progress(r.progress, text=f"training {lineup.objective_label(r.spec)} · "
                                         f"{r.run_id} · {r.status}")
    rows = lineup.objective_rows(base, records, evaluation_of)
    if not rows:
        st.info(f"No finished run of this network on {dataset} with {epochs} epochs and seed "
                f"{seed} yet — train the line-up below.")
        return
    todo = [r for r in rows if not r["evaluated"]]
    for r in todo:
        job = jobs.job(job_key(r["run_id"], k, points))
        if job is not None and job.error:
            st.error(f"Evaluating {r['label']} ({r['run_id']}) failed: {job.error}")
        elif job is not None:
            st.progress(job.progress, text=f"evaluating L_{k} of {r['label']} · {r['run_id']}")
    if todo and st.button(f"Evaluate {len(todo)} run(s): ELBO and L_{k} on "
                          f"{points or n_test} test points (one to three minutes each at k = 5000)",
                          key="obj_evaluate"):
        for r in todo:
            jobs.submit(job_key(r["run_id"], k, points))
        st.rerun()
    st.dataframe(pd.DataFrame([{
        "objective": r["label"], "k": r["k"], "α": r["alpha"], "regularizer": r["regularizer"],
        "β": r["beta"], "epochs": r["epochs"], "test ELBO": r["elbo"], "ELBO SE": r["elbo_se"],
        f"test L_{k}": r["lk"], f"L_{k} SE": r["lk_se"], "KL": r["kl"],
        "E log p(x|z)": r["reconstruction"], "active units": r["active_units"],
        "run": r["run_id"]} for r in rows]), hide_index=True, key="obj_table",
        column_config={c: st.column_config.NumberColumn(format="%.2f") for c in (
            "test ELBO", "ELBO SE", f"test L_{k}", f"L_{k} SE", "KL", "E log p(x|z)")})
    st.caption(f"Means over {points or n_test} test points (binarised once with a fixed seed "
               "for binarised runs) ± their standard error; KL = KL(q(z|x) ‖ p(z)); active units "
               f"of {base.latent_dim} by Burda et al.'s criterion A_j > 0.01. Blank: not "
               "evaluated yet.")
    if any(r["evaluated"] for r in rows):
        show(bound_points(rows, k), key="obj_points_chart", chars=80)
        st.caption("ELBO ≤ L_k for every run (Jensen); the gap is what k importance samples "
                   "recover of KL(q(z|x) ‖ p(z|x)).")
    verdicts = lineup.burda_ordering(rows, k)
    for v in verdicts:
        st.markdown(v["text"])
    collapse = lineup.collapse_note(rows)
    if collapse:
        st.info(collapse)
    if not verdicts:
        st.info("Burda et al.'s ordering is checked once an IWAE k = 50 run and a k = 1 run "
                "(IWAE L_1 or the ELBO) are trained and evaluated.")
    prior_match_section(rows, dataset)


busy = jobs.busy() or any(r.status in ("queued", "running") and
                          lineup.same_except_objective(r.spec, base) for r in store.list())
st.fragment(run_every=2.0 if busy else None)(results)()

st.subheader("Train the line-up")
specs = lineup.lineup_specs(base)
known = {r.run_id: r for r in store.list()}
st.dataframe(pd.DataFrame([{"objective": lineup.objective_label(s), "run": s.run_id,
                            "status": known[s.run_id].status if s.run_id in known else "–"}
                           for s in specs]), hide_index=True, key="obj_lineup")
todo_specs = missing(specs, known.values())
st.caption("Same data, network, optimiser, epochs and seed; only the objective differs. "
           "Measured here (2 cores, shared): 100 epochs of the ELBO took about 3 min, of IWAE k = 50 "
           "11–27 min. IWAE k = 1 and k = 50 "
           "are trained with the pathwise gradient (Burda et al.) and with DReG (Tucker et "
           "al. 2018), which drops the sampled KL's score noise that collapses k = 1 at d = 50.")
ui_jobs.train_button(f"Train the {len(todo_specs)} missing run(s) in the background", todo_specs,
                     key="obj_train", disabled=not todo_specs)
