"""Snapshots of what a run's latent space looks like while it learns (watch it learn).

A snapshot is not a checkpoint: it keeps what the Latent space view draws — μ(x) and σ(x) of
a fixed subset of test points and, for a 2-D latent of images, the decoded manifold — a few
hundred kB at most, so a run can keep dozens. They are taken at log-spaced steps (dense early,
when the map organises itself fastest) and at every epoch's end, written atomically under
runs/<run_id>/snapshots/, and read by the live view and the timeline scrubber.
"""
from __future__ import annotations

import io
import math
import os
import re
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

SNAPSHOT_POINTS = 500  # test points whose μ and σ a snapshot keeps
MANIFOLD_N = 10  # decoded images per side of the manifold grid
MAX_LOG_STEPS = 24  # log-spaced steps in the first part of a run, besides epoch ends
MAX_EPOCH_SNAPSHOTS = 40  # at most about this many epoch-end snapshots (every k-th epoch)
_NAME = re.compile(r"^step_(\d{8})\.npz$")


def schedule(total_steps: int, steps_per_epoch: int) -> set[int]:
    """Steps after which a snapshot is taken: ≈ MAX_LOG_STEPS log-spaced steps (1, 2, 3, 5, …)
    within the first epochs, the end of every epoch (every k-th in runs of more than
    MAX_EPOCH_SNAPSHOTS epochs) and the last step."""
    steps = {int(round(v)) for v in np.geomspace(1, max(2, total_steps), MAX_LOG_STEPS)}
    epochs = max(1, total_steps // max(steps_per_epoch, 1))
    stride = steps_per_epoch * max(1, epochs // MAX_EPOCH_SNAPSHOTS)  # long runs: every k epochs
    steps |= set(range(stride, total_steps + 1, stride)) | {total_steps}
    return {s for s in steps if 1 <= s <= total_steps} | {0}


def wanted(spec) -> bool:
    """Only families with a Gaussian latent map have something to snapshot."""
    return "latent_space" in spec.family.views


def folder(store, run_id: str) -> Path:
    return store.run_dir(run_id) / "snapshots"


@torch.no_grad()
def take(model, x_test: torch.Tensor, step: int, epoch: int, image_shape) -> dict:
    """The arrays of one snapshot (the model is left in the mode it was in)."""
    from explorer.views import latent

    was_training = model.training
    model.eval()
    try:
        mu, sigma = latent.posterior_stats(model, x_test[:SNAPSHOT_POINTS])
        out = {"step": np.int64(step), "epoch": np.int64(epoch), "mu": mu.astype(np.float32),
               "sigma": sigma.astype(np.float32)}
        if model.latent_dim == 2 and image_shape is not None:
            _, _, decoded = latent.manifold_grid(model, n=MANIFOLD_N)
            out["manifold"] = decoded.astype(np.float16)
    finally:
        model.train(was_training)
    return out


def save(store, run_id: str, arrays: dict, before_replace=None):
    """Write one snapshot atomically (temp file, then rename)."""
    path = folder(store, run_id)
    path.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    fd, tmp = tempfile.mkstemp(dir=path, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(buf.getvalue())
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path / f"step_{int(arrays['step']):08d}.npz")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def forget_after(store, run_id: str, step: int):
    """A resumed run retraces its steps: drop snapshots newer than its checkpoint."""
    for s in steps(store, run_id):
        if s > step:
            (folder(store, run_id) / f"step_{s:08d}.npz").unlink(missing_ok=True)


def steps(store, run_id: str) -> list[int]:
    """The steps that have a snapshot, ascending."""
    path = folder(store, run_id)
    if not path.is_dir():
        return []
    return sorted(int(m.group(1)) for p in path.iterdir() if (m := _NAME.match(p.name)))


def load(store, run_id: str, step: int) -> dict:
    """One snapshot's arrays (plain numpy; never a pickle)."""
    with np.load(folder(store, run_id) / f"step_{int(step):08d}.npz", allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def test_indices(n_test: int) -> np.ndarray:
    """Which test points the snapshots hold (the first SNAPSHOT_POINTS)."""
    return np.arange(min(n_test, SNAPSHOT_POINTS))


def describe(step: int, steps_per_epoch: int) -> str:
    return f"step {step} (epoch {step / max(steps_per_epoch, 1):.2f})" if step else "untrained"


def n_snapshots(total_steps: int, steps_per_epoch: int) -> int:
    return len(schedule(total_steps, steps_per_epoch))


def steps_per_epoch(spec, n_train: int) -> int:
    return math.ceil(n_train / spec.batch_size)


class Snapshotter:
    """Takes the run's snapshots at their steps: the arrays on the training thread, their
    compression and atomic write (~12 ms of ~32 per snapshot, 0.6 s of a default run) in one
    background thread. (Forward passes of a frozen copy in that thread were tried: they
    changed the run's random stream — measured, with one or two intra-op threads — so
    training would no longer retrace itself on resume.) `drain` waits for the pending writes
    and raises what one raised."""

    def __init__(self, store, state, x_test: torch.Tensor, n_train: int):
        spec = state.spec
        per_epoch = steps_per_epoch(spec, n_train)
        self.due = schedule(spec.epochs * per_epoch, per_epoch)
        from explorer import data

        self.shape = data.info(spec.dataset).image_shape
        self.store, self.run_id, self.x = store, state.run_id, x_test[:SNAPSHOT_POINTS]
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"snapshots-{state.run_id}")
        self._pending: list[Future] = []
        forget_after(store, state.run_id, state.step)

    def __call__(self, s):
        while self._pending and self._pending[0].done():  # a failed write fails the run now
            self._pending.pop(0).result()
        if s.step in self.due:
            arrays = take(s.model, self.x, s.step, s.epoch, self.shape)
            self._pending.append(self._pool.submit(
                save, self.store, self.run_id, arrays,
                before_replace=getattr(self.store, "check", None)))  # a Lease: never a new owner's

    def drain(self):
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def close(self):
        """Stop once what is queued is written (cheap); errors were the run's to report."""
        self._pending = []
        self._pool.shutdown(wait=True)


def snapshotter(store, state, x_test: torch.Tensor, n_train: int) -> Snapshotter | None:
    """Snapshots of the latent map at log-spaced steps (trainer/snapshots.py), or None."""
    return Snapshotter(store, state, x_test, n_train) if wanted(state.spec) else None
