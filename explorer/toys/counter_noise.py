"""Standard normal draws addressed by (seed, index): the i-th draw of a seed is a pure function
of the two, so the browser (ui/live/frontend/counter_noise.js, the same uint32 operations) draws
the very numbers the library estimates with, without shipping them (Monte Carlo marginals).

Each counter c is hashed twice by lowbias32 (a bijection of the 32-bit integers) under a key
made from the seed; the hash h gives the uniform (h + 0.5)/2³² in (0, 1), never 0 or 1. Draws
2j and 2j+1 are Box–Muller's pair from the uniforms of counters 2j and 2j+1:
r = √(−2 log u₁), z = (r cos 2πu₂, r sin 2πu₂).
"""
from __future__ import annotations

import numpy as np

GOLDEN = 0x9E3779B9  # 2³²/φ: spreads consecutive seeds over the key space
TWO_PI = 2.0 * np.pi


def _mix(h: np.ndarray) -> np.ndarray:
    """lowbias32 (C. Wellons): xor-shift-multiply, each step invertible mod 2³²."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x7FEB352D)
    h = h ^ (h >> np.uint32(15))
    h = h * np.uint32(0x846CA68B)
    return h ^ (h >> np.uint32(16))


def key(seed: int) -> np.uint32:
    """The 32-bit key of a seed."""
    return _mix(np.array([(int(seed) + GOLDEN) % 2**32], dtype=np.uint32))[0]


def bits(seed: int, counters: np.ndarray) -> np.ndarray:
    """uint32 hashes of the counters under the seed's key: mix(mix(c ⊕ k) + k)."""
    k = key(seed)
    c = np.asarray(counters, dtype=np.uint32)
    return _mix(_mix(c ^ k) + k)


def uniforms(seed: int, counters: np.ndarray) -> np.ndarray:
    """(h + 0.5)/2³² ∈ (0, 1), exact in float64."""
    return (bits(seed, counters).astype(np.float64) + 0.5) / 2.0**32


def standard_normal(seed: int, shape) -> np.ndarray:
    """N(0, 1) draws of `seed`, indices 0 … size−1 in C order (the first rows of a taller
    array are the same draws: 100 repetitions are the first 100 of 200)."""
    size = int(np.prod(shape))
    pairs = (size + 1) // 2
    c = np.arange(2 * pairs, dtype=np.uint32)
    u = uniforms(seed, c)
    r = np.sqrt(-2.0 * np.log(u[0::2]))
    angle = TWO_PI * u[1::2]
    z = np.empty(2 * pairs)
    z[0::2], z[1::2] = r * np.cos(angle), r * np.sin(angle)
    return z[:size].reshape(shape)
