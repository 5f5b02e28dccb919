"""Full MNIST and Fashion-MNIST: download the four idx .gz files once, verify, parse.

File names and MD5 checksums are the ones published with torchvision's `MNIST` and
`FashionMNIST` dataset classes. Nothing here touches the network until `load_split` is
called for a data set whose files are missing.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.request
import zlib
from http.client import HTTPException
from pathlib import Path

import numpy as np

from explorer.data.errors import DatasetError, DatasetUnavailable

TIMEOUT_SECONDS = 15
_CHUNK_BYTES = 1 << 20

# Tried in order; each URL is mirror + file name.
MIRRORS: dict[str, tuple[str, ...]] = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    ),
    "fashion-mnist": (
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
    ),
}

FILES: dict[str, dict[str, str]] = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}

_SPLIT_PREFIX = {"train": "train", "test": "t10k"}

# idx type codes (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT"); data are big-endian.
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def load_split(name: str, split: str, folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, 784) float32 in [0, 1] and labels (N,) int64, downloading into `folder` if needed."""
    paths = ensure_files(name, folder)
    prefix = _SPLIT_PREFIX[split]
    images = read_idx(paths[f"{prefix}-images-idx3-ubyte.gz"])
    labels = read_idx(paths[f"{prefix}-labels-idx1-ubyte.gz"])
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DatasetError(
            f"{name} {split} files in {folder} do not match: images {images.shape}, labels {labels.shape}"
        )
    x = images.reshape(len(images), -1).astype(np.float32) / 255.0
    return x, labels.astype(np.int64)


def ensure_files(name: str, folder: Path) -> dict[str, Path]:
    """Paths of `name`'s four verified files in `folder`, fetching any that are missing."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for filename, md5 in FILES[name].items():
        path = folder / filename
        if path.exists():
            actual = file_md5(path)
            if actual != md5:
                raise DatasetError(
                    f"{path} has MD5 checksum {actual}, expected {md5}: the file is damaged or "
                    "is not the official one. Delete it and try again."
                )
        else:
            fetch(filename, md5, MIRRORS[name], path, name)
        paths[filename] = path
    return paths


def fetch(filename: str, md5: str, mirrors: tuple[str, ...], destination: Path, name: str) -> None:
    """Download `filename` from the first mirror that serves it with the right MD5.

    The file is written to a temporary name beside `destination` and renamed only once
    verified, so an interrupted or corrupt download never looks like a finished one.
    """
    failures, checksum_failures = [], []
    for mirror in mirrors:
        url = mirror + filename
        try:
            actual = _download_verified(url, md5, destination)
        except (OSError, HTTPException, ValueError) as error:
            failures.append(f"{url} ({_reason(error)})")
            continue
        if actual == md5:
            return
        checksum_failures.append(f"{url} (MD5 {actual})")
    if checksum_failures:
        raise DatasetError(
            f"downloaded {filename} failed the checksum (expected MD5 {md5}) from: "
            + "; ".join(checksum_failures)
            + ". The partial file was deleted; try again later or place the file manually in "
            f"{destination.parent}."
        )
    raise DatasetUnavailable(
        f"could not download {name}: tried "
        + "; ".join(failures)
        + ". This machine appears to be offline (or the mirrors are unreachable). "
        f"To use {name} without network access, copy the four files "
        + ", ".join(FILES[name])
        + f" into the folder {destination.parent} (keep them gzipped) and load it again."
    )


def _download_verified(url: str, md5: str, destination: Path) -> str:
    """Stream `url` to `destination` if its MD5 is `md5`; return the MD5 it had."""
    digest = hashlib.md5(usedforsecurity=False)
    descriptor, temporary = tempfile.mkstemp(dir=destination.parent, prefix=destination.name, suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as out, urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
            while chunk := response.read(_CHUNK_BYTES):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() == md5:
            os.replace(temporary, destination)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return digest.hexdigest()


def _reason(error: Exception) -> str:
    reason = getattr(error, "reason", None)
    return str(reason if reason is not None else error) or type(error).__name__


def file_md5(path: Path) -> str:
    """Hex MD5 of the file at `path`."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def read_idx(path: Path) -> np.ndarray:
    """The array stored in an idx file (gzipped if its name ends in .gz)."""
    try:
        opener = gzip.open if str(path).endswith(".gz") else open
        with opener(path, "rb") as handle:
            raw = handle.read()
    except (OSError, EOFError, zlib.error) as error:
        raise DatasetError(f"cannot read {path}: {error}") from error
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise DatasetError(f"{path} is not an idx file (bad header)")
    dtype, ndim = np.dtype(_IDX_DTYPES[raw[2]]), raw[3]
    header_bytes = 4 + 4 * ndim
    if len(raw) < header_bytes:
        raise DatasetError(f"{path} is truncated (incomplete header)")
    shape = tuple(int(n) for n in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = header_bytes + int(np.prod(shape)) * dtype.itemsize
    if len(raw) != expected:
        raise DatasetError(f"{path} has {len(raw)} bytes but its header {shape} implies {expected}")
    return np.frombuffer(raw, dtype=dtype, offset=header_bytes).reshape(shape)
