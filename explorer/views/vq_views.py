"""What a trained VQ-VAE does with its codebook: encoder outputs against code vectors, code
usage, hand-edited codes, and words for what a family of runs differing only in the
commitment weight did (the family itself is trainer.families).

Third lecture text §2.4, loss (∗∗); van den Oord, Vinyals & Kavukcuoglu 2017. z_e is (B, N, D)
(N code positions, D = code_dim), codes are (B, N) indices into the (K, D) codebook. Arrays in,
numpy out, no Streamlit.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from explorer.discrete import code_usage
from explorer.views.code_views import decode_codes
from explorer.views.latent import pca_fit



def _batches(n: int, size: int):
    return (slice(i, i + size) for i in range(0, n, size))


@torch.no_grad()
def encode_test(model, x, batch_size: int = 1000) -> dict[str, np.ndarray]:
    """z_e(x) (B, N, D), nearest codes (B, N), reconstructions decode(z_q(x)).mean (B, data_dim)
    and the codebook (K, D)."""
    x = torch.as_tensor(np.asarray(x), dtype=model.codebook.dtype)
    z_e, codes, recon = [], [], []
    for part in _batches(len(x), batch_size):
        z = model.encode_vectors(x[part])
        k = model.codes(x[part])
        z_e.append(z.numpy())
        codes.append(k.numpy())
        recon.append(model.decode_vectors(model.codebook[k]).mean.numpy())
    return {"z_e": np.concatenate(z_e), "codes": np.concatenate(codes),
            "recon": np.concatenate(recon), "codebook": model.codebook.detach().numpy().copy()}


def pca_projection(z_e: np.ndarray, codebook: np.ndarray) -> dict[str, np.ndarray]:
    """PCA fitted on all encoder outputs (positions pooled), the codebook projected by the same
    map. Returns points (B·N, 2) in row-major (example, position) order, position (B·N,),
    codebook (K, 2) and explained (2,), the fraction of z_e's variance on each axis. D = 1 is
    drawn as is (second axis 0)."""
    b, n, d = z_e.shape
    flat = z_e.reshape(-1, d).astype(np.float64)
    book = np.asarray(codebook, dtype=np.float64)
    position = np.tile(np.arange(n), b)
    if d == 1:
        pad = ((0, 0), (0, 1))
        return {"points": np.pad(flat, pad), "codebook": np.pad(book, pad),
                "position": position, "explained": np.array([1.0, 0.0])}
    mean, components, explained = pca_fit(flat)
    explained = np.nan_to_num(explained)  # NaN when z_e has collapsed
    return {"points": (flat - mean) @ components.T, "codebook": (book - mean) @ components.T,
            "position": position, "explained": explained}


def subsample(n: int, max_points: int, seed: int = 0) -> np.ndarray:
    """Sorted indices of at most `max_points` of n rows (all of them when n is small)."""
    if n <= max_points:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, max_points, replace=False))


def usage_summary(codes: np.ndarray, k: int) -> dict:
    """Counts (K,) over all examples and positions, codes sorted by use (most used first),
    dead-code mask, perplexity and the number of dead codes (explorer.discrete.code_usage,
    pooled: the same numbers the trainer records)."""
    usage = code_usage.summary(codes, k, pooled=True)
    counts = usage["counts"]
    return {"counts": counts, "order": np.argsort(-counts, kind="stable"), "dead": counts == 0,
            "perplexity": usage["perplexity"], "n_dead": usage["unused"]}


def most_used(counts: np.ndarray, m: int = 16) -> np.ndarray:
    """Up to m codes in order of use, leaving out codes that are never chosen."""
    order = np.argsort(-np.asarray(counts), kind="stable")
    return order[np.asarray(counts)[order] > 0][:m]


def squared_distances(z_e: np.ndarray, codebook: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """‖z_e,n − e_{k_n}‖² per example and position (B, N); its mean over B of the sum over N
    is the commitment (and codebook) loss of (∗∗)."""
    return ((z_e - np.asarray(codebook)[codes]) ** 2).sum(-1)


def edit_codes(codes_one: Sequence[int], position: int, codes: Sequence[int]) -> np.ndarray:
    """Copies of one example's N codes with `position` set to each of `codes`: (len(codes), N)."""
    out = np.repeat(np.asarray(codes_one, dtype=np.int64)[None], len(codes), axis=0)
    out[:, position] = codes
    return out


def test_encodings(model, x, y=None, max_images: int = 2000) -> dict:
    """x, y, z_e, codes, reconstructions, codebook, code usage and ‖z_e,n − e_k‖² of at most
    `max_images` test images (a fixed subsample of larger test sets)."""
    keep = subsample(len(x), max_images)
    x = x[keep]
    out = encode_test(model, x)
    out.update(x=np.asarray(x), y=None if y is None else np.asarray(y[keep]),
               usage=usage_summary(out["codes"], model.n_categories),
               sq_dist=squared_distances(out["z_e"], out["codebook"], out["codes"]))
    return out


def projection(encodings: dict) -> dict:
    """pca_projection of test_encodings' z_e and codebook, with the code of each point."""
    proj = pca_projection(encodings["z_e"], encodings["codebook"])
    proj["point_codes"] = encodings["codes"].reshape(-1)
    return proj


def edited_images(model, codes_one: Sequence[int], position: int, codes: Sequence[int]) -> np.ndarray:
    """Decoder means with one position of one example's codes replaced by each of `codes`."""
    return decode_codes(model, edit_codes(codes_one, position, codes))


def eval_series(evals: dict, names: dict[str, str]) -> dict[str, tuple[list, list]]:
    """{label: (epochs, values)} for the recorded evals `names` maps to labels (missing ones
    are left out)."""
    return {label: (evals[name]["epoch"], evals[name]["value"])
            for name, label in names.items() if name in evals}


def describe_trend(rows: list[dict], key: str, label: str, fmt: str = ".3g") -> str:
    """What a column does as β_c grows, in words: the values at both ends and whether every
    step goes the same way. Describes the data; asserts nothing."""
    values = [r[key] for r in rows if np.isfinite(r[key])]
    betas = [r["commitment"] for r in rows if np.isfinite(r[key])]
    if len(values) < 2:
        return f"{label}: fewer than two finished runs."
    steps = np.diff(values)
    if np.all(steps == 0):
        shape = "is the same for every β_c"
    elif np.all(steps > 0) or np.all(steps < 0):
        shape = f"{'rises' if steps[0] > 0 else 'falls'} at every step"
    elif np.all(steps >= 0) or np.all(steps <= 0):
        shape = f"never {'falls' if np.all(steps >= 0) else 'rises'}"
    else:
        shape = "goes up and down"
    return (f"{label} {shape}: {values[0]:{fmt}} at β_c = {betas[0]:g} → "
            f"{values[-1]:{fmt}} at β_c = {betas[-1]:g}.")


def position_points(position: np.ndarray, which: int | None, max_points: int,
                    seed: int = 0) -> np.ndarray:
    """Indices of the projected points to draw: all positions or only position `which`
    (0-based), subsampled to at most `max_points`."""
    rows = np.arange(len(position)) if which is None else np.flatnonzero(position == which)
    return rows[subsample(len(rows), max_points, seed)]
