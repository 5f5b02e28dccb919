"""Run lifecycle faults a class would hit (issue 11): each reproduction is a test."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

from trainer import LocalExecutor, RunSpec, RunStore, load_model, records
from trainer.checkpoints import CorruptCheckpoint, save_checkpoint
from trainer.leases import Lease
from trainer.loop import train_run
from trainer.records import LeaseLost
from trainer.slots import claim_slot, live_slots, release_slot

from .test_trainer import SMALL, wait_for

ROOT = Path(__file__).resolve().parent.parent


def cli(*args, store, **kw):
    return subprocess.run([sys.executable, "-m", "trainer", *args, "--store", str(store)],
                          capture_output=True, text=True, cwd=ROOT, timeout=300, **kw)


def popen_cli(*args, store):
    return subprocess.Popen([sys.executable, "-m", "trainer", *args, "--store", str(store)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def test_killed_cli_run_reads_failed_on_show_and_the_same_spec_trains_again(tmp_path):
    args = ["train", "--dataset", "digits", "--hidden", "32", "--epochs", "400", "--quiet"]
    proc = popen_cli(*args, store=tmp_path)
    store = RunStore(tmp_path)
    assert wait_for(lambda: any(r.step > 5 for r in store.list()), timeout=120)
    run_id = store.list()[0].run_id
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    shown = json.loads(cli("show", run_id, store=tmp_path).stdout)  # no `list` first
    assert shown["status"] == "failed" and "gone" in shown["error"]
    again = cli("train", "--dataset", "digits", "--hidden", "32", "--epochs", "1", "--quiet",
                store=tmp_path)  # a different spec trains; the killed one resumes:
    assert again.returncode == 0
    resumed = popen_cli(*args, store=tmp_path)
    assert wait_for(lambda: store.get(run_id).status == "running", timeout=60)
    assert "already training" not in (resumed.stderr.read(0) or "")
    resumed.kill()
    resumed.wait()


def test_a_replaced_worker_can_never_write_again(tmp_path):
    store = RunStore(tmp_path)
    rec, _ = store.create(RunSpec(**SMALL))
    first = store.claim(rec.run_id)
    old = Lease(store, rec.run_id, first.lease)
    store.finish(rec.run_id, "failed", error="reaped while it lived")
    store.requeue(rec.run_id)
    second = store.claim(rec.run_id)
    assert second.lease == first.lease + 1
    row = {"step": 1, "epoch": 0, "loss": 1.0, "elbo": -1.0, "reconstruction": -1.0, "kl": 0.0,
           "kl_per_dim": [0.0, 0.0]}
    for write in (lambda: old.append_metrics(rec.run_id, [row]),
                  lambda: old.add_evals(rec.run_id, 1, 1, {"test_elbo": -1.0}),
                  lambda: old.heartbeat(rec.run_id, 1, 1, 10, 1.0),
                  lambda: old.set_checkpoint_epoch(rec.run_id, 1),
                  lambda: old.finish(rec.run_id, "done", test_elbo=-1.0),
                  old.check):
        with pytest.raises(LeaseLost):
            write()
    path = store.checkpoint_path(rec.run_id)
    with pytest.raises(LeaseLost):
        save_checkpoint(path, {"model": {}}, before_replace=old.check)
    assert not path.exists() and not list(path.parent.glob("*.tmp"))
    now = store.get(rec.run_id)
    assert now.status == "running" and now.lease == second.lease and store.metrics(rec.run_id)["step"] == []
    # A worker whose lease went away mid-run stops without writing: it returns "lost".
    assert train_run(store, rec.run_id) == "done"  # the current owner (this process) finishes


def test_heartbeat_thread_keeps_a_long_evaluation_alive_and_fences_the_reaped(tmp_path, monkeypatch):
    """The issue's reproduction, scaled down: a run busy in bound tracking longer than the
    heartbeat timeout is not reaped while its worker lives (the heartbeat has its own thread)."""
    monkeypatch.setattr(records, "HEARTBEAT_TIMEOUT", 0.6)
    monkeypatch.setattr(records, "HEARTBEAT_SECONDS", 0.1)
    import trainer.loop as loop

    real = loop.record_bounds
    monkeypatch.setattr(loop, "record_bounds", lambda *a, **k: (time.sleep(2.0), real(*a, **k))[1])
    store = RunStore(tmp_path)
    rec, _ = store.create(RunSpec(**{**SMALL, "epochs": 1, "bounds_every": 1}))
    store.claim(rec.run_id)
    out = {}
    worker = threading.Thread(target=lambda: out.setdefault("status", train_run(store, rec.run_id)))
    worker.start()
    seen = set()
    while worker.is_alive():
        seen.add(store.get(rec.run_id).status)  # every read checks liveness
        time.sleep(0.05)
    assert out["status"] == "done" and seen <= {"running", "done"}


def test_stale_heartbeat_fences_the_old_worker_and_a_resume_trains_once(tmp_path, monkeypatch):
    monkeypatch.setattr(records, "HEARTBEAT_TIMEOUT", 0.5)
    monkeypatch.setattr(records, "HEARTBEAT_SECONDS", 60.0)  # a hung heartbeat thread
    import trainer.loop as loop

    real = loop.record_bounds
    monkeypatch.setattr(loop, "record_bounds", lambda *a, **k: (time.sleep(1.5), real(*a, **k))[1])
    store = RunStore(tmp_path)
    rec, _ = store.create(RunSpec(**{**SMALL, "epochs": 1, "bounds_every": 1}))
    store.claim(rec.run_id)
    out = {}
    worker = threading.Thread(target=lambda: out.setdefault("status", train_run(store, rec.run_id)))
    worker.start()
    assert wait_for(lambda: store.get(rec.run_id).status == "failed", timeout=10)
    monkeypatch.setattr(records, "HEARTBEAT_TIMEOUT", 60.0)  # the new owner is not reaped
    store.requeue(rec.run_id)
    store.claim(rec.run_id)  # the second worker takes the run over
    worker.join(30)
    assert out["status"] == "lost"
    assert train_run(store, rec.run_id) == "done"
    m = store.metrics(rec.run_id)
    assert m["step"] == list(range(1, len(m["step"]) + 1))  # trained once: no duplicate steps


def test_slots_cap_workers_across_processes(tmp_path):
    """Four processes each submitting with max_workers=2 never run more than 2 workers."""
    store = RunStore(tmp_path)
    code = ("import sys; from trainer import LocalExecutor, RunStore, RunSpec; "
            "s = RunStore(sys.argv[1]); e = LocalExecutor(s, max_workers=2); "
            "[e.submit(RunSpec(dataset='digits', hidden=(16,), epochs=2, seed=int(sys.argv[2]) * 10 + i)) "
            "for i in range(2)]")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path), str(i)], cwd=ROOT)
             for i in range(4)]
    peak = 0
    t0 = time.time()
    while time.time() - t0 < 180:
        workers = [p for p in Path("/proc").iterdir() if p.name.isdigit()
                   and _is_worker(p, tmp_path)]
        peak = max(peak, len(workers))
        if all(p.poll() is not None for p in procs) and not workers and \
                all(r.status == "done" for r in store.list()) and len(store.list()) == 8:
            break
        time.sleep(0.02)
    assert len(store.list()) == 8 and all(r.status == "done" for r in store.list())
    assert 1 <= peak <= 2
    assert live_slots(store) == 0


def _is_worker(proc: Path, store: Path) -> bool:
    try:
        cmd = (proc / "cmdline").read_bytes().split(b"\0")
        state = (proc / "stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return b"worker" in cmd and str(store).encode() in cmd and state != "Z"


def test_slot_of_a_dead_process_is_reclaimed(tmp_path):
    store = RunStore(tmp_path)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    assert claim_slot(store, 1, pid=dead.pid) == 0
    assert claim_slot(store, 1) == 0  # the dead holder's slot is free again
    assert claim_slot(store, 1) is None
    release_slot(store, 0)
    assert live_slots(store) == 0


def test_an_exception_in_a_cli_run_records_its_cause_and_exits_1(tmp_path, monkeypatch):
    import trainer.loop as loop
    from trainer.cli import main

    def boom(*a, **k):
        raise torch.linalg.LinAlgError("linalg.cholesky: The factorization could not be completed")

    monkeypatch.setattr(loop, "train_epoch", boom)
    code = main(["train", "--dataset", "digits", "--hidden", "16", "--epochs", "1", "--quiet",
                 "--store", str(tmp_path)])
    assert code == 1
    rec = RunStore(tmp_path).list()[0]
    assert rec.status == "failed" and "LinAlgError: linalg.cholesky" in rec.error
    assert "test_lifecycle.py" in rec.error  # where it was raised, not "stopped at step 0"


@pytest.mark.parametrize("lr", [5.0, 10.0])
def test_a_too_large_learning_rate_ends_diverged_with_a_message(tmp_path, lr):
    store = RunStore(tmp_path)
    rec, _ = store.create(RunSpec(**{**SMALL, "hidden": (64, 64), "epochs": 5, "lr": lr}))
    store.claim(rec.run_id)
    assert train_run(store, rec.run_id) == "diverged"
    got = store.get(rec.run_id)
    assert got.diverged_step is not None and f"lr = {lr:g}" in got.error, got.error
    assert "too large" in got.error or "NaN/inf" in got.error


def test_learning_rate_limit_is_ten():
    assert RunSpec(lr=10.0).lr == 10.0
    with pytest.raises(ValueError):
        RunSpec(lr=10.5)


def test_explosion_rule():
    from trainer.divergence import exploded

    first = {"loss": 540.0}
    assert not exploded(first, 5000.0) and exploded(first, 2e9)
    # A positive ELBO (Gaussian pixels): the scale is |first loss|, so 100 × 3 nats worse.
    assert exploded({"loss": -3.0}, 400.0) and not exploded({"loss": -3.0}, 200.0)


def test_damaged_checkpoint_gives_a_clear_error_and_resume_starts_over(tmp_path):
    store = RunStore(tmp_path)
    rec, _ = store.create(RunSpec(**{**SMALL, "epochs": 2}))
    store.claim(rec.run_id)
    train_run(store, rec.run_id)
    store.checkpoint_path(rec.run_id).write_bytes(b"PK\x03\x04 not a checkpoint")
    with pytest.raises(CorruptCheckpoint) as err:
        load_model(rec.run_id, store)
    assert "damaged" in str(err.value) and "weights_only" not in str(err.value)
    store.finish(rec.run_id, "failed", error="damaged")
    store.requeue(rec.run_id)
    store.claim(rec.run_id)
    assert train_run(store, rec.run_id) == "done"
    assert store.checkpoint_path(rec.run_id).with_suffix(".corrupt").exists()
    assert "damaged" in store.get(rec.run_id).error  # done, with a note of what happened
    load_model(rec.run_id, store)


def test_checkpoints_are_fsynced_before_the_rename(tmp_path, monkeypatch):
    calls = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1])
    save_checkpoint(tmp_path / "c.pt", {"model": {}})
    assert calls == ["fsync", "replace", "fsync"]  # file, rename, directory


@pytest.mark.parametrize("bad", ["../../etc", "..", "abc", "3F9A0C1B2D4E", "3f9a0c1b2d4e/x"])
def test_run_ids_are_validated_before_touching_the_disk(tmp_path, bad):
    store = RunStore(tmp_path)
    with pytest.raises(ValueError):
        store.run_dir(bad)


def test_cli_refuses_a_path_as_run_id(tmp_path):
    from trainer.cli import main

    (tmp_path / "keep").mkdir()
    assert main(["delete", "../keep", "--store", str(tmp_path / "store")]) == 2
    assert (tmp_path / "keep").exists()


def test_list_into_a_closed_pipe_is_quiet(tmp_path, monkeypatch, capsys):
    """`trainer list | head`: the reader has gone; exit 0 with no BrokenPipe traceback."""
    from trainer.cli import main

    store = RunStore(tmp_path)
    for seed in range(3):
        store.create(RunSpec(**{**SMALL, "seed": seed}))
    read, write = os.pipe()
    os.close(read)
    closed = os.fdopen(write, "w", buffering=1)
    monkeypatch.setattr(sys, "stdout", closed)
    try:
        assert main(["list", "--store", str(tmp_path)]) == 0
    finally:
        monkeypatch.undo()
        closed.close()
    assert "Traceback" not in capsys.readouterr().err
