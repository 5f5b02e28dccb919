"""The class models (issue 12): they cover every view a page asks for, the CLI and the app's
first start queue them once, and a page waiting for one shows its progress."""
import ast
import json
import sys
import threading

import pytest

from explorer import data
from trainer import LocalExecutor, RunSpec, RunStore, class_models, default_store_dir
from trainer.cli import main
from trainer.loop import train_run

from ui.background import page_jobs

from .apptest_helpers import app, settled
from .conftest import ROOT

TINY = RunSpec(dataset="digits", hidden=(16,), epochs=2, bounds_every=0)


@pytest.fixture
def no_workers(monkeypatch):
    """Submitted runs stay queued: nothing trains unless a test trains it in-process."""
    monkeypatch.setattr(LocalExecutor, "ensure_workers", lambda self: 0)


def page_views() -> set[str]:
    """Every `view="…"` a page passes to the run picker (read from the page sources)."""
    views = set()
    for path in (ROOT / "app_pages").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                views |= {k.value.value for k in node.keywords if k.arg == "view"
                          and isinstance(k.value, ast.Constant) and isinstance(k.value.value, str)}
    return views


def test_class_models_cover_every_view_a_page_or_family_names():
    wanted = page_views() | class_models.views_needed()
    assert {"latent_space", "bound_ladder", "codes", "codebook"} <= wanted  # the scan finds them
    covered = {v for s in class_models.CLASS_MODELS for v in s.family.views}
    assert wanted <= covered, wanted - covered
    assert len(set(class_models.CLASS_IDS)) == len(class_models.CLASS_MODELS)


def test_the_mixture_page_and_the_digit_pages_find_their_run():
    specs = class_models.CLASS_MODELS
    first = specs[0]  # the default of Latent space, Bound ladder, Top half of a digit, …
    assert (first.dataset, first.latent_dim, first.likelihood) == ("mnist5k", 2, "bernoulli")
    points = [s for s in specs if data.info(s.dataset).kind == "points"]
    from ui.mixture_data import point_datasets

    assert points and points[0].dataset == point_datasets(list(data.DATASETS))[0]  # its default
    assert points[0].latent_dim <= 2 and "latent_space" in points[0].family.views


def test_view_coverage_counts_runs_that_can_be_shown(no_workers):
    store = RunStore(default_store_dir())
    records = class_models.pretrain(LocalExecutor(store))
    cover = class_models.view_coverage(records)
    assert set(cover) == class_models.views_needed() and not any(cover.values())  # all queued
    rec = store.claim(records[0].run_id)
    store.set_checkpoint_epoch(rec.run_id, 0, lease=rec.lease)
    cover = class_models.view_coverage([store.get(r.run_id) for r in records])
    assert cover["latent_space"] == [rec.run_id] and cover["codebook"] == []


def test_pretrain_cli_queues_them_once_and_prints_a_summary(no_workers, tmp_path, capsys):
    store_dir = tmp_path / "cli-store"
    assert main(["pretrain", "--store", str(store_dir)]) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [r["run_id"] for r in first["runs"]] == list(class_models.CLASS_IDS)
    assert {r["status"] for r in first["runs"]} == {"queued"}
    assert main(["pretrain", "--store", str(store_dir)]) == 0  # idempotent
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert [r["run_id"] for r in again["runs"]] == list(class_models.CLASS_IDS)
    assert len(RunStore(store_dir).list()) == len(class_models.CLASS_MODELS)


def test_pretrain_wait_exits_1_when_a_class_model_failed(no_workers, tmp_path, capsys):
    store = RunStore(tmp_path / "s")
    for spec in class_models.CLASS_MODELS:
        rec, _ = store.create(spec)
        rec = store.claim(rec.run_id)
        store.finish(rec.run_id, "done", lease=rec.lease)
    assert main(["pretrain", "--wait", "--store", str(store.root)]) == 0
    store.delete(class_models.CLASS_IDS[-1])
    rec, _ = store.create(class_models.CLASS_MODELS[-1])
    rec = store.claim(rec.run_id)
    store.finish(rec.run_id, "diverged", lease=rec.lease)  # not resumable: pretrain keeps it
    assert main(["pretrain", "--wait", "--store", str(store.root)]) == 1
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["runs"][-1]["status"] == "diverged"


def test_wait_follows_a_run_to_the_end(no_workers):
    store = RunStore(default_store_dir())
    records = class_models.pretrain(LocalExecutor(store), [TINY])
    rec = store.claim(TINY.run_id)
    worker = threading.Thread(target=train_run, args=(store, rec.run_id))  # a worker's job
    worker.start()
    lines = []
    records = class_models.wait(store, records, lines.append, poll=0.1)
    worker.join()
    assert [r.status for r in records] == ["done"] and "1/1 done" in lines[-1]


def test_wait_keeps_waiting_while_a_run_is_paused(no_workers):
    """A paused class model has not finished: --wait names it and waits for it to be played."""
    store = RunStore(default_store_dir())
    records = class_models.pretrain(LocalExecutor(store), [TINY])
    rec = store.claim(TINY.run_id)
    store.pause(rec.run_id, lease=rec.lease)
    lines, played = [], threading.Event()

    def line(text):
        lines.append(text)
        if "paused" in text and not played.is_set():  # the teacher presses play
            played.set()
            store.requeue(TINY.run_id)
            threading.Thread(target=train_run,
                             args=(store, store.claim(TINY.run_id).run_id)).start()

    records = class_models.wait(store, records, line, poll=0.1)
    assert played.is_set() and [r.status for r in records] == ["done"]
    assert any(f"play {TINY.run_id}" in text for text in lines) and "1/1 done" in lines[-1]


def test_first_start_queues_once_per_store(no_workers, monkeypatch):
    monkeypatch.setenv(class_models.ENV_SWITCH, "1")
    store = RunStore(default_store_dir())
    executor = LocalExecutor(store)
    assert [r.run_id for r in class_models.first_start(executor)] == list(class_models.CLASS_IDS)
    assert class_models.first_start(executor) == []
    for run_id in class_models.CLASS_IDS:
        store.delete(run_id)
    assert class_models.first_start(executor) == [] and store.list() == []  # the marker stays


def test_first_start_leaves_a_used_or_switched_off_store_alone(no_workers, tmp_path, monkeypatch):
    used = RunStore(tmp_path / "used")
    used.create(TINY)
    monkeypatch.setenv(class_models.ENV_SWITCH, "1")
    assert class_models.first_start(LocalExecutor(used)) == []
    monkeypatch.setenv(class_models.ENV_SWITCH, "0")
    fresh = RunStore(tmp_path / "fresh")
    assert class_models.first_start(LocalExecutor(fresh)) == [] and fresh.list() == []
    assert not (fresh.root / class_models.MARKER).exists()


def test_the_app_queues_the_class_models_on_first_start(no_workers, monkeypatch):
    monkeypatch.setenv(class_models.ENV_SWITCH, "1")
    at = app()
    ids = {r.run_id for r in RunStore(default_store_dir()).list(("queued",))}
    assert ids == set(class_models.CLASS_IDS)
    assert any("Class models ready: 0 of" in c.value for c in at.caption)
    assert len(at.get("progress")) == len(ids)  # Home: training now


def test_the_suite_keeps_a_fresh_store_empty(no_workers):
    app()
    assert RunStore(default_store_dir()).list() == []


def test_a_page_shows_progress_while_its_class_model_is_queued_then_the_run(no_workers,
                                                                           monkeypatch):
    monkeypatch.setattr(class_models, "CLASS_IDS", (TINY.run_id,))
    store = RunStore(default_store_dir())
    store.create(TINY)
    at = app("app_pages/latent_space.py")
    bars = [p.proto.text for p in at.get("progress")]
    assert len(bars) == 1 and bars[0].startswith("Preparing the class models: Gaussian latent "
                                                 "R^2 on digits, 2 epochs — queued")
    assert not at.info  # the "No runs yet" hint is not shown
    rec = store.claim(TINY.run_id)
    at.run()
    assert "epoch 0 of 2" in at.get("progress")[0].proto.text
    train_run(store, rec.run_id)
    ended = page_jobs().ended
    at.run()
    settled(at, ended)  # the page's own background results (k-NN accuracy) have their bars
    assert not at.exception and not at.get("progress")
    assert at.selectbox(key="run").value == TINY.run_id


def test_without_a_class_model_on_its_way_the_hint_says_how_to_train(no_workers):
    at = app("app_pages/vq_codebook.py")
    assert not at.get("progress")
    hint = " ".join(i.value for i in at.info)
    assert "No runs yet with a vqvae latent" in hint and "-m trainer pretrain" in hint


def test_runs_someone_trained_come_first_then_class_models_in_order(no_workers):
    store = RunStore(default_store_dir())
    for spec in reversed(class_models.CLASS_MODELS[:3]):
        store.create(spec)
    store.create(TINY)
    ordered = [r.run_id for r in class_models.order_for_display(store.list())]
    assert ordered == [TINY.run_id, *class_models.CLASS_IDS[:3]]


def test_commands_use_this_apps_python(monkeypatch):
    from ui.preparation import PROJECT_ROOT, trainer_command

    monkeypatch.setattr(sys, "executable", str(PROJECT_ROOT / ".venv" / "bin" / "python"))
    assert trainer_command("list") == ".venv/bin/python -m trainer list"
    monkeypatch.setattr(sys, "executable", "/opt/py/bin/python3")
    assert trainer_command("pretrain") == "/opt/py/bin/python3 -m trainer pretrain"


def test_the_train_pages_default_spec_is_the_first_class_model(no_workers, monkeypatch):
    submitted = []
    real = LocalExecutor.submit
    monkeypatch.setattr(LocalExecutor, "submit",
                        lambda self, spec: submitted.append(spec) or real(self, spec))
    at = app("app_pages/train.py")
    at.button(key="train_button").click().run()
    assert [s.run_id for s in submitted] == [class_models.CLASS_IDS[0]]


def test_the_discrete_vs_gaussian_line_up_reuses_the_class_models(no_workers):
    at = app("app_pages/discrete_compare.py")
    lineup = set(at.dataframe[-1].value["run"])  # the line-up table (no results table yet)
    mnist = {s.run_id for s in class_models.CLASS_MODELS[1:] if s.dataset == "mnist5k"}
    assert mnist and mnist <= lineup
