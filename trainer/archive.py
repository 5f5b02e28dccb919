"""A run as one zip archive: export it, and import it into another store (the teacher's runs
taken home), validating everything before anything is written.

    python -m trainer export RUN_ID --out run.zip      python -m trainer import run.zip

Archive layout (format version 1; every name is checked on import):
    manifest.json   format, version, run_id, spec, record fields, {member: sha256, bytes}
    spec.json       the RunSpec; its content hash must be the run id
    metrics.csv     per-step training metrics (kl_per_dim as a JSON list)
    evals.csv       per-epoch evaluations: epoch, step, name, value
    run/NAME, run/FOLDER/NAME   the run directory's regular files (checkpoint.pt, caches, …)
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

from trainer import archive_checks as checks
from trainer.archive_checks import COMPONENT, FILE_KINDS, FORMAT, VERSION, ArchiveError
from trainer.store import RunStore

__all__ = ["ArchiveError", "export_run", "import_run"]

METRIC_COLUMNS = ("step", "epoch", "loss", "elbo", "reconstruction", "kl", "kl_per_dim")
EVAL_COLUMNS = ("epoch", "step", "name", "value")
RECORD_FIELDS = ("status", "epoch", "step", "total_steps", "checkpoint_epoch", "error",
                 "diverged_step", "test_elbo", "seconds")
CHUNK = 1 << 20


def _csv(columns: tuple[str, ...], rows) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    return out.getvalue().encode()


def metrics_csv(store: RunStore, run_id: str) -> bytes:
    m = store.metrics(run_id)
    cols = [m[c] if c != "kl_per_dim" else [json.dumps(v) for v in m[c]] for c in METRIC_COLUMNS]
    return _csv(METRIC_COLUMNS, zip(*cols))


def evals_csv(store: RunStore, run_id: str) -> bytes:
    rows = [(epoch, step, name, value) for name, d in store.evals(run_id).items()
            for epoch, step, value in zip(d["epoch"], d["step"], d["value"])]
    return _csv(EVAL_COLUMNS, sorted(rows, key=lambda r: (r[0], r[2])))


def run_files(run_dir: Path) -> tuple[dict[str, Path], list[str]]:
    """The run directory's regular files to archive ({member name: path}) and the skipped ones
    (symlinks, temporary or unknown kinds, folders deeper than one level)."""
    files, skipped = {}, []

    def visit(folder: Path, prefix: str, depth: int):
        for entry in sorted(folder.iterdir()) if folder.is_dir() else ():
            name = f"{prefix}/{entry.name}"
            mode = entry.lstat().st_mode
            if stat.S_ISDIR(mode) and depth == 0 and COMPONENT.fullmatch(entry.name):
                visit(entry, name, 1)
            elif (stat.S_ISREG(mode) and COMPONENT.fullmatch(entry.name)
                  and entry.suffix in FILE_KINDS):
                files[name] = entry
            else:
                skipped.append(name)

    visit(run_dir, "run", 0)
    return files, skipped


def export_run(store: RunStore, run_id: str, out) -> dict:
    """Write the run `run_id` as a zip to `out` (a path, replaced atomically, or a binary
    file object); returns a summary with the members and the skipped files."""
    rec = store.get(run_id)
    if not isinstance(out, (str, os.PathLike)):
        return _write_zip(store, rec, out)
    out = Path(out)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            summary = _write_zip(store, rec, f)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return {**summary, "archive": str(out)}


def _write_zip(store: RunStore, rec, f) -> dict:
    spec = rec.spec.model_dump(mode="json")
    members = {"spec.json": json.dumps(spec, indent=1).encode(),
               "metrics.csv": metrics_csv(store, rec.run_id),
               "evals.csv": evals_csv(store, rec.run_id)}
    files, skipped = run_files(store.run_dir(rec.run_id))
    digests = {}
    with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
            digests[name] = {"sha256": hashlib.sha256(content).hexdigest(), "bytes": len(content)}
        for name, path in files.items():
            # One open file: a checkpoint renamed into place meanwhile cannot mix two versions.
            info = zipfile.ZipInfo.from_file(path, name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                h, n = hashlib.sha256(), 0
                while block := src.read(CHUNK):
                    h.update(block)
                    dst.write(block)
                    n += len(block)
            digests[name] = {"sha256": h.hexdigest(), "bytes": n}
        manifest = {"format": FORMAT, "version": VERSION, "run_id": rec.run_id, "spec": spec,
                    "record": {k: getattr(rec, k) for k in RECORD_FIELDS}, "files": digests}
        zf.writestr("manifest.json", json.dumps(manifest, indent=1))
    return {"run_id": rec.run_id, "status": rec.status, "members": sorted(digests) +
            ["manifest.json"], "skipped": skipped}


# ---- import ---------------------------------------------------------------------------


def import_run(store: RunStore, archive) -> dict:
    """Validate the archive (a path or binary file object) completely, then add its run to
    the store; an ArchiveError names the check that failed and nothing has been written."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"not a readable zip archive ({exc})") from None
    with zf, tempfile.TemporaryDirectory(prefix="vae-explorer-import-") as tmp:
        infos = checks.members(zf.infolist())
        manifest = checks.manifest(_read_small(zf, infos["manifest.json"]), infos)
        staged = Path(tmp)
        for name, info in infos.items():
            if name != "manifest.json":
                checks.digest(name, _extract(zf, info, staged / name), manifest["files"][name])
        spec = checks.spec((staged / "spec.json").read_bytes(), manifest)
        record = checks.record(manifest["record"])
        metrics = checks.metrics_rows((staged / "metrics.csv").read_text(), METRIC_COLUMNS)
        evals = checks.eval_rows((staged / "evals.csv").read_text(), EVAL_COLUMNS)
        record = checks.run_files(spec, record, staged / "run", infos)
        return _write_into(store, spec, record, metrics, evals, staged / "run")


def _read_small(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    with zf.open(info) as f:
        data = f.read(checks.MAX_MANIFEST_BYTES + 1)
    if len(data) > checks.MAX_MANIFEST_BYTES:
        raise ArchiveError(f"size: manifest.json is over {checks.MAX_MANIFEST_BYTES} bytes")
    return data


def _extract(zf: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path) -> tuple[str, int]:
    """Copy one member to the staging folder, counting bytes (never past its declared size)
    and hashing them; returns (sha256, bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    h, n = hashlib.sha256(), 0
    try:
        with zf.open(info) as src, open(path, "xb") as dst:
            while block := src.read(CHUNK):
                n += len(block)
                if n > info.file_size:
                    raise ArchiveError(f"size: {info.filename} is larger than it declares")
                h.update(block)
                dst.write(block)
    except (zipfile.BadZipFile, EOFError, OSError) as exc:  # bad CRC, truncated stream
        raise ArchiveError(f"damaged member {info.filename} ({exc})") from None
    return h.hexdigest(), n


def _write_into(store: RunStore, spec, record: dict, metrics, evals, files: Path) -> dict:
    run_id = spec.run_id
    out = {"run_id": run_id, "store": str(store.root)}
    if store.exists(run_id):
        rec = store.get(run_id)
        if rec.status == "done":
            return {**out, "imported": False, "status": "done",
                    "message": "already in this store"}
        raise checks.RunInStore(f"run {run_id} is already in this store ({rec.status}); "
                                "delete it there first to import the archive's copy")
    run_dir = store.run_dir(run_id)
    run_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".import-{run_id}-", dir=run_dir.parent))
    try:
        if files.is_dir():
            shutil.copytree(files, staging, dirs_exist_ok=True)
        if run_dir.exists():  # files left behind by a run whose row is gone
            shutil.rmtree(run_dir)
        os.replace(staging, run_dir)
        # History first, then the row in its final status: no worker can claim it meanwhile.
        store.append_metrics(run_id, metrics)
        for (epoch, step), values in evals.items():
            store.add_evals(run_id, epoch, step, values)
        store.create(spec, status=record["status"])
        store.finish(run_id, **record)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if store.exists(run_id):
            store.delete(run_id)
        else:
            shutil.rmtree(run_dir, ignore_errors=True)
        raise
    return {**out, "imported": True, "status": record["status"],
            "metrics": len(metrics), "evals": sum(map(len, evals.values()))}
