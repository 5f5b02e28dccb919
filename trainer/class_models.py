"""The class models: the small runs every page needs, trained once before (or at the start of)
class so that no page opens on an empty box.

    python -m trainer pretrain [--store DIR] [--wait]      # or: make pretrain

`CLASS_MODELS` lists them in order of importance, which is also the order they train in and
the order a page prefers them in when nobody picked a run (ui/run_picker.py): the 2-D
Gaussian VAE on mnist5k (the Train page's default spec, so pressing Train reuses it), the
first entry of every other family's standard line-up (trainer/families.py — the Discrete vs
Gaussian page reuses them), and the 1-D Gaussian VAE on three Gaussians that the Infinite
mixture page's "Train one" form starts by default. Identical specs are one run, so queueing
them again costs nothing.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable, Iterable

from explorer.models import registry

from trainer import admission
from trainer.families import comparison_specs
from trainer.spec import RunSpec
from trainer.store import RunRecord, RunStore

ENV_SWITCH = "VAE_EXPLORER_PRETRAIN"  # "0": a fresh store stays empty (the test suite)
MARKER = "class-models-queued"  # in the store root: the first start queued them once
ACTIVE = ("queued", "running")
UNFINISHED = ACTIVE + ("paused",)  # what pretrain --wait waits for
FAILED = ("failed", "cancelled", "diverged")

BASE = RunSpec()  # mnist5k, d = 2, 784-400-400, Bernoulli p(x|z), 30 epochs, seed 0
MIXTURE = RunSpec(dataset="three_gaussians", latent_dim=1, hidden=(64, 64),
                  likelihood="gaussian_fixed", obs_std=0.2, epochs=100, bounds_every=0)


def _by_new_views(first: list[RunSpec], rest: list[RunSpec]) -> list[RunSpec]:
    """`first`, then `rest` greedily: next the spec that adds the most views not yet covered
    (ties keep their order), so every page has a run as early as possible."""
    out, covered, rest = list(first), {v for s in first for v in s.family.views}, list(rest)
    while rest:
        best = max(rest, key=lambda s: len(s.family.views - covered))
        rest.remove(best)
        out.append(best)
        covered |= best.family.views
    return out


def _lineup_firsts(base: RunSpec) -> list[RunSpec]:
    """The first line-up entry of every family (one run per latent family)."""
    seen, out = set(), []
    for spec in comparison_specs(base):
        if spec.model not in seen:
            seen.add(spec.model)
            out.append(spec)
    return out


# The small mixture run trains in seconds, so it goes second: its page waits for nothing else.
CLASS_MODELS: tuple[RunSpec, ...] = tuple(_by_new_views([BASE, MIXTURE], _lineup_firsts(BASE)))
CLASS_IDS: tuple[str, ...] = tuple(s.run_id for s in CLASS_MODELS)


def describe(spec: RunSpec) -> str:
    """'Gaussian latent R^2 on mnist5k, 30 epochs': one class model in words."""
    return (f"{spec.family.label} latent {spec.family.describe(spec)} on {spec.dataset}, "
            f"{spec.epochs} epochs")


def pretrain(executor, specs: Iterable[RunSpec] = CLASS_MODELS) -> list[RunRecord]:
    """Queue the class models through `executor` (submit is idempotent: an identical spec
    returns its existing run, a stopped one resumes); their records, in order. A spec this
    server refuses (admission control) does not keep the others from queueing: `Refused` is
    raised after them, naming every refused one."""
    records, refused = [], []
    for spec in specs:
        try:
            records.append(executor.submit(spec))
        except admission.Refused as exc:
            refused.append(f"{describe(spec)}: {exc}")
    if refused:
        raise admission.Refused("; ".join(refused))
    return records


def wait(store: RunStore, records: list[RunRecord], on_update: Callable[[str], object],
         poll: float = 2.0) -> list[RunRecord]:
    """Poll until none of `records` is queued, running or paused (a paused run has not
    finished: the line names it and how to continue it); `on_update` gets a progress line."""
    t0 = time.perf_counter()
    while any(r.status in UNFINISHED for r in records):
        time.sleep(poll)
        records = [store.get(r.run_id) for r in records]
        busy = [f"{r.run_id} {r.spec.model} epoch {r.epoch}/{r.spec.epochs}"
                for r in records if r.status == "running"]
        busy += [f"{r.run_id} paused at epoch {r.epoch} (python -m trainer play {r.run_id})"
                 for r in records if r.status == "paused"]
        done = sum(r.status == "done" for r in records)
        on_update(f"{time.perf_counter() - t0:6.1f}s  {done}/{len(records)} done  "
                  + " · ".join(busy))
    return records


def summary(records: list[RunRecord], store: RunStore) -> dict:
    """What `python -m trainer pretrain` prints: each run's state and the views covered."""
    return {"store": str(store.root),
            "runs": [{"run_id": r.run_id, "status": r.status, "model": describe(r.spec),
                      "epoch": r.epoch, "seconds": round(r.seconds, 1), "test_elbo": r.test_elbo,
                      "error": r.error} for r in records],
            "views": view_coverage(records)}


def views_needed() -> set[str]:
    """Every view some registered family offers (a page showing it needs a run)."""
    return {v for family in registry.families() for v in family.views}


def view_coverage(records: Iterable[RunRecord]) -> dict[str, list[str]]:
    """view → ids of the runs that can show it now (done, or with a checkpoint)."""
    cover: dict[str, list[str]] = {v: [] for v in sorted(views_needed())}
    for rec in records:
        if rec.status == "done" or rec.checkpoint_epoch is not None:
            for view in rec.spec.family.views:
                cover.setdefault(view, []).append(rec.run_id)
    return cover


def enabled() -> bool:
    return os.environ.get(ENV_SWITCH, "1") != "0"


def first_start(executor) -> list[RunRecord]:
    """On a fresh store (no runs at all, never prepared before), queue the class models once.
    A marker file in the store root keeps a later empty store (every run deleted) empty."""
    store: RunStore = executor.store
    marker = Path(store.root) / MARKER
    if not enabled() or marker.exists() or store.list():
        return []
    try:
        with open(marker, "x") as f:  # exclusive: two servers starting at once queue once
            f.write("the class models were queued on first start (trainer/class_models.py)\n")
    except FileExistsError:
        return []
    return pretrain(executor)


def order_for_display(runs: list[RunRecord]) -> list[RunRecord]:
    """Runs someone trained (newest first, as given), then the class models in CLASS_MODELS
    order: the run a page opens with when nobody picked one."""
    rank = {run_id: i for i, run_id in enumerate(CLASS_IDS)}
    mine = [r for r in runs if r.run_id not in rank]
    ours = sorted((r for r in runs if r.run_id in rank), key=lambda r: rank[r.run_id])
    return mine + ours
