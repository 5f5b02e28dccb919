"""A/B view: two runs on the same views — β = 1 vs β = 4, reparam vs REINFORCE, k = 1 vs
k = 50, a discrete vs a Gaussian latent."""
import pandas as pd
import streamlit as st

from trainer.families import differences
from ui import ab_view

st.title("A/B: two runs side by side")
st.markdown("Pick two runs; every view below draws both on the same axes, so what the one "
            "setting that differs does is what you see. Share the comparison with its URL "
            "(`?a=…&b=…`).")
pair = ab_view.pick_pair()
if pair is None:
    st.stop()
a, b = pair
diff = differences(a.spec, b.spec)
if a.run_id == b.run_id:
    st.info("A and B are the same run: pick a different run for B.")
elif diff:
    st.dataframe(pd.DataFrame([{"setting": k, "A": str(va), "B": str(vb)}
                               for k, (va, vb) in diff.items()]), hide_index=True,
                 key="ab_diff")
    st.caption("The settings that differ (everything else — data, networks, optimiser, seed "
               "— is the same). More than one difference makes the comparison harder to read.")
rows = [{"run": tag, "id": r.run_id, "status": r.status, "epochs": f"{r.epoch}/{r.spec.epochs}",
         "test ELBO": r.test_elbo, "seconds": round(r.seconds, 1)} for tag, r in (("A", a), ("B", b))]
st.dataframe(pd.DataFrame(rows), hide_index=True, key="ab_summary",
             column_config={"test ELBO": st.column_config.NumberColumn(format="%.2f")})


@st.fragment(run_every=2.0 if {a.status, b.status} & {"queued", "running"} else None)
def live():
    ab_view.curves(a, b)


st.subheader("Learning curves")
st.latex(r"\text{ELBO}(x) = \underbrace{\mathbb{E}_{q(z|x)}[\log p(x|z)]}_{-\,\text{distortion}}"
         r" - \underbrace{\mathrm{KL}(q(z|x)\,\|\,p(z))}_{\text{rate}}")
live()
st.subheader("Latent space and active units")
ab_view.latent_maps(a, b)
