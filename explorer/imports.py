"""Imports that threads race for: scikit-learn is imported lazily (≈1.5 s) by pages and
background jobs, which the app runs in many threads at once."""
from __future__ import annotations

import importlib
import threading
from types import ModuleType

_LOCK = threading.RLock()


def import_module(module: str) -> ModuleType:
    """importlib.import_module(module) under one process-wide lock. scikit-learn's submodules
    import one another in cycles, so two threads importing two of them at once (two students'
    pages, or a page and a background job) deadlock — Python raises _DeadlockError — or one
    sees the other's half-initialised module (ImportError)."""
    with _LOCK:
        return importlib.import_module(module)
