"""The run store: SQLite (WAL) for specs, status and metrics; files for checkpoints.

Layout of a store directory:
    runs.sqlite             runs, per-step metrics, per-epoch evaluations
    runs/<run_id>/checkpoint.pt   latest checkpoint (written atomically)
Every process (app, CLI, workers) opens its own short-lived connections, so the store
is safe to share between them.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path

# Re-exported: `from trainer.store import RunRecord` is how callers have always named them.
from trainer.records import (FINISHED, HEARTBEAT_TIMEOUT, STATUSES, RunBusy,  # noqa: F401
                             RunNotFound, RunRecord, default_store_dir)
from trainer.spec import RunSpec

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    status TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    epoch INTEGER NOT NULL DEFAULT 0,
    step INTEGER NOT NULL DEFAULT 0,
    total_steps INTEGER,
    checkpoint_epoch INTEGER,
    worker_pid INTEGER,
    heartbeat REAL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    diverged_step INTEGER,
    test_elbo REAL,
    seconds REAL NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS metrics (
    run_id TEXT NOT NULL, step INTEGER NOT NULL, epoch INTEGER NOT NULL,
    loss REAL, elbo REAL, reconstruction REAL, kl REAL, kl_per_dim TEXT,
    PRIMARY KEY (run_id, step)
);
CREATE TABLE IF NOT EXISTS evals (
    run_id TEXT NOT NULL, epoch INTEGER NOT NULL, step INTEGER NOT NULL,
    name TEXT NOT NULL, value REAL,
    PRIMARY KEY (run_id, epoch, name)
);
"""


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as dead.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


class RunStore:
    """Runs, metrics and checkpoints under one directory."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_store_dir()
        self.root.mkdir(parents=True, exist_ok=True)
        self.db_path = self.root / "runs.sqlite"
        self._connections: dict[tuple[int, int], sqlite3.Connection] = {}
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)

    @contextmanager
    def _connect(self):
        # One connection per thread and process: opening and closing a WAL database costs
        # a checkpoint and an fsync each time, which dominated a small run's training time.
        key = (os.getpid(), threading.get_ident())
        db = self._connections.get(key)
        if db is None:
            db = sqlite3.connect(self.db_path, timeout=30.0, isolation_level=None,
                                 check_same_thread=False)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA busy_timeout=30000")
            # WAL + NORMAL stays consistent after a crash; it may only lose the last commits.
            db.execute("PRAGMA synchronous=NORMAL")
            self._connections[key] = db
        yield db

    @contextmanager
    def _transaction(self):
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def run_dir(self, run_id: str) -> Path:
        return self.root / "runs" / run_id

    def checkpoint_path(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "checkpoint.pt"

    # ---- runs -------------------------------------------------------------
    @staticmethod
    def _record(row: sqlite3.Row) -> RunRecord:
        d = dict(row)
        d["spec"] = RunSpec.model_validate_json(d["spec"])
        d["cancel_requested"] = bool(d["cancel_requested"])
        return RunRecord(**d)

    def create(self, spec: RunSpec) -> tuple[RunRecord, bool]:
        """Insert a queued run for `spec`, or return the existing one; (record, created)."""
        now = time.time()
        with self._transaction() as db:
            row = db.execute("SELECT * FROM runs WHERE run_id=?", (spec.run_id,)).fetchone()
            if row is not None:
                return self._record(row), False
            db.execute(
                "INSERT INTO runs (run_id, spec, status, created, updated) VALUES (?,?,?,?,?)",
                (spec.run_id, json.dumps(spec.model_dump(mode="json")), "queued", now, now),
            )
        return self.get(spec.run_id), True

    def get(self, run_id: str) -> RunRecord:
        with self._connect() as db:
            row = db.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        if row is None:
            raise RunNotFound(run_id)
        return self._record(row)

    def list(self, statuses: tuple[str, ...] | None = None) -> list[RunRecord]:
        """All runs, newest first."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM runs ORDER BY created DESC").fetchall()
        runs = [self._record(r) for r in rows]
        return [r for r in runs if statuses is None or r.status in statuses]

    def claim(self, run_id: str | None = None, pid: int | None = None) -> RunRecord | None:
        """Atomically move a queued run (the oldest, or `run_id`) to running for this process."""
        pid = pid or os.getpid()
        now = time.time()
        with self._transaction() as db:
            if run_id is None:
                row = db.execute(
                    "SELECT run_id FROM runs WHERE status='queued' ORDER BY updated LIMIT 1"
                ).fetchone()
            else:
                row = db.execute(
                    "SELECT run_id FROM runs WHERE status='queued' AND run_id=?", (run_id,)
                ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE runs SET status='running', worker_pid=?, heartbeat=?, updated=?, "
                "cancel_requested=0, error=NULL WHERE run_id=?",
                (pid, now, now, row["run_id"]),
            )
        return self.get(row["run_id"])

    def _set(self, run_id: str, where: str = "", **fields):
        fields["updated"] = time.time()
        cols = ", ".join(f"{k}=?" for k in fields)
        with self._connect() as db:
            cur = db.execute(
                f"UPDATE runs SET {cols} WHERE run_id=? {where}", (*fields.values(), run_id)
            )
        return cur.rowcount

    def heartbeat(self, run_id: str, epoch: int, step: int, total_steps: int, seconds: float) -> bool:
        """Record progress; returns True when a cancel has been requested."""
        self._set(run_id, epoch=epoch, step=step, total_steps=total_steps,
                  heartbeat=time.time(), seconds=seconds)
        with self._connect() as db:
            row = db.execute("SELECT cancel_requested FROM runs WHERE run_id=?", (run_id,)).fetchone()
        return bool(row and row[0])

    def set_checkpoint_epoch(self, run_id: str, epoch: int):
        """The epoch of the latest checkpoint file, so pages can load the newest model."""
        self._set(run_id, checkpoint_epoch=epoch)

    def finish(self, run_id: str, status: str, **fields):
        assert status in FINISHED, status
        self._set(run_id, status=status, worker_pid=None, **fields)

    def request_cancel(self, run_id: str) -> RunRecord:
        """Queued runs are cancelled at once; running ones at their worker's next heartbeat."""
        self.get(run_id)
        if not self._set(run_id, "AND status='queued'", status="cancelled"):
            self._set(run_id, "AND status='running'", cancel_requested=1)
        return self.get(run_id)

    def requeue(self, run_id: str) -> RunRecord:
        """Queue a cancelled or failed run again; it resumes from its last checkpoint."""
        rec = self.get(run_id)
        if not rec.resumable:
            raise RunBusy(f"run {run_id} is {rec.status}; only cancelled or failed runs resume")
        self._set(run_id, "AND status IN ('cancelled','failed')", status="queued",
                  cancel_requested=0, error=None)
        return self.get(run_id)

    def delete(self, run_id: str):
        """Remove a run, its metrics and its files; a running run must be cancelled first."""
        rec = self.get(run_id)
        if rec.status == "running" and _pid_alive(rec.worker_pid):
            raise RunBusy(f"run {run_id} is still running; cancel it first")
        with self._transaction() as db:
            for table in ("runs", "metrics", "evals"):
                db.execute(f"DELETE FROM {table} WHERE run_id=?", (run_id,))
        shutil.rmtree(self.run_dir(run_id), ignore_errors=True)

    def reap_orphans(self, timeout: float = HEARTBEAT_TIMEOUT) -> list[str]:
        """Mark running runs whose worker died as failed (resumable); returns their ids."""
        reaped = []
        now = time.time()
        for rec in self.list(("running",)):
            stale = rec.heartbeat is None or now - rec.heartbeat > timeout
            if not _pid_alive(rec.worker_pid) or stale:
                msg = (f"worker (pid {rec.worker_pid}) stopped at step {rec.step}; "
                       f"resume continues from epoch {rec.checkpoint_epoch or 0}")
                if self._set(rec.run_id, "AND status='running'", status="failed",
                             worker_pid=None, error=msg):
                    reaped.append(rec.run_id)
        return reaped

    # ---- metrics ----------------------------------------------------------
    def append_metrics(self, run_id: str, rows: list[dict]):
        """Per-step training metrics: step, epoch, loss, elbo, reconstruction, kl, kl_per_dim."""
        if not rows:
            return
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO metrics VALUES (?,?,?,?,?,?,?,?)",
                [(run_id, r["step"], r["epoch"], r["loss"], r["elbo"], r["reconstruction"],
                  r["kl"], json.dumps(r["kl_per_dim"])) for r in rows],
            )

    def add_evals(self, run_id: str, epoch: int, step: int, values: dict[str, float]):
        """Per-epoch evaluation numbers (test ELBO and friends)."""
        with self._transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO evals VALUES (?,?,?,?,?)",
                [(run_id, epoch, step, k, float(v)) for k, v in values.items()],
            )

    def truncate_after(self, run_id: str, step: int, epoch: int):
        """Forget metrics newer than a checkpoint, so a resumed run's history stays consistent."""
        with self._transaction() as db:
            db.execute("DELETE FROM metrics WHERE run_id=? AND step>?", (run_id, step))
            db.execute("DELETE FROM evals WHERE run_id=? AND epoch>?", (run_id, epoch))

    def metrics(self, run_id: str, since_step: int = -1) -> dict[str, list]:
        """Column lists of the per-step metrics after `since_step`."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT step, epoch, loss, elbo, reconstruction, kl, kl_per_dim FROM metrics "
                "WHERE run_id=? AND step>? ORDER BY step", (run_id, since_step),
            ).fetchall()
        cols = ("step", "epoch", "loss", "elbo", "reconstruction", "kl", "kl_per_dim")
        out = {c: [r[c] for r in rows] for c in cols}
        out["kl_per_dim"] = [json.loads(v) for v in out["kl_per_dim"]]
        return out

    def evals(self, run_id: str) -> dict[str, dict[str, list]]:
        """{name: {"epoch": [...], "step": [...], "value": [...]}} ordered by epoch."""
        with self._connect() as db:
            rows = db.execute(
                "SELECT epoch, step, name, value FROM evals WHERE run_id=? ORDER BY epoch",
                (run_id,),
            ).fetchall()
        out: dict[str, dict[str, list]] = {}
        for r in rows:
            d = out.setdefault(r["name"], {"epoch": [], "step": [], "value": []})
            d["epoch"].append(r["epoch"])
            d["step"].append(r["step"])
            d["value"].append(r["value"])
        return out
