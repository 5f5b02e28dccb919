"""Cached computations of what a richer q(z|x) buys, for the Bound ladder and Gaps over
training pages (the work is explorer.views.bound_views; keys are plain values)."""
from __future__ import annotations

import streamlit as st

from explorer import data
from explorer.views import bound_views
from trainer import RunRecord
from trainer.families import same_except

from ui.latent_data import model_for

POSTERIOR_KNOBS = ("posterior", "flow_layers")  # the spec fields that choose q(z|x)


def _point(dataset: str, index: int):
    return data.load(dataset, "test")[0][index]


@st.cache_data(max_entries=32, show_spinner="Fitting the best diagonal, full-covariance and flow "
                                            "q* for this point (SVI)…")
def family_gaps_for(run_id: str, epoch: int, dataset: str, index: int) -> dict:
    return bound_views.family_gaps(model_for(run_id, epoch), _point(dataset, index))


@st.cache_data(max_entries=64, show_spinner=False)
def posterior_and_encoder_for(run_id: str, epoch: int, dataset: str, index: int):
    """(axes, exact log p(z|x), the encoder's log q(z|x)) on one grid, d = 2."""
    model, x = model_for(run_id, epoch), _point(dataset, index)
    axes, log_post = bound_views.posterior(model, x)
    return axes, log_post, bound_views.encoder_density(model, x, axes)


def posterior_siblings(rec: RunRecord, runs: list[RunRecord]) -> list[RunRecord]:
    """The runs (rec included) whose specs differ from rec's only in the posterior family."""
    return [r for r in runs if same_except(r.spec, rec.spec, POSTERIOR_KNOBS)]
