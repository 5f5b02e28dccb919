"""Cached computations of the Reparameterizable families page: thin st.cache_data wrappers of
explorer.estimators.transport, keyed by plain values (family name, parameter tuples)."""
from __future__ import annotations

import streamlit as st

from explorer.estimators import transport as tr


def _params(family: str, values: tuple) -> dict:
    return dict(zip(tr.SLIDERS[family], (float(v) for v in values)))


@st.cache_data(max_entries=256, show_spinner=False)
def picture(family: str, values: tuple, n: int = 4000, seed: int = 0) -> dict:
    """Samples, the map curve and both densities for one family and parameter tuple."""
    p = _params(family, values)
    eps, z = tr.transport(family, p, n, seed)
    eps_curve, z_curve = tr.map_curve(family, p)
    density = tr.change_of_variables_density(family, p, tr.density_grid(family, p))
    return {"eps": eps, "z": z, "eps_curve": eps_curve, "z_curve": z_curve, "z_grid": density["z"],
            "change_of_variables": density["change_of_variables"], "log_prob": density["log_prob"]}


@st.cache_data(max_entries=256, show_spinner="Estimating gradients…")
def variances(family: str, values: tuple, target: float) -> dict:
    return tr.variance_table(family, _params(family, values), float(target))
