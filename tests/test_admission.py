"""Admission control, upload limits and classroom mode (issue 11 §3–4)."""
from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
import tomllib
import zipfile

import numpy as np
import pytest

from explorer.data import upload_formats, uploads
from explorer.data.errors import DatasetError
from trainer import LocalExecutor, RunSpec, RunStore
from trainer.admission import Limits, Refused, check, estimate

from .apptest_helpers import app, trained_run
from .conftest import ROOT

GENEROUS = Limits(step_bytes=4 * 2**30, run_seconds=2 * 3600, bound_samples=2_000_000)


@pytest.mark.parametrize("fields, words", [
    (dict(model="categorical", latent_dim=64, n_categories=512, n_samples=64, batch_size=8192),
     "GB of memory per training step"),
    (dict(bounds_k=5000, bounds_points=2000, bounds_every=1), "importance samples"),
    (dict(epochs=2000, batch_size=1), "would train for about"),
])
def test_specs_that_eat_the_machine_are_refused_with_the_number_and_the_limit(fields, words):
    with pytest.raises(Refused) as err:
        check(RunSpec(**fields), GENEROUS)
    assert words in str(err.value) and "limit" in str(err.value) and "VAE_EXPLORER_MAX" in str(err.value)


def test_ordinary_specs_are_admitted():
    for fields in (dict(), dict(dataset="mnist5k", latent_dim=50, hidden=(200, 200),
                                objective="iwae", k=50, epochs=100),
                   dict(dataset="pinwheel", hidden=(64, 64), likelihood="gaussian_fixed")):
        check(RunSpec(**fields), GENEROUS)


def test_the_memory_estimate_counts_the_step_tensors():
    """The estimate grows linearly in the batch × samples the decoder sees: doubling k
    adds exactly the decoder's share again (the oracle is the formula's own linearity,
    checked against the decoder's widths read from the model)."""
    base = dict(dataset="mnist5k", latent_dim=10, hidden=(100,), objective="iwae", batch_size=100)
    e1, e2, e4 = (estimate(RunSpec(**base, k=k)).step_bytes for k in (1, 2, 4))
    assert e4 - e2 == pytest.approx(2 * (e2 - e1))
    per_sample = 4 * 4 * 100 * (10 + 100 + 784)  # B × (z, hidden, logits) × 4 saved × 4 bytes
    assert e2 - e1 == pytest.approx(per_sample)


def test_executor_and_cli_refuse_before_storing(tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_EXPLORER_MAX_RUN_HOURS", "0.0001")
    store = RunStore(tmp_path)
    with pytest.raises(Refused):
        LocalExecutor(store).submit(RunSpec(dataset="digits", epochs=500))
    assert store.list() == []
    out = subprocess.run([sys.executable, "-m", "trainer", "train", "--dataset", "digits",
                          "--epochs", "500", "--store", str(tmp_path)], capture_output=True,
                         text=True, cwd=ROOT, env=dict(os.environ), timeout=120)
    assert out.returncode == 2 and "refused" in out.stderr and "Traceback" not in out.stderr
    assert store.list() == []


def test_streamlit_upload_limit_matches_the_apps():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["maxUploadSize"] * 2**20 == uploads.MAX_UPLOAD_BYTES


def test_the_server_does_not_run_a_full_garbage_collection_after_every_script_run():
    # Streamlit's default: ≈0.13 s of GIL per rerun with torch loaded, thirty sessions queued
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False


def test_a_zip_bomb_npz_is_refused_from_its_headers():
    buf = io.BytesIO()
    np.savez_compressed(buf, x=np.zeros((65536, 1024), dtype=np.float64))  # 512 MB of zeros
    data = buf.getvalue()
    assert len(data) < 1_000_000
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert sum(m.file_size for m in z.infolist()) > 500 * 2**20
    with pytest.raises(DatasetError, match="unpacks to"):
        uploads.parse(data, "bomb.npz")
    assert upload_formats.unpacked_limit(len(data)) == upload_formats.MIN_UNPACKED_BYTES


def test_huge_values_are_refused_with_where_they_are():
    x = np.random.default_rng(0).normal(size=(50, 2))
    x[7, 1] = 1e38
    buf = io.BytesIO()
    np.save(buf, x)
    with pytest.raises(DatasetError, match=r"1e\+38 \(row 8, column 2\)"):
        uploads.parse(buf.getvalue(), "big.npy")


def test_worker_memory_is_capped(tmp_path):
    code = ("import os, resource; os.environ['VAE_EXPLORER_WORKER_GB'] = '5'; "
            "from trainer.admission import limit_worker_memory; limit_worker_memory(); "
            "print(resource.getrlimit(resource.RLIMIT_AS)[0])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert int(out.stdout) == 5 * 2**30
    assert resource.getrlimit(resource.RLIMIT_AS)[0] != 5 * 2**30  # the test process is untouched


def test_classroom_mode_locks_training_and_deleting_until_the_token(monkeypatch):
    run_id = trained_run()
    monkeypatch.setenv("VAE_EXPLORER_TEACHER_TOKEN", "s3cret")
    at = app("app_pages/train.py")
    delete = at.button[[b.label for b in at.button].index("Delete")]
    assert delete.disabled
    at.button(key="train_button").click().run()
    assert any("Classroom mode" in w.value for w in at.warning)
    assert [r.run_id for r in RunStore().list()] == [run_id]  # nothing was queued
    at.sidebar.text_input(key="teacher_token_input").input("wrong").run()
    assert any("not the teacher token" in e.value for e in at.error)
    at.sidebar.text_input(key="teacher_token_input").input("s3cret").run()
    assert not at.button[[b.label for b in at.button].index("Delete")].disabled
    at.button(key="train_button").click().run()
    assert len(RunStore().list()) == 2  # the teacher's run is queued


def test_a_session_quota_keeps_the_queue_fair(monkeypatch):
    import ui.jobs

    monkeypatch.setattr(ui.jobs, "SESSION_QUOTA", 1)
    monkeypatch.setattr(LocalExecutor, "ensure_workers", lambda self: 0)  # runs stay queued
    at = app("app_pages/train.py")
    at.button(key="train_button").click().run()
    at.number_input(key="seed").set_value(1).run()
    at.button(key="train_button").click().run()
    assert any("limit is 1" in w.value for w in at.warning)
    assert len(RunStore().list()) == 1

