"""Worker slots: at most `cap` local workers per store, claimed atomically across processes.

Counting live workers and then spawning is a race when several app processes or CLIs
submit at once (four processes with a cap of 2 ran up to 12 workers). A slot is a row
claimed inside one IMMEDIATE transaction, so SQLite serialises the claims: the count and
the insert cannot interleave. Runs trained in the foreground by `python -m trainer train`
hold no slot but are counted against the cap through their running rows.
"""
from __future__ import annotations

import os
import time

from trainer.liveness import HOST, pid_alive


def _live(row) -> bool:
    return row["host"] != HOST or pid_alive(row["pid"])


def claim_slot(store, cap: int, pid: int | None = None) -> int | None:
    """A free slot number in 0..cap-1 for `pid` (default: this process), or None when
    `cap` workers already hold one or train in the foreground."""
    pid = pid or os.getpid()
    with store._transaction() as db:
        rows = db.execute("SELECT * FROM slots").fetchall()
        dead = [r["slot"] for r in rows if not _live(r)]
        db.executemany("DELETE FROM slots WHERE slot=?", [(s,) for s in dead])
        held = {r["slot"] for r in rows if r["slot"] not in dead}
        holders = {r["pid"] for r in rows if r["slot"] not in dead}
        foreground = db.execute(
            "SELECT worker_pid, worker_host, heartbeat FROM runs WHERE status='running'"
        ).fetchall()
        busy = len(held) + sum(1 for r in foreground if r["worker_pid"] not in holders
                               and (r["worker_host"] != HOST or pid_alive(r["worker_pid"])))
        if busy >= cap:
            return None
        slot = min(set(range(cap)) - held)
        db.execute("INSERT INTO slots VALUES (?,?,?,?)", (slot, pid, HOST, time.time()))
        return slot


def hand_over(store, slot: int, pid: int):
    """Give a claimed slot to the worker process just started for it."""
    with store._transaction() as db:
        db.execute("UPDATE slots SET pid=? WHERE slot=?", (pid, slot))


def release_slot(store, slot: int | None, pid: int | None = None):
    """Free a slot this process holds (a worker on its way out)."""
    if slot is None:
        return
    with store._transaction() as db:
        db.execute("DELETE FROM slots WHERE slot=? AND pid=?", (slot, pid or os.getpid()))


def live_slots(store) -> int:
    with store._connect() as db:
        return sum(map(_live, db.execute("SELECT * FROM slots").fetchall()))
