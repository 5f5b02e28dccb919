"""The checks an imported run archive must pass (trainer/archive.py), each failing with an
ArchiveError that names it: member names, sizes and compression ratios, digests, the spec and
its run id, the record, numeric metrics, and weights-only checkpoints."""
from __future__ import annotations

import csv
import io
import json
import math
import re
import stat
import zipfile
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from trainer.checkpoints import CorruptCheckpoint, build_model, load_checkpoint
from trainer.records import RunBusy
from trainer.spec import RunSpec, describe_errors

FORMAT, VERSION = "vae-explorer-run", 1
MAX_MEMBERS = 1000
MAX_MEMBER_BYTES = 1 << 30  # one uncompressed member (the largest spec's checkpoint ≈ 0.4 GB)
MAX_TOTAL_BYTES = 2 << 30  # all members together, uncompressed
MAX_RATIO = 100  # uncompressed / compressed above RATIO_FLOOR bytes (zip bombs reach 1000s)
RATIO_FLOOR = 1 << 20
MAX_MANIFEST_BYTES = 16 << 20
METADATA = ("manifest.json", "spec.json", "metrics.csv", "evals.csv")
FILE_KINDS = (".pt", ".npz", ".npy", ".json", ".csv", ".txt")
COMPONENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}")
EVAL_NAME = re.compile(r"[A-Za-z0-9_]{1,64}")
SHA256 = re.compile(r"[0-9a-f]{64}")


class ArchiveError(ValueError):
    """The archive was refused; the message says which check failed."""

    def __init__(self, message: str):
        super().__init__(f"archive refused — {message}")


class RunInStore(RunBusy):
    """The archive's run is already in this store, unfinished."""


def name_problem(name: str) -> str | None:
    """Why a member name is not allowed, or None: the four metadata files, or run/NAME and
    run/FOLDER/NAME of a known file kind; never absolute, `..`, a backslash or deeper."""
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        return "an absolute path"
    if "\\" in name:
        return "a backslash in the name"
    parts = name.split("/")
    if ".." in parts or "." in parts:
        return "a '..' or '.' path component"
    if len(parts) == 1:
        return None if name in METADATA else "not one of " + ", ".join(METADATA)
    if parts[0] != "run" or len(parts) > 3:
        return "outside run/ or more than one folder deep"
    if not all(COMPONENT.fullmatch(p) for p in parts[1:]):
        return "a path component other than letters, digits, '_', '.', '-'"
    if Path(parts[-1]).suffix not in FILE_KINDS:
        return "a file kind other than " + ", ".join(FILE_KINDS)
    return None


def members(infos: list[zipfile.ZipInfo]) -> dict[str, zipfile.ZipInfo]:
    """The members by name, after the name, type, size and compression checks."""
    if len(infos) > MAX_MEMBERS:
        raise ArchiveError(f"size: {len(infos)} members (the limit is {MAX_MEMBERS})")
    out, total = {}, 0
    for info in infos:
        name = info.filename
        problem = name_problem(name)
        if problem:
            raise ArchiveError(f"member name {name!r}: {problem}")
        if name in out:
            raise ArchiveError(f"member name {name!r} appears twice")
        kind = stat.S_IFMT(info.external_attr >> 16)  # 0 when the writer recorded none
        if info.is_dir() or kind not in (0, stat.S_IFREG):
            raise ArchiveError(f"member {name!r} is not a regular file (a link or folder)")
        if info.flag_bits & 0x1:
            raise ArchiveError(f"member {name!r} is encrypted")
        if info.file_size > MAX_MEMBER_BYTES:
            raise ArchiveError(f"size: {name} holds {info.file_size} bytes (the limit is "
                               f"{MAX_MEMBER_BYTES})")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ArchiveError(f"size: {name} expands {info.file_size / max(info.compress_size, 1):.0f}"
                               f"-fold (the limit is {MAX_RATIO}; a zip bomb?)")
        total += info.file_size
        out[name] = info
    if total > MAX_TOTAL_BYTES:
        raise ArchiveError(f"size: {total} bytes in all (the limit is {MAX_TOTAL_BYTES})")
    missing = [m for m in METADATA if m not in out]
    if missing:
        raise ArchiveError(f"missing member(s) {', '.join(missing)}: not a VAE Explorer run archive")
    return out


def manifest(content: bytes, infos: dict[str, zipfile.ZipInfo]) -> dict:
    """The manifest: our format and version, and a digest for exactly the other members."""
    try:
        m = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        raise ArchiveError("manifest.json is not JSON") from None
    if not isinstance(m, dict) or m.get("format") != FORMAT:
        raise ArchiveError("manifest.json is not a VAE Explorer run manifest")
    if m.get("version") != VERSION:
        raise ArchiveError(f"manifest: format version {m.get('version')!r}; this program reads "
                           f"version {VERSION}")
    files = m.get("files")
    others = set(infos) - {"manifest.json"}
    if not isinstance(files, dict) or set(files) != others:
        listed = set(files) if isinstance(files, dict) else set()
        raise ArchiveError("manifest: its file list does not match the archive (unlisted: "
                           f"{sorted(others - listed)}, absent: {sorted(listed - others)})")
    for name, entry in files.items():
        if (not isinstance(entry, dict) or not SHA256.fullmatch(str(entry.get("sha256")))
                or entry.get("bytes") != infos[name].file_size):
            raise ArchiveError(f"manifest: the entry of {name} has no sha256 or a wrong size")
    if not isinstance(m.get("record"), dict) or not isinstance(m.get("spec"), dict):
        raise ArchiveError("manifest: no record or spec")
    return m


def digest(name: str, got: tuple[str, int], entry: dict):
    if got != (entry["sha256"], entry["bytes"]):
        raise ArchiveError(f"sha256: {name} does not match its manifest digest (damaged or altered)")


def spec(content: bytes, m: dict) -> RunSpec:
    """The spec; its content hash must be the archive's run id, so an archive can never
    overwrite a run of another spec."""
    try:
        s = RunSpec.model_validate_json(content)
    except ValidationError as exc:
        raise ArchiveError("spec.json is not a valid run spec here: "
                           + describe_errors(exc).replace("\n", "; ")) from None
    if s.run_id != m.get("run_id"):
        raise ArchiveError(f"run id: the archive says {m.get('run_id')!r}, but its spec's content "
                           f"hash gives {s.run_id!r}")
    if json.loads(content) != m["spec"]:
        raise ArchiveError("spec: spec.json differs from the manifest's spec")
    return s


class ExportedRecord(BaseModel):
    """The run's record fields as exported (trainer.records.RunRecord)."""

    model_config = ConfigDict(extra="forbid", strict=False)
    status: Literal["queued", "running", "paused", "done", "failed", "cancelled", "diverged"]
    epoch: int = Field(ge=0)
    step: int = Field(ge=0)
    total_steps: int | None = Field(None, ge=0)
    checkpoint_epoch: int | None = Field(None, ge=0)
    error: str | None = Field(None, max_length=20_000)
    diverged_step: int | None = Field(None, ge=0)
    test_elbo: float | None = None
    seconds: float = Field(0.0, ge=0.0)


def record(fields: dict) -> dict:
    """Record fields for RunStore.finish; an unfinished run arrives cancelled, resumable."""
    try:
        r = ExportedRecord.model_validate(fields).model_dump()
    except ValidationError as exc:
        raise ArchiveError("record: " + describe_errors(exc).replace("\n", "; ")) from None
    if r["status"] in ("queued", "running", "paused"):
        r["error"] = (f"imported while {r['status']} where it was exported; resume continues "
                      "from its last checkpoint")
        r["status"] = "cancelled"
    return r


def _number(text: str, column: str, line: int, integer: bool = False):
    if text == "" and not integer:
        return None
    try:
        return int(text) if integer else float(text)
    except ValueError:
        raise ArchiveError(f"{column} on line {line}: {text[:40]!r} is not a number") from None


def _table(text: str, columns: tuple[str, ...], member: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(rows[0]) != columns:
        raise ArchiveError(f"{member}: its header is not {','.join(columns)}")
    if any(len(r) != len(columns) for r in rows[1:]):
        raise ArchiveError(f"{member}: a row does not have {len(columns)} fields")
    return rows[1:]


def metrics_rows(text: str, columns: tuple[str, ...]) -> list[dict]:
    out = []
    for line, row in enumerate(_table(text, columns, "metrics.csv"), 2):
        d = {c: _number(v, f"metrics.csv {c}", line, c in ("step", "epoch"))
             for c, v in zip(columns[:-1], row)}
        try:
            kl = json.loads(row[-1])
        except ValueError:
            kl = None
        if not isinstance(kl, list) or not all(isinstance(v, (int, float)) for v in kl):
            raise ArchiveError(f"metrics.csv kl_per_dim on line {line} is not a list of numbers")
        out.append({**d, "kl_per_dim": kl})
    return out


def eval_rows(text: str, columns: tuple[str, ...]) -> dict[tuple[int, int], dict[str, float]]:
    out: dict[tuple[int, int], dict[str, float]] = {}
    for line, (epoch, step, name, value) in enumerate(_table(text, columns, "evals.csv"), 2):
        if not EVAL_NAME.fullmatch(name):
            raise ArchiveError(f"evals.csv name on line {line}: {name[:40]!r}")
        value = _number(value, "evals.csv value", line)
        key = (_number(epoch, "evals.csv epoch", line, True), _number(step, "evals.csv step", line, True))
        out.setdefault(key, {})[name] = math.nan if value is None else value
    return out


def run_files(s: RunSpec, r: dict, folder: Path, infos: dict) -> dict:
    """Every tensor file loads weights-only (never unpickling code); checkpoint.pt fits the
    spec's model exactly. Returns the record with checkpoint_epoch from the checkpoint."""
    for name in sorted(n for n in infos if n.startswith("run/")):
        path = folder / name.removeprefix("run/")
        try:
            if path.suffix == ".pt":
                torch.load(path, map_location="cpu", weights_only=True)
            elif path.suffix in (".npz", ".npy"):
                loaded = np.load(path, allow_pickle=False)
                if isinstance(loaded, np.lib.npyio.NpzFile):  # read every array of an .npz
                    with loaded:
                        for key in loaded.files:
                            loaded[key]
            elif path.suffix == ".json":
                json.loads(path.read_bytes())
            else:
                path.read_text(encoding="utf-8")
        except Exception as exc:  # UnpicklingError names the refused global
            kind = "weights-only torch" if path.suffix == ".pt" else f"plain {path.suffix}"
            raise ArchiveError(f"{name} is not a {kind} file ({type(exc).__name__}: "
                               f"{_last_line(exc)})") from None
    checkpoint = folder / "checkpoint.pt"
    if not checkpoint.exists():
        if r["status"] == "done":
            raise ArchiveError("run/checkpoint.pt is missing from a finished run")
        return {**r, "checkpoint_epoch": None}
    try:
        state = load_checkpoint(checkpoint)
        build_model(s).load_state_dict(state["model"])
        epoch = int(state["epoch"])
    except (CorruptCheckpoint, RuntimeError, KeyError, TypeError, ValueError) as exc:
        raise ArchiveError("run/checkpoint.pt does not fit the spec's model "
                           f"({_last_line(exc)})") from None
    return {**r, "checkpoint_epoch": epoch}


def _last_line(exc: Exception) -> str:
    """The telling line of a long error (torch's weights-only refusal ends with the global)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    telling = [ln for ln in lines if "global" in ln.lower()] or lines[-1:] or [""]
    return telling[0][:300]
