"""Generated 2-D toy data sets: a mixture of three Gaussians, two moons and a pinwheel.

Every generator returns points scaled to roughly unit spread and, as labels, the index of
the component (Gaussian, moon or arm) each point was drawn from.
"""
from __future__ import annotations

import numpy as np

from explorer.imports import import_module

TOY_SETS = ("three_gaussians", "two_moons", "pinwheel")
N_COMPONENTS = {"three_gaussians": 3, "two_moons": 2, "pinwheel": 5}
SPLIT_SIZES = {"train": 2000, "test": 1000}

_MOONS_NOISE = 0.1
_MOONS_CENTRE = np.array([0.5, 0.25])
_MOONS_SCALE = 1.4  # ≈ 1 / RMS spread of sklearn's moons

# Johnson et al. (2016), "Composing graphical models with neural networks" (SVAE) settings.
_PINWHEEL_RADIAL_STD, _PINWHEEL_TANGENTIAL_STD, _PINWHEEL_RATE = 0.3, 0.05, 0.25
_PINWHEEL_SCALE = 1.35  # ≈ 1 / RMS spread of the unscaled pinwheel


def generate(name: str, split: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Points (N, 2) float32 and component labels (N,) int64 for toy set `name`.

    Train and test come from independent child streams of `np.random.SeedSequence(seed)`,
    so they never share draws and are identical for the same seed.
    """
    stream = {"train": 0, "test": 1}[split]
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(2)[stream])
    n = SPLIT_SIZES[split]
    if name == "three_gaussians":
        x, y = _three_gaussians(n, rng)
    elif name == "two_moons":
        x, y = _two_moons(n, rng)
    elif name == "pinwheel":
        x, y = _pinwheel(n, rng)
    else:
        raise KeyError(name)
    return x.astype(np.float32), y.astype(np.int64)


def _balanced_labels(n: int, n_components: int, rng: np.random.Generator) -> np.ndarray:
    """Shuffled labels with every component (nearly) equally often."""
    return rng.permutation(np.arange(n) % n_components)


def _three_gaussians(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Equal-weight mixture of three elongated Gaussians whose means sit on a circle."""
    labels = _balanced_labels(n, 3, rng)
    angles = np.deg2rad([90.0, 210.0, 330.0])
    means = 1.2 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    axis_stds = np.array([[0.5, 0.2], [0.35, 0.15], [0.25, 0.25]])
    tilts = np.deg2rad([0.0, 60.0, 0.0])
    rotations = np.stack(
        [np.stack([np.cos(tilts), -np.sin(tilts)], 1), np.stack([np.sin(tilts), np.cos(tilts)], 1)],
        axis=1,
    )
    noise = rng.standard_normal((n, 2)) * axis_stds[labels]
    points = means[labels] + np.einsum("nij,nj->ni", rotations[labels], noise)
    return points, labels


def _two_moons(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's `make_moons` with noise, centred and rescaled."""
    make_moons = import_module("sklearn.datasets").make_moons

    state = np.random.RandomState(np.random.MT19937(rng.bit_generator.seed_seq))
    points, labels = make_moons(n_samples=n, noise=_MOONS_NOISE, random_state=state)
    return (points - _MOONS_CENTRE) * _MOONS_SCALE, labels


def _pinwheel(n: int, rng: np.random.Generator, n_arms: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """The pinwheel of Johnson et al. (2016): Gaussian blobs sheared into curved arms."""
    labels = _balanced_labels(n, n_arms, rng)
    features = rng.standard_normal((n, 2)) * [_PINWHEEL_RADIAL_STD, _PINWHEEL_TANGENTIAL_STD]
    features[:, 0] += 1.0
    arm_angles = np.linspace(0.0, 2 * np.pi, n_arms, endpoint=False)
    angles = arm_angles[labels] + _PINWHEEL_RATE * np.exp(features[:, 0])
    cos, sin = np.cos(angles), np.sin(angles)
    points = np.stack(
        [features[:, 0] * cos + features[:, 1] * sin, -features[:, 0] * sin + features[:, 1] * cos],
        axis=1,
    )
    return points * _PINWHEEL_SCALE, labels
