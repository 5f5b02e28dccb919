"""Bound computations for the bound-ladder page (keys are plain values; the work is
explorer.views.bound_views and explorer.bounds.sweeps). The per-point numbers run in the
background (ui.background), so the page draws its scatter and widgets first."""
from __future__ import annotations

from explorer import data
from explorer.bounds import sweeps
from explorer.views import bound_views

from ui.background import result_or_progress
from ui.latent_data import model_for

GAP_POINTS = 300  # test points in the gap histogram (seconds, not minutes)
RENYI_K = 100  # importance samples of the Rényi curve


def point_view(run_id: str, epoch: int, dataset: str, index: int) -> dict | None:
    """bound_views.point_bounds of one test point (the ladder, exact log p(x), ESS, Rényi
    bounds and the d = 2 posterior), or None and a progress bar while it is computed."""
    model, x = model_for(run_id, epoch), data.load(dataset, "test")[0][index]
    return result_or_progress(
        "bound_ladder", (run_id, epoch, dataset, index),
        lambda report: bound_views.point_bounds(model, x, RENYI_K, on_progress=report),
        f"Bounds for test point {index}")


def test_set_view(run_id: str, epoch: int, dataset: str, k: int) -> dict | None:
    """Per-example ELBO, L_k and (d ≤ 2) exact log p(x) of the first GAP_POINTS test points,
    or None and a progress bar."""
    model, x = model_for(run_id, epoch), data.load(dataset, "test")[0][:GAP_POINTS]
    return result_or_progress(
        "test_gaps", (run_id, epoch, dataset, k),
        lambda report: sweeps.test_set_bounds(model, x, k=k),
        f"Bounds of {len(x)} test points (ELBO, L_{k}, exact log p(x) where d ≤ 2)")


def gaps_view(run_id: str, epoch: int, dataset: str, indices: tuple[int, ...]) -> dict | None:
    """bound_views.gaps (per-point SVI, then the gap split) of a few test points, or None and
    a progress bar."""
    model, x = model_for(run_id, epoch), data.load(dataset, "test")[0][list(indices)]
    return result_or_progress(
        "gap_split", (run_id, epoch, dataset, tuple(indices)),
        lambda report: bound_views.gaps(model, x),
        "Optimising q per data point (SVI) and splitting the gap")
