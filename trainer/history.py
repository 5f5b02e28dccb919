"""A run's history in the store: per-step training metrics and per-epoch evaluations."""
from __future__ import annotations

import json

HISTORY_SCHEMA = """
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


class History:
    """The metrics and evals tables (mixed into RunStore, whose connections they use)."""

    def append_metrics(self, run_id: str, rows: list[dict], lease: int | None = None):
        """Per-step training metrics: step, epoch, loss, elbo, reconstruction, kl, kl_per_dim."""
        if not rows:
            return
        with self._transaction() as db:
            self._check_lease(db, run_id, lease)
            db.executemany(
                "INSERT OR REPLACE INTO metrics VALUES (?,?,?,?,?,?,?,?)",
                [(run_id, r["step"], r["epoch"], r["loss"], r["elbo"], r["reconstruction"],
                  r["kl"], json.dumps(r["kl_per_dim"])) for r in rows],
            )

    def add_evals(self, run_id: str, epoch: int, step: int, values: dict[str, float],
                  lease: int | None = None):
        """Per-epoch evaluation numbers (test ELBO and friends)."""
        with self._transaction() as db:
            self._check_lease(db, run_id, lease)
            db.executemany(
                "INSERT OR REPLACE INTO evals VALUES (?,?,?,?,?)",
                [(run_id, epoch, step, k, float(v)) for k, v in values.items()],
            )

    def truncate_after(self, run_id: str, step: int, epoch: int, lease: int | None = None):
        """Forget metrics newer than a checkpoint, so a resumed run's history stays consistent."""
        with self._transaction() as db:
            self._check_lease(db, run_id, lease)
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
