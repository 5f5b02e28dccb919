"""Cached computations of what a richer q(z|x) buys, for the Bound ladder and Gaps over
training pages (the work is explorer.views.bound_views; keys are plain values)."""
from __future__ import annotations

from explorer import data
from explorer.views import bound_views
from trainer import RunRecord
from trainer.families import same_except

from ui.background import result_or_progress
from ui.latent_data import model_for

POSTERIOR_KNOBS = ("posterior", "flow_layers")  # the spec fields that choose q(z|x)


def family_gaps_view(run_id: str, epoch: int, dataset: str, index: int) -> dict | None:
    """bound_views.family_gaps of one test point, or None and a progress bar while the best
    diagonal, full-covariance and flow q* are fitted (≈ 20 s)."""
    model, x = model_for(run_id, epoch), data.load(dataset, "test")[0][index]
    return result_or_progress(
        "family_gaps", (run_id, epoch, dataset, index),
        lambda report: bound_views.family_gaps(model, x),
        "Fitting the best diagonal, full-covariance and flow q* for this point (SVI)")


def posterior_siblings(rec: RunRecord, runs: list[RunRecord]) -> list[RunRecord]:
    """The runs (rec included) whose specs differ from rec's only in the posterior family."""
    return [r for r in runs if same_except(r.spec, rec.spec, POSTERIOR_KNOBS)]
