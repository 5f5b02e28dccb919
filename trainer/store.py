"""The run store: SQLite (WAL) for specs, status and metrics; files for checkpoints.

Layout of a store directory:
    runs.sqlite             runs, per-step metrics, per-epoch evaluations
    runs/<run_id>/checkpoint.pt   latest checkpoint (fsynced, then renamed into place)
    runs/<run_id>/paused.pt       a mid-epoch pause's state, until the next checkpoint
Every process (app, CLI, workers) opens its own connections, so the store is safe to
share between them.

A worker owns a run through a lease: `claim` increments the run's lease number, and every
write the worker makes names it (`Lease`, trainer/leases.py). A run whose worker is found
dead on any read is marked failed, and a worker that lost its lease can never write to the
run again, even if it was only slow.
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
from trainer.history import HISTORY_SCHEMA, History
from trainer.run_controls import ControlStore
from trainer.liveness import HOST, check_run_id, dead_message, pid_alive, worker_alive
from trainer import records
from trainer.records import (FINISHED, HEARTBEAT_TIMEOUT, STATUSES, LeaseLost,  # noqa: F401
                             RunBusy, RunNotFound, RunRecord, default_store_dir)
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
CREATE TABLE IF NOT EXISTS slots (
    slot INTEGER PRIMARY KEY, pid INTEGER NOT NULL, host TEXT NOT NULL, claimed REAL NOT NULL
);
"""
# Columns added after the first release; old stores gain them on open.
MIGRATIONS = {"lease": "INTEGER NOT NULL DEFAULT 0", "worker_host": "TEXT", "pause_at": "TEXT",
              "speed": "REAL"}


class RunStore(History, ControlStore):
    """Runs, metrics and checkpoints under one directory."""

    def __init__(self, root: str | os.PathLike | None = None):
        self.root = Path(root) if root is not None else default_store_dir()
        self.root.mkdir(parents=True, exist_ok=True)
        self.db_path = self.root / "runs.sqlite"
        self._connections: dict[tuple[int, int], sqlite3.Connection] = {}
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA + HISTORY_SCHEMA)
            have = {r["name"] for r in db.execute("PRAGMA table_info(runs)")}
            for col, decl in MIGRATIONS.items():
                if col not in have:
                    db.execute(f"ALTER TABLE runs ADD COLUMN {col} {decl}")

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
        return self.root / "runs" / check_run_id(run_id)

    def checkpoint_path(self, run_id: str) -> Path:
        return self.run_dir(run_id) / "checkpoint.pt"

    def paused_path(self, run_id: str) -> Path:
        """A run paused inside an epoch: its state there, newer than checkpoint.pt (which, and
        checkpoint_epoch, keep naming the last epoch end that pages and caches read)."""
        return self.run_dir(run_id) / "paused.pt"

    # ---- runs -------------------------------------------------------------
    @staticmethod
    def _record(row: sqlite3.Row) -> RunRecord:
        d = dict(row)
        d["spec"] = RunSpec.model_validate_json(d["spec"])
        d["cancel_requested"] = bool(d["cancel_requested"])
        return RunRecord(**d)

    def create(self, spec: RunSpec, status: str = "queued") -> tuple[RunRecord, bool]:
        """Insert a queued run for `spec` (an imported one: finished), or return the existing
        one; (record, created)."""
        assert status == "queued" or status in FINISHED, status
        now = time.time()
        with self._transaction() as db:
            row = db.execute("SELECT * FROM runs WHERE run_id=?", (spec.run_id,)).fetchone()
            if row is not None:
                return self._record(row), False
            db.execute(
                "INSERT INTO runs (run_id, spec, status, created, updated) VALUES (?,?,?,?,?)",
                (spec.run_id, json.dumps(spec.model_dump(mode="json")), status, now, now),
            )
        return self.get(spec.run_id), True

    def exists(self, run_id: str) -> bool:
        with self._connect() as db:
            return db.execute("SELECT 1 FROM runs WHERE run_id=?", (run_id,)).fetchone() is not None

    def get(self, run_id: str) -> RunRecord:
        """The run's record; a running run whose worker is dead reads as failed."""
        with self._connect() as db:
            row = db.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        if row is None:
            raise RunNotFound(run_id)
        return self._checked(self._record(row))

    def list(self, statuses: tuple[str, ...] | None = None) -> list[RunRecord]:
        """All runs, newest first (dead workers' runs read as failed)."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM runs ORDER BY created DESC").fetchall()
        runs = [self._checked(self._record(r)) for r in rows]
        return [r for r in runs if statuses is None or r.status in statuses]

    def _checked(self, rec: RunRecord, timeout: float | None = None) -> RunRecord:
        """Dead-run detection on read: fail a running run whose worker is gone, fenced by its
        lease so a worker that has just been replaced is never reaped by mistake."""
        timeout = records.HEARTBEAT_TIMEOUT if timeout is None else timeout
        if rec.status != "running" or worker_alive(rec.worker_pid, rec.worker_host,
                                                   rec.heartbeat, timeout):
            return rec
        msg = dead_message(rec.worker_pid, rec.worker_host, rec.heartbeat, rec.step,
                           rec.checkpoint_epoch, timeout)
        self._set(rec.run_id, "AND status='running' AND lease=?", (rec.lease,),
                  status="failed", worker_pid=None, error=msg)
        with self._connect() as db:
            return self._record(db.execute("SELECT * FROM runs WHERE run_id=?",
                                           (rec.run_id,)).fetchone())

    def claim(self, run_id: str | None = None, pid: int | None = None,
              host: str = HOST) -> RunRecord | None:
        """Atomically move a queued run (the oldest, or `run_id`) to running for this process,
        under a new lease (the previous lease number + 1)."""
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
                "UPDATE runs SET status='running', worker_pid=?, worker_host=?, heartbeat=?, "
                "updated=?, cancel_requested=0, error=NULL, lease=lease+1 WHERE run_id=?",
                (pid, host, now, now, row["run_id"]),
            )
        return self.get(row["run_id"])

    def _set(self, run_id: str, where: str = "", args: tuple = (), **fields) -> int:
        fields["updated"] = time.time()
        cols = ", ".join(f"{k}=?" for k in fields)
        with self._connect() as db:
            cur = db.execute(f"UPDATE runs SET {cols} WHERE run_id=? {where}",
                             (*fields.values(), run_id, *args))
        return cur.rowcount

    def _fenced(self, run_id: str, lease: int | None, **fields) -> int:
        """Update a running run's fields; with a lease, only while that lease holds."""
        if lease is None:
            return self._set(run_id, **fields)
        if not self._set(run_id, "AND status='running' AND lease=?", (lease,), **fields):
            raise LeaseLost(run_id, lease)
        return 1

    def _check_lease(self, db, run_id: str, lease: int | None):
        if lease is None:
            return
        row = db.execute("SELECT status, lease FROM runs WHERE run_id=?", (run_id,)).fetchone()
        if row is None or row["status"] != "running" or row["lease"] != lease:
            raise LeaseLost(run_id, lease)

    def heartbeat(self, run_id: str, epoch: int, step: int, total_steps: int, seconds: float,
                  lease: int | None = None) -> bool:
        """Record progress; returns True when a cancel has been requested."""
        self._fenced(run_id, lease, epoch=epoch, step=step, total_steps=total_steps,
                     heartbeat=time.time(), seconds=seconds)
        return self.cancel_requested(run_id)

    def touch(self, run_id: str, lease: int) -> bool:
        """The heartbeat thread's beat: the lease is renewed; True when a cancel was asked."""
        self._fenced(run_id, lease, heartbeat=time.time())
        return self.cancel_requested(run_id)

    def cancel_requested(self, run_id: str) -> bool:
        with self._connect() as db:
            row = db.execute("SELECT cancel_requested FROM runs WHERE run_id=?", (run_id,)).fetchone()
        return bool(row and row[0])

    def set_checkpoint_epoch(self, run_id: str, epoch: int, lease: int | None = None):
        """The epoch of the latest checkpoint file, so pages can load the newest model."""
        self._fenced(run_id, lease, checkpoint_epoch=epoch)

    def finish(self, run_id: str, status: str, lease: int | None = None, **fields):
        """End a run; a worker passes its lease so a replaced worker cannot end the run."""
        assert status in FINISHED, status
        self._fenced(run_id, lease, status=status, worker_pid=None, pause_at=None, **fields)

    def request_cancel(self, run_id: str) -> RunRecord:
        """Queued and paused runs are cancelled at once; running ones at their worker's next
        heartbeat."""
        self.get(run_id)
        if not self._set(run_id, "AND status IN ('queued','paused')", status="cancelled",
                         error=None, pause_at=None):
            self._set(run_id, "AND status='running'", cancel_requested=1)
        return self.get(run_id)

    def requeue(self, run_id: str) -> RunRecord:
        """Queue a cancelled, failed or paused run again; it resumes from its last checkpoint.
        A paused run keeps a pause asked of it since ("step one epoch")."""
        rec = self.get(run_id)
        if not rec.resumable:
            raise RunBusy(f"run {run_id} is {rec.status}; only cancelled, failed or paused runs "
                          "resume")
        with self._connect() as db:  # SET reads the old row: the pause kept is a paused run's
            db.execute("UPDATE runs SET status='queued', cancel_requested=0, error=NULL, "
                       "pause_at = CASE WHEN status='paused' THEN pause_at END, updated=? "
                       "WHERE run_id=? AND status IN ('cancelled','failed','paused')",
                       (time.time(), run_id))
        return self.get(run_id)

    def delete(self, run_id: str):
        """Remove a run, its metrics and its files; a running run must be cancelled first."""
        rec = self.get(run_id)
        if rec.status == "running":
            raise RunBusy(f"run {run_id} is still running; cancel it first")
        path = self.run_dir(run_id)
        with self._transaction() as db:
            for table in ("runs", "metrics", "evals"):
                db.execute(f"DELETE FROM {table} WHERE run_id=?", (run_id,))
        shutil.rmtree(path, ignore_errors=True)

    def reap_orphans(self, timeout: float | None = None) -> list[str]:
        """Mark running runs whose worker died as failed (resumable); returns their ids.
        Every read does this too; this is the explicit sweep with a chosen timeout."""
        with self._connect() as db:
            rows = db.execute("SELECT * FROM runs WHERE status='running'").fetchall()
        return [r.run_id for r in map(self._record, rows)
                if self._checked(r, timeout).status == "failed"]
