"""Test-set evaluation of a finished run: ELBO, L_k (k = 5000), KL, E log p(x|z), active units.

    python -m trainer evaluate RUN_ID [--k 5000] [--points N] [--seed 0]

Burda et al. (2015, §5) score every model by L_5000 on the test set and count the active
units, A_j = Cov_x(E_q[z_j]) > 0.01. Both come from the run's latest checkpoint and its
family's own log weights (explorer.bounds), drawn for a few test points at a time so memory
stays small and progress is real. A binarised run (`binarize`) is scored on one fixed
binarisation of the test set, as in Burda et al. The result is cached as JSON in the run's
directory, keyed by (k, points, seed), and recomputed when the checkpoint changes.
"""
from __future__ import annotations

import json
import math
import os
import tempfile
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from explorer import data
from explorer.bounds import log_mean_exp
from explorer.models import evaluation_terms, family_of
from explorer.views.latent import active_units, unit_activity

from trainer.checkpoints import load_model
from trainer.store import RunStore

EVAL_K = 5000  # importance samples of the reported L_k (Burda et al. 2015, §5)
POINTS_PER_STEP = 10  # test points per block of log weights: one progress step each
TERM_SAMPLES = 10  # z samples per point for E_q log p(x|z) and the KL (analytic where it can be)
ACTIVITY_THRESHOLD = 0.01  # Burda et al.'s active-unit threshold on Cov_x(E_q[z_j])

Progress = Callable[[int, int], None]  # (test points done, test points in all)


def test_points(dataset: str, n_test: int | None) -> int:
    """How many test points an evaluation averages over (all when n_test is None)."""
    available = data.info(dataset).n_test
    return available if n_test is None else max(1, min(int(n_test), available))


def evaluation_path(store: RunStore, run_id: str, k: int, n_points: int, seed: int) -> Path:
    """The cache file of one evaluation, next to the run's checkpoint."""
    return store.run_dir(run_id) / f"evaluation-k{k}-n{n_points}-seed{seed}.json"


def cached_evaluation(store: RunStore, run_id: str, k: int = EVAL_K, n_test: int | None = None,
                      seed: int = 0) -> dict | None:
    """The stored evaluation of the run's current checkpoint, or None (never computed, or
    the run has written a newer checkpoint since)."""
    rec = store.get(run_id)
    path = evaluation_path(store, run_id, k, test_points(rec.spec.dataset, n_test), seed)
    try:
        result = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return result if result.get("checkpoint_epoch") == rec.checkpoint_epoch else None


def _write_json(path: Path, value: dict):
    """Write to a temporary file, then rename: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(value, f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def mean_and_se(values: np.ndarray) -> tuple[float, float]:
    """Mean over test points and its standard error s / √n (0 for one point)."""
    values = np.asarray(values, dtype=np.float64)
    se = values.std(ddof=1) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return float(values.mean()), float(se)


@torch.no_grad()
def per_point_scores(model, x: torch.Tensor, k: int, on_progress: Progress | None = None,
                     points_per_step: int = POINTS_PER_STEP) -> dict[str, np.ndarray]:
    """Per test point: the k-sample ELBO (mean log w), L_k = log (1/k Σ w_i) from the same k
    log weights (so L_k ≥ ELBO point by point, Jensen), the reconstruction term and KL of
    the family's evaluation_terms, and the posterior mean E_q[z] (flattened)."""
    family_log_weights = _log_weights_of(model)
    out = {"elbo": [], "lk": [], "reconstruction": [], "kl": [], "mean": []}
    for start in range(0, len(x), points_per_step):
        xb = x[start : start + points_per_step]
        log_w = family_log_weights(model, xb, k)  # (k, B), drawn in chunks
        out["elbo"].append(log_w.mean(0))
        out["lk"].append(log_mean_exp(log_w))
        terms = evaluation_terms(model, xb, n_samples=TERM_SAMPLES)
        out["reconstruction"].append(terms.reconstruction)
        out["kl"].append(terms.kl)
        out["mean"].append(model.encode(xb).mean.reshape(len(xb), -1))
        if on_progress is not None:
            on_progress(start + len(xb), len(x))
    return {name: torch.cat(parts).double().numpy() for name, parts in out.items()}


def _log_weights_of(model):
    family = family_of(model)
    if family.log_weights is None:
        raise ValueError(f"a {family.label} model has no importance weights, so L_k cannot be "
                         "estimated for it")
    return family.log_weights


def test_inputs(dataset: str, n_points: int, binarize: bool, seed: int) -> torch.Tensor:
    """The first n_points test points; binarised once with a fixed seed when the run trained
    on binarised data (Burda et al. 2015)."""
    x = data.load(dataset, "test")[0][:n_points]
    if binarize:
        x = torch.bernoulli(x, generator=torch.Generator().manual_seed(seed))
    return x


def evaluate_run(store: RunStore, run_id: str, k: int = EVAL_K, n_test: int | None = None,
                 seed: int = 0, on_progress: Progress | None = None,
                 refresh: bool = False) -> dict:
    """The test-set scores of a run's latest checkpoint (module docstring), from the cache
    file when it holds this checkpoint's, else computed and cached. Raises RunNotFound,
    NoCheckpoint, or ValueError for a family without log weights."""
    if k < 1:
        raise ValueError(f"k must be a positive number of samples, got {k}")
    rec = store.get(run_id)
    if not refresh and (hit := cached_evaluation(store, run_id, k, n_test, seed)) is not None:
        if on_progress is not None:
            on_progress(hit["points"], hit["points"])
        return hit
    spec, t0 = rec.spec, time.perf_counter()
    n_points = test_points(spec.dataset, n_test)
    model = load_model(run_id, store)
    x = test_inputs(spec.dataset, n_points, spec.binarize, seed)
    with torch.random.fork_rng(devices=[]):  # the caller's random stream stays untouched
        torch.manual_seed(seed)
        scores = per_point_scores(model, x, k, on_progress)
    activity = unit_activity(scores["mean"])
    result = {"run_id": run_id, "checkpoint_epoch": model.checkpoint_epoch, "k": int(k),
              "points": n_points, "seed": int(seed), "binarized": bool(spec.binarize),
              "latent_dim": int(scores["mean"].shape[1]),
              "active_units": int(active_units(activity, ACTIVITY_THRESHOLD).sum()),
              "unit_activity": activity.tolist()}
    for name in ("elbo", "lk", "reconstruction", "kl"):
        result[name], result[f"{name}_se"] = mean_and_se(scores[name])
    result["seconds"] = round(time.perf_counter() - t0, 2)
    _write_json(evaluation_path(store, run_id, k, n_points, seed), result)
    return result
