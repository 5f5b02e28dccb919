"""`python -m trainer pause|play|step|speed|reset`: JSON on success, exit 2 with a reason on a
bad id, a bad value or a run in a state the command cannot act on; and a paused worker run."""
import json
import subprocess
import sys

import torch

from trainer import LocalExecutor, RunSpec, RunStore, load_model
from trainer.cli import main
from trainer.slots import live_slots

from .conftest import ROOT
from .test_playback import SPEC, trained
from .test_trainer import wait_for


def run_cli(capsys, *args) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_control_commands_exit_2_on_bad_ids_states_and_values(tmp_path, capsys):
    store = RunStore(tmp_path)
    done = trained(store, RunSpec(**{**SPEC, "epochs": 1}))
    s = ["--store", str(tmp_path)]
    for args, said in [(["pause", "../../etc", *s], "not a run id"),
                       (["play", "0123456789ab", *s], "no run"),
                       (["pause", done, *s], "done"),
                       (["play", done, *s], "continues a paused run"),
                       (["step", done, *s], "done"),
                       (["speed", done, "fast", *s], "not 'full' or a number"),
                       (["speed", done, "0", *s], "steps per second in (0,")]:
        code, out, err = run_cli(capsys, *args)
        assert code == 2 and said in err and out == "", (args, err)


def test_pause_speed_and_cancel_of_a_queued_run(tmp_path, capsys):
    store = RunStore(tmp_path)
    rec, _ = store.create(RunSpec(**SPEC))
    s = ["--store", str(tmp_path)]
    code, out, _ = run_cli(capsys, "speed", rec.run_id, "5/s", *s)
    assert code == 0 and json.loads(out)["speed"] == "5/s" and store.get(rec.run_id).speed == 5
    code, out, _ = run_cli(capsys, "speed", rec.run_id, "full", *s)
    assert code == 0 and store.get(rec.run_id).speed is None
    code, out, _ = run_cli(capsys, "pause", rec.run_id, *s)
    assert code == 0 and json.loads(out)["status"] == "paused"
    code, out, _ = run_cli(capsys, "cancel", rec.run_id, *s)  # no worker: cancelled at once
    assert code == 0 and json.loads(out)["status"] == "cancelled"


def test_the_module_entry_point_knows_the_commands(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "trainer", "step", "0123456789ab", "--store",
                           str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 2 and "no run '0123456789ab'" in proc.stderr


def test_a_worker_run_paused_from_the_cli_plays_on_to_the_clean_result(tmp_path, capsys):
    """In a real worker process: paused while it trains, the worker leaves and frees its slot,
    ▶ starts a new one, and the run ends with the uninterrupted run's weights."""
    spec = RunSpec(**{**SPEC, "epochs": 4})
    store = RunStore(tmp_path / "s")
    executor = LocalExecutor(store, max_workers=2)  # one torch thread per worker
    rec, _ = store.create(spec)
    store.set_speed(rec.run_id, 10.0)  # slow enough to pause mid-run
    executor.ensure_workers()
    assert wait_for(lambda: store.get(rec.run_id).step >= 3, timeout=120)
    code, out, _ = run_cli(capsys, "pause", rec.run_id, "--store", str(tmp_path / "s"))
    assert code == 0
    assert wait_for(lambda: store.get(rec.run_id).status == "paused", timeout=30)
    paused = store.get(rec.run_id)
    assert 3 <= paused.step < paused.total_steps and paused.worker_pid is None
    assert wait_for(lambda: executor.live_workers() == 0 and live_slots(store) == 0, timeout=30)
    store.set_speed(rec.run_id, None)
    executor.resume(rec.run_id)  # what `play` does, with this executor's workers
    assert wait_for(lambda: store.get(rec.run_id).status == "done", timeout=120)

    clean_store = RunStore(tmp_path / "clean")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        trained(clean_store, spec)
    finally:
        torch.set_num_threads(threads)
    a, b = load_model(rec.run_id, store).state_dict(), load_model(rec.run_id, clean_store).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert store.metrics(rec.run_id) == clean_store.metrics(rec.run_id)
