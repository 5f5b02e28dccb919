"""Tests of the MNIST / Fashion-MNIST downloads: checksums, atomic files, offline messages.

No test uses the network: downloads are served from file:// URLs written here, and the
offline case points at a closed port on 127.0.0.1.
"""
from __future__ import annotations

import gzip
import hashlib
import re

import numpy as np
import pytest
import torch

from explorer.data import downloads
from explorer.data import DatasetError, DatasetUnavailable, load


# --- downloads -------------------------------------------------------------------------


def idx_gz(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + np.array(array.shape, dtype=">u4").tobytes()
    return gzip.compress(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def fake_mnist_mirror(tmp_path, monkeypatch):
    """A file:// mirror of four tiny idx files, with their checksums patched in."""
    rng = np.random.default_rng(5)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (12, 28, 28)),
        "train-labels-idx1-ubyte.gz": np.arange(12) % 10,
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (6, 28, 28)),
        "t10k-labels-idx1-ubyte.gz": np.arange(6) % 10,
    }
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    checksums = {}
    for filename, array in arrays.items():
        content = idx_gz(array)
        (mirror / filename).write_bytes(content)
        checksums[filename] = hashlib.md5(content).hexdigest()
    monkeypatch.setitem(downloads.FILES, "mnist", checksums)
    monkeypatch.setitem(downloads.MIRRORS, "mnist", ("http://127.0.0.1:9/", mirror.as_uri() + "/"))
    return arrays


def test_download_verifies_parses_and_scales(fake_mnist_mirror, data_folder):
    x, y = load("mnist", "train")
    x_test, y_test = load("mnist", "test")
    assert x.shape == (12, 784) and x_test.shape == (6, 784) and x.dtype == torch.float32
    expected = fake_mnist_mirror["train-images-idx3-ubyte.gz"].reshape(12, 784) / 255.0
    assert torch.allclose(x, torch.tensor(expected, dtype=torch.float32))
    assert y.tolist() == list(range(10)) + [0, 1] and y_test.dtype == torch.int64
    assert sorted(p.name for p in (data_folder / "mnist").iterdir()) == sorted(fake_mnist_mirror)


def test_downloaded_files_are_not_fetched_again(fake_mnist_mirror, data_folder, monkeypatch):
    downloads.ensure_files("mnist", data_folder / "mnist")
    monkeypatch.setitem(downloads.MIRRORS, "mnist", ("http://127.0.0.1:9/",))
    assert len(downloads.ensure_files("mnist", data_folder / "mnist")) == 4


def test_checksum_mismatch_deletes_the_download(fake_mnist_mirror, data_folder, monkeypatch):
    monkeypatch.setitem(downloads.FILES["mnist"], "t10k-images-idx3-ubyte.gz", "0" * 32)
    with pytest.raises(DatasetError) as caught:
        load("mnist", "test")
    assert not isinstance(caught.value, DatasetUnavailable)
    assert "failed the checksum" in str(caught.value) and "0" * 32 in str(caught.value)
    left = {p.name for p in (data_folder / "mnist").iterdir()}
    assert "t10k-images-idx3-ubyte.gz" not in left and not any(name.endswith(".part") for name in left)


def test_damaged_local_file_is_reported(fake_mnist_mirror, data_folder):
    (data_folder / "mnist").mkdir(parents=True)
    (data_folder / "mnist" / "train-images-idx3-ubyte.gz").write_bytes(b"not the real file")
    with pytest.raises(DatasetError, match="MD5 checksum .* Delete it"):
        load("mnist", "train")


def test_offline_download_explains_how_to_place_files(data_folder, monkeypatch):
    monkeypatch.setitem(downloads.MIRRORS, "fashion-mnist", ("http://127.0.0.1:9/",))
    with pytest.raises(DatasetUnavailable) as caught:
        load("fashion-mnist", "train")
    message = str(caught.value)
    assert "http://127.0.0.1:9/train-images-idx3-ubyte.gz" in message
    assert "appears to be offline" in message
    assert str(data_folder / "fashion-mnist") in message
    assert all(filename in message for filename in downloads.FILES["fashion-mnist"])
    assert not any((data_folder / "fashion-mnist").iterdir())


def test_read_idx_rejects_truncated_and_foreign_files(tmp_path):
    truncated = tmp_path / "short.gz"
    truncated.write_bytes(idx_gz(np.zeros((3, 2, 2)))[:-8])
    with pytest.raises(DatasetError):
        downloads.read_idx(truncated)
    wrong_size = tmp_path / "wrong.gz"
    wrong_size.write_bytes(gzip.compress(bytes([0, 0, 8, 1]) + np.array([5], ">u4").tobytes() + b"abc"))
    with pytest.raises(DatasetError, match="implies"):
        downloads.read_idx(wrong_size)
    foreign = tmp_path / "foreign"
    foreign.write_bytes(b"PK\x03\x04hello")
    with pytest.raises(DatasetError, match="not an idx file"):
        downloads.read_idx(foreign)


def test_published_checksums_are_the_torchvision_ones():
    assert downloads.FILES["mnist"]["train-images-idx3-ubyte.gz"] == "f68b3c2dcbeaaa9fbdd348bbdeb94873"
    assert downloads.FILES["fashion-mnist"]["t10k-labels-idx1-ubyte.gz"] == "bb300cfdad3c16e7a12a480ee83cd310"
    assert all(re.fullmatch(r"[0-9a-f]{32}", md5) for files in downloads.FILES.values() for md5 in files.values())
