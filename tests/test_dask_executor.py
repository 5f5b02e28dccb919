"""The Dask executor: runs sent to a Dask cluster train on its workers and come back to the
store exactly as local runs do (issue 11 §6). A LocalCluster with worker processes, and
`dask scheduler` + `dask worker` as separate processes, both on localhost."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

pytest.importorskip("distributed", reason="dask[distributed] is not installed "
                    "(pip install -r requirements.txt)")

from distributed import LocalCluster  # noqa: E402

from trainer import LocalExecutor, RunSpec, RunStore, default_store_dir, load_model  # noqa: E402
from trainer.dask_executor import DaskExecutor, StoreUnreachable, open_store  # noqa: E402
from trainer.executors import ExecutorUnavailable, configured_address, make_executor  # noqa: E402
from trainer.loop import train_run  # noqa: E402

from .apptest_helpers import app  # noqa: E402
from .conftest import ROOT  # noqa: E402

TINY = dict(dataset="digits", hidden=(16,), latent_dim=2, epochs=2, bounds_every=0)
LONG = dict(TINY, epochs=2000, batch_size=16)  # minutes of training: it must be cancelled


def wait_for(predicate, timeout=90.0, every=0.1):  # generous: 2 cores shared with others
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if predicate():
            return True
        time.sleep(every)
    return False


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=1, processes=True, threads_per_worker=1,
                      dashboard_address=None) as c, c.get_client() as client:
        client.run(__import__, "trainer.loop")  # the worker's first run would pay the imports
        yield c


@pytest.fixture
def executor(cluster):
    ex = DaskExecutor(RunStore(default_store_dir()), cluster.scheduler_address)
    yield ex
    ex.shutdown(timeout=30)


def worker_pids(ex: DaskExecutor) -> set[int]:
    return set(ex.client.run(os.getpid).values())


def finished(store, run_id, timeout=90.0):
    assert wait_for(lambda: store.get(run_id).status not in ("queued", "running"), timeout), \
        store.get(run_id)
    return store.get(run_id)


# ---- configuration (no cluster) ----------------------------------------------
@pytest.mark.parametrize("value, address", [
    ("", None), ("local", None), ("tcp://127.0.0.1:8786", "tcp://127.0.0.1:8786"),
    (" tcp://sched.dept.example.org:8786 ", "tcp://sched.dept.example.org:8786"),
])
def test_configured_address_reads_the_variable(value, address):
    assert configured_address({"VAE_EXPLORER_EXECUTOR": value}) == address


@pytest.mark.parametrize("value", ["127.0.0.1:8786", "http://127.0.0.1:8786", "tcp://host",
                                   "tcp://host:99999", "dask"])
def test_a_bad_address_says_what_to_write_and_how_to_start_a_scheduler(value):
    with pytest.raises(ExecutorUnavailable) as err:
        configured_address({"VAE_EXPLORER_EXECUTOR": value})
    assert "tcp://HOST:PORT" in str(err.value) and "dask scheduler --port" in str(err.value)


def test_without_the_variable_runs_train_locally(monkeypatch, tmp_path):
    monkeypatch.delenv("VAE_EXPLORER_EXECUTOR", raising=False)
    assert isinstance(make_executor(RunStore(tmp_path / "s"), max_workers=1), LocalExecutor)


def test_a_worker_that_cannot_see_the_store_says_so_and_creates_nothing(tmp_path):
    with pytest.raises(StoreUnreachable) as err:
        open_store(str(tmp_path / "elsewhere"))
    assert str(tmp_path / "elsewhere") in str(err.value) and "same path" in str(err.value)
    assert not (tmp_path / "elsewhere").exists()


def cli(*args, store, **env):
    return subprocess.run([sys.executable, "-m", "trainer", *args, "--store", str(store)],
                          capture_output=True, text=True, cwd=ROOT, timeout=180,
                          env={**os.environ, "OMP_NUM_THREADS": "1", **env})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("value, message", [
    ("http://127.0.0.1:8786", "is not a Dask scheduler address"),
    (f"tcp://127.0.0.1:{free_port()}", "cannot reach the Dask scheduler"),
])
def test_cli_with_a_bad_or_unreachable_scheduler_exits_2_with_the_reason(tmp_path, value, message):
    out = cli("train", "--dataset", "digits", "--epochs", "1", store=tmp_path / "s",
              VAE_EXPLORER_EXECUTOR=value, VAE_EXPLORER_EXECUTOR_TIMEOUT="1")
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and value in out.stderr and "dask scheduler" in out.stderr
    assert "Traceback" not in out.stderr


# ---- a LocalCluster ----------------------------------------------------------
def test_a_run_trains_on_a_dask_worker_exactly_as_it_would_here(executor, tmp_path):
    store = executor.store
    rec = finished(store, executor.submit(RunSpec(**TINY)).run_id)
    assert rec.status == "done" and rec.error is None, rec.error
    assert rec.worker_pid is None and rec.lease == 1
    assert store.metrics(rec.run_id)["step"][-1] == rec.step == rec.total_steps
    assert store.evals(rec.run_id)["test_elbo"]["epoch"] == [1, 2]
    model = load_model(rec.run_id, store=store)
    assert model.checkpoint_epoch == 2 and model.encode(torch.zeros(3, 64)).mean.shape == (3, 2)
    # Oracle: the same spec trained in this process with the worker's one torch thread.
    here = RunStore(tmp_path / "here")
    ref, _ = here.create(RunSpec(**TINY))
    here.claim(ref.run_id)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        assert train_run(here, ref.run_id) == "done"
    finally:
        torch.set_num_threads(threads)
    assert here.get(ref.run_id).test_elbo == pytest.approx(rec.test_elbo, rel=1e-5)


def test_the_task_claims_the_run_as_the_dask_worker_process(executor):
    store = executor.store
    rec = executor.submit(RunSpec(**LONG))
    assert wait_for(lambda: store.get(rec.run_id).step > 0)
    running = store.get(rec.run_id)
    assert running.status == "running" and running.worker_pid in worker_pids(executor)
    assert running.worker_pid != os.getpid()
    executor.cancel(rec.run_id)
    assert finished(store, rec.run_id, timeout=30).status == "cancelled"


def test_identical_specs_train_once_even_from_two_clients(executor, cluster):
    store = executor.store
    other = DaskExecutor(store, cluster.scheduler_address)  # a second app or a CLI
    try:
        a = executor.submit(RunSpec(**TINY, seed=7))
        b = other.submit(RunSpec(**TINY, seed=7))
        c = executor.submit(RunSpec(**TINY, seed=7))
        assert a.run_id == b.run_id == c.run_id and len(store.list()) == 1
        done = finished(store, a.run_id)
        assert done.status == "done" and done.lease == 1  # claimed (and trained) exactly once
        again = executor.submit(RunSpec(**TINY, seed=7))
        assert again.status == "done" and store.get(a.run_id).lease == 1
    finally:
        other.close()


def test_cancel_a_training_run_and_a_queued_one_then_resume(executor):
    store = executor.store
    long = executor.submit(RunSpec(**LONG))
    assert wait_for(lambda: store.get(long.run_id).step > 0)
    behind = executor.submit(RunSpec(**TINY, seed=11))  # waits in Dask: one worker thread
    assert executor.cancel(behind.run_id).status == "cancelled"  # at once, never claimed
    assert store.get(long.run_id).status == "running"
    executor.cancel(long.run_id)
    stopped = finished(store, long.run_id, timeout=30)
    assert stopped.status == "cancelled" and stopped.step < stopped.total_steps
    executor.resume(long.run_id)
    assert wait_for(lambda: store.get(long.run_id).lease == 2 and store.get(long.run_id).status
                    == "running")
    executor.cancel(long.run_id)
    assert finished(store, long.run_id, timeout=30).status == "cancelled"
    time.sleep(1.0)  # the worker is free now: a task for `behind` would have claimed it
    assert store.get(behind.run_id).status == "cancelled" and store.get(behind.run_id).lease == 0


class _Task:
    """A Dask future whose task is still returning (never done here)."""
    def done(self):
        return False

    def add_done_callback(self, callback):
        pass


class _Client:
    def __init__(self):
        self.sent = []

    def submit(self, *args, key, **kwargs):
        self.sent.append(key)
        return _Task()


def test_resume_sends_a_new_task_while_the_cancelled_runs_task_is_still_returning():
    """The race CI hit: the store says cancelled a moment before the old task returns; that
    task can never claim the run again, so resume must not count it as the run's task."""
    store = RunStore(default_store_dir())
    rec, _ = store.create(RunSpec(**TINY))
    claimed = store.claim(rec.run_id)
    store.finish(rec.run_id, "cancelled", lease=claimed.lease)
    client = _Client()
    ex = DaskExecutor(store, "tcp://127.0.0.1:1", client=client)
    ex._futures[rec.run_id] = _Task()  # the cancelled run's task, not returned yet
    ex.resume(rec.run_id)
    assert store.get(rec.run_id).status == "queued" and len(client.sent) == 1
    ex.send(rec.run_id)  # the new task is held: no third one
    assert len(client.sent) == 1


def test_a_worker_that_cannot_open_the_store_fails_the_run_with_the_reason(executor, tmp_path):
    executor.worker_store_root = str(tmp_path / "not-mounted-here")
    rec = finished(executor.store, executor.submit(RunSpec(**TINY, seed=3)).run_id)
    assert rec.status == "failed" and rec.resumable
    assert "cannot open the run store" in rec.error and "not-mounted-here" in rec.error


def test_cli_train_waits_for_the_cluster_and_prints_the_summary(cluster, tmp_path):
    out = cli("train", "--dataset", "digits", "--hidden", "16", "--epochs", "2", "--seed", "4",
              store=tmp_path / "s", VAE_EXPLORER_EXECUTOR=cluster.scheduler_address)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == "done" and result["test_elbo"] < 0 and result["epoch"] == 2
    rec = RunStore(tmp_path / "s").get(result["run_id"])
    assert rec.lease == 1 and rec.checkpoint_epoch == 2


def test_cli_resume_and_step_go_to_the_cluster_and_wait(cluster, tmp_path):
    """With the variable set, `resume` and `step` send the run to the Dask worker and follow it
    to its pause or end, as `train` does (a local resume returns at once, queued)."""
    store = RunStore(tmp_path / "s")
    rec, _ = store.create(RunSpec(dataset="digits", hidden=(16,), epochs=3, seed=6,
                                  bounds_every=0))
    env = dict(VAE_EXPLORER_EXECUTOR=cluster.scheduler_address)
    out = cli("step", rec.run_id, store=store.root, **env)
    assert out.returncode == 0, out.stderr
    stepped = json.loads(out.stdout.strip().splitlines()[-1])
    assert stepped["status"] == "paused" and stepped["epoch"] == 1, stepped
    out = cli("resume", rec.run_id, store=store.root, **env)
    assert out.returncode == 0, out.stderr
    done = json.loads(out.stdout.strip().splitlines()[-1])
    assert done["status"] == "done" and done["epoch"] == 3  # locally it would print "queued"
    assert store.get(rec.run_id).lease == 2  # claimed twice: the step, then the resume


def test_cli_pretrain_with_the_cluster_waits_for_its_runs(cluster, tmp_path, monkeypatch,
                                                          capsys):
    """`pretrain` sends the class models to the cluster and, since Dask drops the tasks of a
    client that has gone, waits for them even without --wait (here one tiny class model)."""
    from trainer import class_models
    from trainer.cli import main

    tiny = RunSpec(dataset="digits", hidden=(16,), epochs=1, seed=8, bounds_every=0)
    real = class_models.pretrain
    monkeypatch.setattr(class_models, "pretrain", lambda ex, specs=(tiny,): real(ex, specs))
    monkeypatch.setenv("VAE_EXPLORER_EXECUTOR", cluster.scheduler_address)
    assert main(["pretrain", "--store", str(tmp_path / "s")]) == 0
    out, err = capsys.readouterr()
    assert "waiting until the class models are trained" in err
    assert RunStore(tmp_path / "s").get(tiny.run_id).status == "done"


def test_ctrl_c_in_the_cli_cancels_the_run_on_the_cluster(cluster, tmp_path):
    store = RunStore(tmp_path / "s")
    proc = subprocess.Popen(
        [sys.executable, "-m", "trainer", "train", "--dataset", "digits", "--hidden", "16",
         "--epochs", "2000", "--batch-size", "16", "--bounds-every", "0", "--store",
         str(store.root)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "VAE_EXPLORER_EXECUTOR": cluster.scheduler_address})
    try:
        assert wait_for(lambda: any(r.step > 0 for r in store.list()), timeout=90)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 1, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == "cancelled" and store.get(result["run_id"]).status == "cancelled"


def test_the_app_sends_runs_to_the_cluster(cluster, monkeypatch):
    import ui.state

    monkeypatch.setenv("VAE_EXPLORER_EXECUTOR", cluster.scheduler_address)
    at = app("app_pages/train.py")
    at.selectbox(key="dataset").set_value("digits").run()
    at.text_input(key="hidden").set_value("16").run()
    at.number_input(key="epochs").set_value(2).run()
    at.button(key="train_button").click().run()
    store = RunStore(default_store_dir())
    ex = ui.state._executor_for(str(default_store_dir()), cluster.scheduler_address)
    try:
        assert isinstance(ex, DaskExecutor)
        (rec,) = store.list()
        assert finished(store, rec.run_id).status == "done" and rec.lease <= 1
        assert not (store.root / "worker.log").exists()  # no local worker was started
        at.run()
        assert any("✅ done" in m.value for m in at.markdown)
    finally:
        ex.close()
        ui.state._executor_for.clear()


def test_the_app_with_a_bad_address_shows_the_reason(monkeypatch):
    monkeypatch.setenv("VAE_EXPLORER_EXECUTOR", "localhost:8786")
    at = app()
    assert any("is not a Dask scheduler address" in e.value for e in at.error)


# ---- `dask scheduler` and `dask worker` processes ----------------------------
@pytest.fixture
def scheduler_and_worker(tmp_path):
    dask = Path(sys.executable).parent / "dask"
    if not dask.exists():
        pytest.skip(f"no dask command next to {sys.executable}")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    procs = []
    try:
        for args in (["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                     ["worker", f"tcp://127.0.0.1:{port}", "--nworkers", "1", "--nthreads", "1",
                      "--no-dashboard"]):
            log = open(tmp_path / f"{args[0]}.log", "wb")
            procs.append(subprocess.Popen([str(dask), *args], stdout=log, stderr=log, env=env,
                                          cwd=tmp_path, start_new_session=True))
        yield f"tcp://127.0.0.1:{port}"
    finally:
        for p in reversed(procs):
            os.killpg(p.pid, signal.SIGTERM)
        for p in reversed(procs):
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)


def test_a_run_trains_on_separate_scheduler_and_worker_processes(scheduler_and_worker,
                                                                 monkeypatch):
    monkeypatch.setenv("VAE_EXPLORER_EXECUTOR", scheduler_and_worker)
    monkeypatch.setenv("VAE_EXPLORER_EXECUTOR_TIMEOUT", "20")
    ex = make_executor(RunStore(default_store_dir()))
    try:
        assert isinstance(ex, DaskExecutor)
        assert wait_for(lambda: ex.worker_threads() == 1, timeout=60)
        rec = finished(ex.store, ex.submit(RunSpec(**TINY)).run_id)
        assert rec.status == "done", rec.error
        assert ex.store.metrics(rec.run_id)["step"][-1] == rec.total_steps
        prefixes = ex.client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.task_prefixes))
        assert prefixes == ["vae-train"]
    finally:
        ex.close()
