"""Run archives: export → import round-trips a run exactly (record, history, weights, test
ELBO), and a crafted archive is refused by the check it fails with nothing written."""
import hashlib
import io
import json
import math
import os
import subprocess
import sys
import zipfile

import pytest
import torch

from explorer import data
from trainer import RunBusy, RunSpec, RunStore, load_model
from trainer import archive_checks
from trainer.archive import ArchiveError, export_run, import_run
from trainer.cli import main
from trainer.loop import evaluate, train_run

from .conftest import ROOT

RECORD = ("status", "epoch", "step", "total_steps", "checkpoint_epoch", "error",
          "diverged_step", "test_elbo", "seconds")


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """One tiny trained run (2 epochs on digits) and its archive, shared by the tests."""
    folder = tmp_path_factory.mktemp("teacher")
    store = RunStore(folder / "store")
    rec, _ = store.create(RunSpec(dataset="digits", hidden=(32,), epochs=2))
    store.claim(rec.run_id)
    assert train_run(store, rec.run_id) == "done"
    run_id = rec.run_id
    (store.run_dir(run_id) / "snapshots").mkdir(exist_ok=True)  # training made it already
    torch.save({"z": torch.arange(4.0)}, store.run_dir(run_id) / "snapshots" / "epoch_1.pt")
    (store.run_dir(run_id) / "checkpoint.tmp").write_bytes(b"half a checkpoint")
    summary = export_run(store, run_id, folder / "run.zip")
    return store, run_id, folder / "run.zip", summary


def tree(root) -> dict:
    """Every path under `root` with its size and content hash (the sqlite files included)."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            out[os.path.relpath(path, root)] = (hashlib.sha256(open(path, "rb").read()).hexdigest()
                                                if os.path.isfile(path) else "dir")
    return out


def same(a, b) -> bool:
    return a == b or (isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b))


def test_round_trip_gives_the_same_run(exported, tmp_path):
    teacher, run_id, archive, summary = exported
    assert "run/checkpoint.pt" in summary["members"] and "run/snapshots/epoch_1.pt" in summary["members"]
    assert summary["skipped"] == ["run/checkpoint.tmp"]  # a rename in progress is never shipped
    student = RunStore(tmp_path / "student")
    result = import_run(student, archive)
    assert result["imported"] and result["status"] == "done"
    a, b = teacher.get(run_id), student.get(run_id)
    assert a.spec == b.spec and all(same(getattr(a, k), getattr(b, k)) for k in RECORD)
    assert teacher.metrics(run_id) == student.metrics(run_id)
    assert teacher.evals(run_id) == student.evals(run_id) and "test_elbo" in student.evals(run_id)
    m_a, m_b = load_model(run_id, teacher), load_model(run_id, student)
    for (name, p), (_, q) in zip(m_a.state_dict().items(), m_b.state_dict().items()):
        assert torch.equal(p, q), name
    x_test, _ = data.load(a.spec.dataset, "test")
    assert evaluate(m_a, x_test, seed=0)["test_elbo"] == evaluate(m_b, x_test, seed=0)["test_elbo"]
    assert torch.equal(torch.load(student.run_dir(run_id) / "snapshots" / "epoch_1.pt")["z"],
                       torch.arange(4.0))
    again = import_run(student, archive)  # a finished run already here: nothing to do
    assert not again["imported"] and again["message"] == "already in this store"


def test_a_running_export_arrives_cancelled_and_resumable(exported, tmp_path):
    _, run_id, archive, _ = exported
    crafted = rewrite(archive, tmp_path / "running.zip",
                      manifest=lambda m: m["record"].update(status="running"))
    student = RunStore(tmp_path / "student")
    import_run(student, crafted)
    rec = student.get(run_id)
    assert rec.status == "cancelled" and rec.resumable and "resume" in rec.error


def rewrite(src, dst, replace: dict | None = None, add: dict | None = None, manifest=None,
            fix_digests: bool = True):
    """A copy of the archive `src` with members replaced (by bytes, or a function of the old
    bytes) or added, and the manifest edited;
    the digests are recomputed (unless told not to), so exactly one check is targeted."""
    with zipfile.ZipFile(src) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    m = json.loads(members.pop("manifest.json"))
    members.update({n: c(members[n]) if callable(c) else c for n, c in (replace or {}).items()})
    if fix_digests:
        m["files"] = {n: {"sha256": hashlib.sha256(c).hexdigest(), "bytes": len(c)}
                      for n, c in {**members, **(add or {})}.items()}
    if manifest:
        manifest(m)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in {**members, **(add or {}), "manifest.json": json.dumps(m).encode()}.items():
            info = zipfile.ZipInfo("placeholder")
            info.filename = name  # ZipInfo would normalise some crafted names
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, content)
    return dst


class Payload:
    """Unpickling this runs code: os.mkdir(marker)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def pickle_checkpoint(marker) -> bytes:
    buffer = io.BytesIO()
    torch.save({"model": Payload(marker), "epoch": 2, "step": 24}, buffer)
    return buffer.getvalue()


CRAFTED = {
    "dot-dot name": (dict(add={"../evil.pt": b"x"}), "member name '../evil.pt'"),
    "run/../ name": (dict(add={"run/../../evil.pt": b"x"}), "'..' or '.' path component"),
    "absolute name": (dict(add={"/tmp/evil.pt": b"x"}), "an absolute path"),
    "backslash": (dict(add={"run\\..\\evil.pt": b"x"}), "a backslash"),
    "too deep": (dict(add={"run/a/b/evil.pt": b"x"}), "more than one folder deep"),
    "unknown kind": (dict(add={"run/evil.sh": b"x"}), "a file kind other than"),
    "digest mismatch": (dict(replace={"metrics.csv": lambda c: c.replace(b"1", b"7", 1)},
                             fix_digests=False),
                        "sha256: metrics.csv does not match"),
    "unlisted member": (dict(manifest=lambda m: m["files"].pop("evals.csv")),
                        "file list does not match"),
    "foreign run id": (dict(manifest=lambda m: m.update(run_id="0123456789ab")),
                       "run id: the archive says '0123456789ab'"),
    "altered spec": (dict(replace={"spec.json": b'{"dataset": "digits", "hidden": [32], '
                                   b'"epochs": 2, "seed": 7}'}),
                     "run id: the archive says"),
    "bad metric": (dict(replace={"metrics.csv": b"step,epoch,loss,elbo,reconstruction,kl,"
                                 b"kl_per_dim\n1,0,oops,1,1,1,[0.1]\n"}), "is not a number"),
    "bad record": (dict(manifest=lambda m: m["record"].update(status="hacked")), "record: status"),
}


@pytest.mark.parametrize("case", CRAFTED)
def test_crafted_archives_are_refused_and_nothing_is_written(exported, tmp_path, case):
    _, _, archive, _ = exported
    changes, message = CRAFTED[case]
    crafted = rewrite(archive, tmp_path / "crafted.zip", **changes)
    store = RunStore(tmp_path / "student")
    before = tree(store.root)
    with pytest.raises(ArchiveError, match="archive refused") as caught:
        import_run(store, crafted)
    assert message in str(caught.value)
    assert tree(store.root) == before and store.list() == []
    assert not (tmp_path / "evil.pt").exists()


def test_a_pickle_payload_is_refused_without_running_it(exported, tmp_path):
    _, _, archive, _ = exported
    marker = tmp_path / "payload-ran"
    crafted = rewrite(archive, tmp_path / "pickle.zip",
                      replace={"run/checkpoint.pt": pickle_checkpoint(marker)})
    store = RunStore(tmp_path / "student")
    before = tree(store.root)
    with pytest.raises(ArchiveError, match="run/checkpoint.pt") as caught:
        import_run(store, crafted)
    assert "not a weights-only torch file" in str(caught.value)
    assert "mkdir" in str(caught.value)  # torch names the global it refused to call
    assert not marker.exists() and tree(store.root) == before


def test_the_payload_would_run_under_a_plain_torch_load(tmp_path):
    """The oracle for the test above: without weights_only the payload does execute."""
    marker = tmp_path / "payload-ran"
    torch.load(io.BytesIO(pickle_checkpoint(marker)), weights_only=False)
    assert marker.is_dir()


def test_oversized_members_and_zip_bombs_are_refused(exported, tmp_path, monkeypatch):
    _, _, archive, _ = exported
    store = RunStore(tmp_path / "student")
    before = tree(store.root)
    monkeypatch.setattr(archive_checks, "MAX_MEMBER_BYTES", 10_000)
    with pytest.raises(ArchiveError, match="size: run/checkpoint.pt holds 6[0-9]{4} bytes"):
        import_run(store, archive)
    monkeypatch.undo()
    bomb = rewrite(archive, tmp_path / "bomb.zip", add={"run/zeros.txt": b"0" * (3 << 20)})
    with pytest.raises(ArchiveError, match="size: run/zeros.txt expands [0-9]+-fold"):
        import_run(store, bomb)
    monkeypatch.setattr(archive_checks, "MAX_TOTAL_BYTES", 50_000)
    with pytest.raises(ArchiveError, match="size: [0-9]+ bytes in all"):
        import_run(store, archive)
    assert tree(store.root) == before


def test_a_checkpoint_of_another_model_is_refused(exported, tmp_path):
    _, _, archive, _ = exported
    buffer = io.BytesIO()
    torch.save({"model": {"w": torch.zeros(3)}, "epoch": 2, "step": 24}, buffer)
    crafted = rewrite(archive, tmp_path / "other.zip", replace={"run/checkpoint.pt": buffer.getvalue()})
    with pytest.raises(ArchiveError, match="does not fit the spec's model"):
        import_run(RunStore(tmp_path / "student"), crafted)


def cli(*args) -> subprocess.CompletedProcess:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "trainer", *args], capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=120)


def test_cli_round_trip_and_refusal(exported, tmp_path, capsys):
    teacher, run_id, _, _ = exported
    out = tmp_path / "take-home.zip"
    done = cli("export", run_id, "--out", str(out), "--store", str(teacher.root))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["archive"] == str(out) and zipfile.is_zipfile(out)
    student = tmp_path / "student"
    done = cli("import", str(out), "--store", str(student))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["imported"] is True
    assert RunStore(student).get(run_id).test_elbo == teacher.get(run_id).test_elbo
    evil = rewrite(out, tmp_path / "evil.zip", add={"../evil.pt": b"x"})
    other = tmp_path / "other"  # the refusals in-process: same main(), no interpreter start
    assert main(["import", str(evil), "--store", str(other)]) == 2
    assert "member name '../evil.pt'" in capsys.readouterr().err
    assert RunStore(other).list() == []
    assert main(["export", "feedfeedfeed", "--out", str(tmp_path / "x.zip"), "--store", str(other)]) == 2
    assert "no run 'feedfeedfeed'" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()


def test_an_unfinished_copy_here_is_kept_and_the_import_refused(exported, tmp_path):
    teacher, run_id, archive, _ = exported
    student = RunStore(tmp_path / "student")
    student.create(teacher.get(run_id).spec, status="failed")
    before = tree(student.root)
    with pytest.raises(RunBusy, match="already in this store \\(failed\\); delete it"):
        import_run(student, archive)
    assert tree(student.root) == before and student.get(run_id).status == "failed"
