"""Reading uploaded .npy / .npz / .csv bytes into numpy arrays, refusing anything unsafe.

Used by explorer.uploads, which then checks shapes, values and labels. Every failure is a
DatasetError naming the array, line or column at fault.
"""
from __future__ import annotations

import csv
import io
import math
import zipfile

import numpy as np

from explorer.data.errors import DatasetError

MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # a compressed .npz may expand far beyond its upload size
MAX_EXPANSION = 50  # …and by at most this factor over a floor of MIN_UNPACKED_BYTES (zip bombs)
MIN_UNPACKED_BYTES = 50 * 1024 * 1024
NPZ_LABEL_KEYS = ("y", "labels")
CSV_LABEL_COLUMNS = ("label", "y")
_HEADER_READERS = {(1, 0): np.lib.format.read_array_header_1_0, (2, 0): np.lib.format.read_array_header_2_0}


def read_npy_header(stream) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype from the header of a .npy stream, leaving it positioned at the data."""
    version = np.lib.format.read_magic(stream)
    if version not in _HEADER_READERS:
        raise ValueError(f"unsupported .npy format version {version}")
    shape, _, dtype = _HEADER_READERS[version](stream)
    return shape, dtype


def read_npy(data: bytes, what: str) -> np.ndarray:
    """An array from .npy bytes, refusing object (pickled) arrays before reading them."""
    stream = io.BytesIO(data)
    try:
        shape, dtype = read_npy_header(stream)
    except Exception as error:  # numpy raises assorted types on foreign bytes
        raise DatasetError(f"{what} is not a valid .npy array ({error})") from error
    if dtype.hasobject:
        raise DatasetError(
            f"{what} holds Python objects (a pickled object array); for safety pickles are never "
            "loaded: save a plain numeric array"
        )
    if math.prod(shape) * dtype.itemsize > len(data) - stream.tell():
        raise DatasetError(f"{what} is truncated: its header declares shape {shape} of {dtype}")
    stream.seek(0)
    try:
        return np.lib.format.read_array(stream, allow_pickle=False)
    except Exception as error:
        raise DatasetError(f"{what} is not a valid .npy array ({error})") from error


def unpacked_limit(upload_bytes: int) -> int:
    """How far an upload of this size may expand when unpacked."""
    return min(MAX_UNPACKED_BYTES, max(MIN_UNPACKED_BYTES, MAX_EXPANSION * upload_bytes))


def read_npz(data: bytes) -> tuple[np.ndarray, np.ndarray | None]:
    """x and optional labels from an .npz archive (x is 'x' or the only non-label array)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {m.filename[: -len(".npy")]: m for m in archive.infolist() if m.filename.endswith(".npy")}
            x_key, label_key = _npz_keys(list(members))
            wanted = [key for key in (x_key, label_key) if key is not None]
            unpacked = sum(members[key].file_size for key in wanted)
            limit = unpacked_limit(len(data))
            if unpacked > limit:
                raise DatasetError(
                    f"the .npz unpacks to {unpacked / 2**20:.0f} MB from {len(data) / 2**20:.1f} MB; "
                    f"at most {limit / 2**20:.0f} MB is accepted for an upload of this size "
                    f"({MAX_EXPANSION}× the file, at least {MIN_UNPACKED_BYTES // 2**20} MB, at "
                    f"most {MAX_UNPACKED_BYTES // 2**20} MB): upload a smaller data set"
                )
            arrays = {key: read_npy(archive.read(members[key]), f"array {key!r} in the .npz") for key in wanted}
    except DatasetError:
        raise
    except Exception as error:  # zipfile/zlib raise assorted types on foreign bytes
        raise DatasetError(f"not a valid .npz file ({error}); save it with numpy.savez") from error
    return arrays[x_key], arrays.get(label_key)


def _npz_keys(keys: list[str]) -> tuple[str, str | None]:
    if not keys:
        raise DatasetError("the .npz contains no arrays")
    label_keys = [key for key in NPZ_LABEL_KEYS if key in keys]
    if len(label_keys) > 1:
        raise DatasetError("the .npz has both 'y' and 'labels'; keep only one label array")
    if "x" in keys:
        return "x", next(iter(label_keys), None)
    others = [key for key in keys if key not in NPZ_LABEL_KEYS]
    if len(others) != 1:
        raise DatasetError(
            f"the .npz has arrays {sorted(keys)} and none named 'x': name the data array 'x' "
            "(labels may be 'y' or 'labels')"
        )
    return others[0], next(iter(label_keys), None)


def read_csv(data: bytes) -> tuple[np.ndarray, np.ndarray | None]:
    """Numbers from CSV text with an optional header and an optional 'label'/'y' column."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DatasetError(f"the .csv is not UTF-8 text (undecodable byte at offset {error.start})") from error
    if "\x00" in text:
        raise DatasetError("the .csv contains NUL bytes; it looks like a binary file, not text")
    reader = csv.reader(io.StringIO(text))
    try:
        rows = [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise DatasetError(f"the .csv cannot be parsed near line {reader.line_num} ({error})") from error
    if not rows:
        raise DatasetError("the .csv contains no rows")
    # A first row with any non-numeric cell is a header (e.g. pandas' '0,1,…,label').
    header = rows[0][1] if not all(_is_number(cell) for cell in rows[0][1]) else None
    data_rows = rows[1:] if header else rows
    if not data_rows:
        raise DatasetError("the .csv has a header but no data rows")
    n_columns = len(header or data_rows[0][1])
    for line, row in data_rows:
        if len(row) != n_columns:
            raise DatasetError(f"line {line} of the .csv has {len(row)} columns, expected {n_columns}")
    names = [cell.strip() for cell in header] if header else [f"#{i + 1}" for i in range(n_columns)]
    label_columns = [i for i, name in enumerate(names) if header and name.lower() in CSV_LABEL_COLUMNS]
    if len(label_columns) > 1:
        raise DatasetError(f"the .csv has several label columns {[names[i] for i in label_columns]}; keep one")
    cells = np.array([row for _, row in data_rows], dtype=str)
    feature_columns = [i for i in range(n_columns) if i not in label_columns]
    features = _csv_numbers(cells, feature_columns, names, data_rows)
    labels = _csv_numbers(cells, label_columns, names, data_rows)[:, 0] if label_columns else None
    return features, labels


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _csv_numbers(cells: np.ndarray, columns: list[int], names: list[str], rows: list) -> np.ndarray:
    """The given columns as int64 if every cell is an integer literal, else float64."""
    selected = cells[:, columns]
    try:
        return selected.astype(np.int64)
    except (ValueError, OverflowError):
        pass
    try:
        return selected.astype(np.float64)
    except ValueError:
        pass
    for (line, _), row in zip(rows, selected):
        for column, cell in zip(columns, row):
            if not _is_number(cell):
                raise DatasetError(f"line {line}, column {names[column]!r} of the .csv: {str(cell)!r} is not a number")
    raise DatasetError("the .csv contains cells that are not numbers")
