"""Is a worker alive? Process checks on this host, heartbeats everywhere.

A run's worker is alive when its heartbeat is recent and, if it runs on this host, its
process exists and is not a zombie. Workers on other hosts (a Dask cluster) are judged by
their heartbeat alone.
"""
from __future__ import annotations

import os
import re
import socket
import time

HOST = socket.gethostname()
RUN_ID = re.compile(r"^[0-9a-f]{12}$")  # RunSpec.run_id: the first 12 hex digits of a sha256


def pid_alive(pid: int | None) -> bool:
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


def worker_alive(pid: int | None, host: str | None, heartbeat: float | None,
                 timeout: float, now: float | None = None) -> bool:
    """The liveness rule for a running run (or a worker slot)."""
    now = time.time() if now is None else now
    if heartbeat is None or now - heartbeat > timeout:
        return False
    if host in (None, HOST):
        return pid_alive(pid)
    return True


def dead_message(pid: int | None, host: str | None, heartbeat: float | None, step: int,
                 checkpoint_epoch: int | None, timeout: float, now: float | None = None) -> str:
    """Why a running run was found dead, and what resume will do."""
    now = time.time() if now is None else now
    where = f"pid {pid}" + (f" on {host}" if host and host != HOST else "")
    if host in (None, HOST) and not pid_alive(pid):
        why = f"its worker ({where}) is gone (killed or crashed)"
    else:
        age = "never" if heartbeat is None else f"{now - heartbeat:.0f} s ago"
        why = f"its worker ({where}) sent no heartbeat for over {timeout:.0f} s (last: {age})"
    return (f"{why} at step {step}; resume continues from epoch {checkpoint_epoch or 0}")


def check_run_id(run_id: str) -> str:
    """Run ids name directories that `delete` removes: refuse anything but 12 hex digits."""
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise ValueError(f"{run_id!r} is not a run id (12 hexadecimal digits, e.g. 3f9a0c1b2d4e)")
    return run_id
