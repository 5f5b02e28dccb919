"""VQ-VAE codebook: encoder outputs against the code vectors, code usage, hand-edited codes and
the effect of the commitment weight β_c (third lecture text §2.4; van den Oord et al. 2017)."""
import streamlit as st

from explorer import data
from explorer.views import vq_views
from explorer.plots.training import compare_curves
from explorer.plots.codebook import codebook_scatter, usage_bars
from trainer import families
from ui import jobs
from ui import vq_data, vq_sections
from ui.figures import show
from ui.run_picker import checkpointed_run
from ui.state import get_store
from ui.widget_state import clamp_state

st.title("VQ-VAE codebook")
st.markdown("Each of the N encoder outputs z_e,n(x) ∈ R^D snaps to its nearest of K codebook "
            "vectors e_k; the decoder sees only those codes. q(z|x) is a point mass and p(z) is "
            "uniform, so KL = N log K is a constant and training minimises (∗∗) instead.")
rec = checkpointed_run("VQ-VAE run", view="codebook")
spec, epoch = rec.spec, rec.checkpoint_epoch
ema = spec.codebook_update == "ema"
st.caption(f"N = {spec.latent_dim} code positions · K = {spec.n_categories} codes · "
           f"D = {spec.code_dim} · β_c = {spec.commitment:g} · codebook trained by "
           f"{f'EMA updates (γ = {spec.ema_decay:g})' if ema else 'its loss term'} · "
           f"{spec.dataset} · {spec.likelihood} likelihood p(x|z_q) · hidden {spec.hidden} · "
           f"{spec.epochs} epochs · seed {spec.seed} · checkpoint after epoch {epoch}")
st.latex(r"\mathcal{L}(x) = -\log p\big(x\,|\,z_q(x)\big) + \big\|\mathrm{sg}[z_e(x)] - e\big\|_2^2"
         r" + \beta_c\,\big\|z_e(x) - \mathrm{sg}[e]\big\|_2^2 \qquad (\ast\ast)")
st.latex(r"z_q(x) = e_k,\; k = \arg\min_j \|z_e(x) - e_j\|_2, \qquad "
         r"z_q = z_e + \mathrm{sg}[e_k - z_e] \;\Rightarrow\; "
         r"\nabla_{z_e}\mathcal{L} := \nabla_{z_q}\mathcal{L} \quad\text{(straight-through)}")
if ema:
    st.latex(r"N_k \leftarrow \gamma N_k + (1-\gamma)\,n_k,\quad m_k \leftarrow \gamma m_k + "
             r"(1-\gamma)\!\!\sum_{i:\,k_i = k}\!\! z_{e,i},\quad e_k = \frac{m_k}{\tilde N_k},\;"
             r"\tilde N_k = \frac{N_k + \epsilon}{\sum_j N_j + K\epsilon}\sum_j N_j")
    st.caption("EMA codebook (van den Oord et al. 2017, appendix A.1): the codebook term of (∗∗) "
               "is dropped and each e_k follows the mean of the z_e assigned to it; n_k counts "
               "the batch's z_e with code k.")
info = data.info(spec.dataset)
rows, by_beta = vq_data.family(spec)
done_ids = {r.run_id for r in by_beta.values()}

st.subheader("Codebook vectors and encoder outputs")
views = {**by_beta, spec.commitment: rec}  # this run from its checkpoint, even if still training
betas = sorted(views)
c1, c2 = st.columns([1, 2])
positions = ["all"] + [str(n + 1) for n in range(spec.latent_dim)]
clamp_state("vq_position", positions, "all")
which = c1.selectbox("Position n", positions, key="vq_position", bind="query-params",
                     help="Whose encoder outputs z_e the map shows: one code position n of "
                          "every test image, or all N positions.")
beta_view = spec.commitment
if len(betas) > 1:
    if st.session_state.get("_vq_beta_run") != rec.run_id:  # another run starts at its own β_c
        st.session_state["vq_beta_view"] = spec.commitment
    clamp_state("vq_beta_view", betas, spec.commitment)
    st.session_state["_vq_beta_run"] = rec.run_id
    beta_view = c2.select_slider("Show the run trained with β_c =", betas, key="vq_beta_view",
                                 help="Finished runs that differ from this one only in β_c "
                                      "(train them at the bottom of the page).")
view = views[beta_view]
enc = vq_data.encodings(view.run_id, view.checkpoint_epoch, spec.dataset)
proj = vq_data.projection(view.run_id, view.checkpoint_epoch, spec.dataset)
usage = enc["usage"]
shown = vq_views.position_points(proj["position"], None if which == "all" else int(which) - 1,
                                 vq_data.MAX_SCATTER)
where = "all N positions" if which == "all" else f"position n = {which}"
show(codebook_scatter(proj["points"][shown], proj["point_codes"][shown], proj["codebook"],
                      usage["dead"], proj["explained"],
                      f" ({where}; run {view.run_id}, β_c = {beta_view:g})"), key="vq_projection")
ev = proj["explained"]
st.caption(f"PCA fitted on the {len(proj['points'])} test-set vectors z_e,n (all positions pooled); "
           f"the codebook is projected with the same map. PC1 and PC2 hold {100 * ev[0]:.1f}% + "
           f"{100 * ev[1]:.1f}% = {100 * ev.sum():.1f}% of the variance of z_e, so codes that "
           "look close here may be far apart in R^D. Dead codes: never the nearest code of any "
           f"test vector at any position ({usage['n_dead']} of {spec.n_categories}).")

st.subheader("Code usage")
m1, m2, m3 = st.columns(3)
m1.metric("Perplexity exp(H) on the test set", f"{usage['perplexity']:.2f}",
          help=f"K = {spec.n_categories} if all codes were used equally, 1 for a single code")
m2.metric("Dead codes", f"{usage['n_dead']} of {spec.n_categories}")
m3.metric("Mean Σ_n ‖z_e,n − e_k‖² per test example", f"{enc['sq_dist'].sum(1).mean():.4g}",
          help="The commitment (and codebook) loss of (∗∗) on the test set")
show(usage_bars(usage["counts"], usage["order"], usage["perplexity"], usage["n_dead"]),
     key="vq_usage")
evals = get_store().evals(view.run_id)
curves = [
    ({"train_perplexity": "train", "test_perplexity": "test"}, "perplexity exp(H)",
     "Code perplexity exp(H(usage)) per epoch, train and test"),
    ({"train_dead_codes": "train", "test_dead_codes": "test"}, "dead codes",
     "Dead codes (never chosen) per epoch, train and test"),
    ({"codebook_loss": "codebook ‖sg[z_e] − e‖²", "commitment_loss": "commitment ‖z_e − sg[e]‖²"},
     "mean Σ_n ‖z_e,n − e‖²", "Codebook and commitment terms of (∗∗), training mean per epoch"),
]
for col, (names, ylabel, title) in zip(st.columns(3), curves):
    series = vq_views.eval_series(evals, names)
    with col:
        if series:
            show(compare_curves(series, title, yaxis_title=ylabel, xaxis_title="epoch"),
                 key=f"vq_curve_{ylabel}", chars=45)
st.caption("The codebook and commitment terms have the same value ‖z_e − e‖²; they differ only in "
           "which side the stop-gradient sg[·] lets the gradient reach (the codebook or the "
           f"encoder).{' With EMA the codebook term is only measured, not trained on.' if ema else ''}")

st.subheader("Reconstructions and hand-edited codes")


if info.image_shape is None:
    st.info(f"{spec.dataset} holds points, not images: the reconstruction views need an image "
            "data set.")
else:
    vq_sections.reconstructions(rec, info.image_shape)

st.subheader("The commitment weight β_c")
grid = ", ".join(f"{b:g}" for b in families.BETA_C_GRID)
st.markdown(
    "β_c weighs how hard the encoder is pulled toward its code. The usual expectation: with "
    "small β_c nothing holds z_e near the codebook, so encoder outputs can drift away and "
    "‖z_e − e‖² grows; with large β_c the encoder is pinned to the codes, which can leave "
    "fewer codes in use and cost reconstruction. The button trains this spec (same seed) with "
    f"β_c ∈ {{{grid}}}; the figure shows what "
    "these runs actually did.")
# identical specs (this run among them) are reused
jobs.train_button(f"Train β_c ∈ {{{grid}}} in the background",
                  lambda: families.commitment_specs(spec), key="train_commitment")


active = any(r is not None and r.status in ("queued", "running")
             for _, r in vq_data.family_status(spec))
st.fragment(run_every=2.0 if active else None)(vq_sections.commitment_section)(
    spec, done_ids, beta_view)
