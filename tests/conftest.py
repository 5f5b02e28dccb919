import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from .classroom_browser import browser, page, server  # noqa: E402,F401  (browser test fixtures)


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path, monkeypatch):
    """Every test gets its own run store and data folder; nothing touches ~/.cache. A fresh
    store stays empty (no class models queued on first start: trainer/class_models.py)."""
    monkeypatch.setenv("VAE_EXPLORER_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("VAE_EXPLORER_PRETRAIN", "0")
    monkeypatch.setenv("VAE_EXPLORER_DATA", str(tmp_path / "data"))
    yield


@pytest.fixture
def data_folder(tmp_path, monkeypatch):
    """The data folder of this test (uploads and downloads land here)."""
    folder = tmp_path / "data"
    monkeypatch.setenv("VAE_EXPLORER_DATA", str(folder))
    return folder
