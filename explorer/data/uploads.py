"""User data sets: validate an uploaded .npz / .npy / .csv and store it as .npz.

A stored upload is `<folder>/upload-<12 hex of the content's sha256>.npz` holding `x`
(float32, N × D), optional `y` (int64) and a few small metadata arrays, so describing it
never reads `x`. Every rejection is a DatasetError whose message names what is wrong.
"""
from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from explorer.data.errors import DatasetError
from explorer.data.upload_formats import read_csv, read_npy, read_npy_header, read_npz

SUFFIXES = (".npz", ".npy", ".csv")
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MIN_ROWS, MAX_ROWS = 10, 200_000
MAX_DIM = 4096
MAX_LABEL = 999
MAX_ABS_VALUE = 1e6  # squared and summed over 4,096 values this stays far inside float32
NAME_PREFIX = "upload-"
_NAME_PATTERN = re.compile(r"upload-[0-9a-f]{12}")


@dataclass(frozen=True)
class ParsedUpload:
    """A validated upload: x in float32, labels in int64, the image shape if known."""

    x: np.ndarray
    y: np.ndarray | None
    image_shape: tuple[int, int] | None
    scaled: bool  # integer grey levels 0–255 were divided by 255


@dataclass(frozen=True)
class StoredUpload:
    """What a stored upload holds, read from its metadata without loading x."""

    source: str
    n_rows: int
    dim: int
    image_shape: tuple[int, int] | None
    n_classes: int | None
    scaled: bool


def is_upload_name(name: str) -> bool:
    return bool(_NAME_PATTERN.fullmatch(name))


def save(data: bytes, filename: str, folder: Path) -> str:
    """Validate an upload, store it in `folder` and return its data set name."""
    parsed = parse(data, filename)
    name = NAME_PREFIX + hashlib.sha256(bytes(data)).hexdigest()[:12]
    arrays = {
        "x": parsed.x,
        "source": np.array(Path(filename).name),
        "image_shape": np.array(parsed.image_shape or (), dtype=np.int64),
        "n_classes": np.array(-1 if parsed.y is None else int(parsed.y.max()) + 1),
        "scaled": np.array(parsed.scaled),
    }
    if parsed.y is not None:
        arrays["y"] = parsed.y
    folder.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=name, suffix=".part")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            np.savez_compressed(handle, **arrays)
        os.replace(temporary, folder / f"{name}.npz")
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return name


def describe(name: str, folder: Path) -> StoredUpload:
    """Metadata of stored upload `name`; square D ≥ 16 counts as an s × s image."""
    with _open_stored(name, folder) as stored:
        shape = tuple(int(n) for n in stored["image_shape"])
        n_classes = int(stored["n_classes"])
        n_rows, dim = _stored_x_shape(stored)
        source, scaled = str(stored["source"]), bool(stored["scaled"])
    side = math.isqrt(dim)
    image_shape = shape if len(shape) == 2 else (side, side) if dim >= 16 and side * side == dim else None
    return StoredUpload(source, n_rows, dim, image_shape, None if n_classes < 0 else n_classes, scaled)


def read_arrays(name: str, folder: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """x (N, D) float32 and y (N,) int64 or None of stored upload `name`."""
    with _open_stored(name, folder) as stored:
        return stored["x"], stored["y"] if "y" in stored.files else None


@contextlib.contextmanager
def _open_stored(name: str, folder: Path):
    """The stored .npz of upload `name`; any failure reading it becomes a DatasetError."""
    path = folder / f"{name}.npz"
    if not path.exists():
        raise DatasetError(f"no uploaded data set {name!r} (expected {path}); upload the file again")
    try:
        with np.load(path, allow_pickle=False) as stored:
            yield stored
    except DatasetError:
        raise
    except Exception as error:  # a damaged file on disk: report it, whatever numpy raised
        raise DatasetError(f"stored upload {path} is damaged ({error}); upload the file again") from error


def _stored_x_shape(stored) -> tuple[int, int]:
    """Shape of the stored x, read from its .npy header rather than its data."""
    with stored.zip.open("x.npy") as member:
        shape, _ = read_npy_header(member)
    return shape


def parse(data: bytes, filename: str) -> ParsedUpload:
    """Validate the bytes of an uploaded file and convert them to float32 features."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise DatasetError(
            f"unsupported file type {suffix or '(no extension)'!r} for {filename!r}: "
            "upload a .npz, .npy or .csv file"
        )
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise DatasetError(f"upload contents must be bytes, not {type(data).__name__}")
    if len(data) > MAX_UPLOAD_BYTES:
        raise DatasetError(
            f"{filename!r} is {len(data) / 2**20:.1f} MB; the upload size limit is {MAX_UPLOAD_BYTES // 2**20} MB"
        )
    if len(data) == 0:
        raise DatasetError(f"{filename!r} is empty")
    data = bytes(data)
    if suffix == ".npy":
        x, y = read_npy(data, "the .npy file"), None
    elif suffix == ".npz":
        x, y = read_npz(data)
    else:
        x, y = read_csv(data)
    x, image_shape = _validated_features(x)
    y = None if y is None else _validated_labels(y, len(x))
    x, scaled = _as_float32(x)
    return ParsedUpload(x, y, image_shape, scaled)


def _validated_features(x: np.ndarray) -> tuple[np.ndarray, tuple[int, int] | None]:
    """x as (N, D) after checking type, shape, size and finiteness; a 3-D stack is flattened."""
    if x.dtype.kind not in "biuf":
        raise DatasetError(f"x must hold real numbers; it has dtype {x.dtype}")
    image_shape = None
    if x.ndim == 3:
        image_shape = (int(x.shape[1]), int(x.shape[2]))
        x = x.reshape(len(x), -1)
    elif x.ndim != 2:
        raise DatasetError(
            f"x must be 2-D (N rows × D values) or a 3-D stack of N images (N, H, W); got shape {x.shape}"
        )
    n, dim = x.shape
    if n < MIN_ROWS:
        raise DatasetError(f"x has {n} rows; at least {MIN_ROWS} are needed")
    if n > MAX_ROWS:
        raise DatasetError(f"x has {n:,} rows; at most {MAX_ROWS:,} are accepted")
    if not 1 <= dim <= MAX_DIM:
        raise DatasetError(f"x has {dim} values per row; between 1 and {MAX_DIM} are accepted")
    if x.dtype.kind == "f":
        _require_finite(x, "x")
    if x.size and np.abs(x).max() > MAX_ABS_VALUE:
        row, col = (int(i) for i in np.unravel_index(np.abs(x).argmax(), x.shape))
        raise DatasetError(
            f"x has values as large as {x[row, col]:.3g} (row {row + 1}, column {col + 1}); at most "
            f"±{MAX_ABS_VALUE:g} are accepted — a Gaussian decoder's squared errors would overflow "
            "32-bit floats: standardise the data first")
    return x, image_shape


def _require_finite(values: np.ndarray, what: str) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        row = position[0] + 1
        where = f"row {row}" + (f", column {position[1] + 1}" if len(position) > 1 else "")
        raise DatasetError(f"{what} contains NaN or infinite values (first at {where}: {values[position]})")


def _validated_labels(y: np.ndarray, n: int) -> np.ndarray:
    """Labels as int64 after checking they are whole numbers in [0, MAX_LABEL], one per row."""
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise DatasetError(f"labels must be 1-D (one per row); got shape {y.shape}")
    if len(y) != n:
        raise DatasetError(f"there are {len(y)} labels but x has {n} rows")
    if y.dtype.kind not in "biuf":
        raise DatasetError(f"labels must be integers; they have dtype {y.dtype}")
    if y.dtype.kind == "f":
        _require_finite(y, "labels")
        fractional = np.flatnonzero(y != np.round(y))
        if fractional.size:
            row = int(fractional[0])
            raise DatasetError(f"labels must be whole numbers; row {row + 1} has {y[row]}")
    out_of_range = np.flatnonzero((y < 0) | (y > MAX_LABEL))
    if out_of_range.size:
        row = int(out_of_range[0])
        raise DatasetError(f"labels must be between 0 and {MAX_LABEL}; row {row + 1} has {y[row]}")
    return y.astype(np.int64)


def _as_float32(x: np.ndarray) -> tuple[np.ndarray, bool]:
    """x in float32; integer grey levels 0–255 are divided by 255, 0/1 data is kept as is."""
    if x.dtype.kind in "iu" and x.min() >= 0 and 1 < x.max() <= 255:
        return (x / 255.0).astype(np.float32), True
    converted = x.astype(np.float32)
    if x.dtype.kind == "f" and not np.isfinite(converted).all():
        raise DatasetError("x has values too large for 32-bit floats (beyond ±3.4e38)")
    return converted, False
