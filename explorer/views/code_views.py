"""What a trained categorical VAE or DVAE does with its discrete codes: posteriors, code usage,
hand-edited codes and samples from the prior.

Third lecture text §2.2 (one-hot codes, Gumbel-softmax; Jang et al. 2017) and §2.3 (binary codes
smoothed by the spike-and-exponential f1, Rolfe 2016, or DVAE++'s overlapping exponentials,
Vahdat et al. 2018). A *code* is an integer array (…, N): the category of each of N variables
(categorical) or the d bits (DVAE). The DVAE decoder reads ζ, not z; a hard code is decoded at
the mean of r(ζ|z), ζ_i = E[ζ | z_i]. No Streamlit.
"""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from torch.nn import functional as F

from explorer.discrete import code_usage
from explorer.models import BernoulliDVAE
from explorer.views.latent import dimension_label, seeded

UNUSED_PERPLEXITY = 1.1  # a variable whose argmax is (almost) always one category carries no code


def binary_codes(model) -> bool:
    """Whether the codes are bits smoothed to ζ (a DVAE) rather than one-hot categories."""
    return isinstance(model, BernoulliDVAE)


def n_values(model) -> int:
    """K, the values each variable takes: n_categories, or 2 for a bit."""
    return 2 if binary_codes(model) else model.n_categories


def _dtype(model) -> torch.dtype:
    return next(model.parameters()).dtype


def smoothing_of(model) -> str:
    """The DVAE's r(ζ|z): "spike_exponential" (f1) or "overlapping_exponential" (DVAE++)."""
    return getattr(model, "smoothing", "spike_exponential")


def zeta_mean(beta: float) -> float:
    """E[ζ | z = 1] = 1/(1 − e^{−β}) − 1/β under r(ζ|z=1) = β e^{β(ζ−1)}/(1 − e^{−β}) (f1, a = e;
    the same r(ζ|1) in DVAE++, whose r(ζ|0) is its mirror image, mean 1 − this)."""
    return 1.0 / -math.expm1(-beta) - 1.0 / beta


def bit_means(model) -> tuple[float, float]:
    """(E[ζ | z = 0], E[ζ | z = 1]): 0 for the spike, 1 − E[ζ|1] for the overlapping exponentials."""
    on = zeta_mean(model.smoothing_beta)
    return (1.0 - on if smoothing_of(model) == "overlapping_exponential" else 0.0), on


def decoder_input(model, codes) -> torch.Tensor:
    """The decoder's input for hard codes (M, N): one-hot z (categorical, VQ-VAE) or
    ζ = E[ζ|z] (DVAE)."""
    idx = torch.as_tensor(np.asarray(codes, dtype=np.int64))
    if binary_codes(model):
        off, on = bit_means(model)
        return off + (on - off) * idx.to(_dtype(model))
    return F.one_hot(idx, model.n_categories).to(_dtype(model))


@torch.no_grad()
def decode_input(model, z: torch.Tensor) -> np.ndarray:
    """Decoder means of p(x|z) for a batch of decoder inputs: (M, data_dim)."""
    return model.decode(z).mean.numpy()


def decode_codes(model, codes) -> np.ndarray:
    """Decoder means for hard codes (M, N): (M, data_dim)."""
    return decode_input(model, decoder_input(model, codes))


def posterior_probs(q) -> torch.Tensor:
    """q(z_nk = 1 | x) (…, N, K) for a categorical posterior, q(z_i = 1 | x) (…, d) for bits."""
    return q.base_dist.probs


@torch.no_grad()
def encode_test(model, x, batch_size: int = 1000) -> dict[str, np.ndarray]:
    """For each row of x: posterior probabilities, the most probable code (argmax per variable,
    or the bits with q > ½) and its reconstruction decode(code).mean."""
    x = torch.as_tensor(np.asarray(x), dtype=_dtype(model))
    probs, codes, recon = [], [], []
    for start in range(0, len(x), batch_size):
        p = posterior_probs(model.encode(x[start:start + batch_size]))
        c = (p > 0.5).long() if binary_codes(model) else p.argmax(-1)
        probs.append(p.numpy())
        codes.append(c.numpy())
        recon.append(decode_codes(model, c))
    return {"probs": np.concatenate(probs), "codes": np.concatenate(codes),
            "recon": np.concatenate(recon)}


def usage_summary(model, encoded: dict) -> dict[str, np.ndarray]:
    """Per-variable usage of the most probable codes on a test set: counts (N, K), fraction
    (N, K), perplexity (N,), unused (N,) = perplexity < UNUSED_PERPLEXITY, and for the DVAE the
    mean q(z_i=1|x) (d,) and the learned prior σ(b_i) (d,)."""
    usage = code_usage.summary(encoded["codes"], n_values(model), pooled=False)
    counts, perp = usage["counts"], usage["perplexity"]
    out = {"counts": counts, "fraction": counts / max(1, counts[0].sum()), "perplexity": perp,
           "unused": perp < UNUSED_PERPLEXITY}
    if binary_codes(model):
        out["mean_q"] = encoded["probs"].mean(0)
        out["prior"] = prior_probs(model)
    return out


def prior_probs(model) -> np.ndarray:
    """σ(b_i), the DVAE's learned prior probability of each bit being on."""
    return torch.sigmoid(model.prior_logits.detach()).numpy()


def edit_code(code: Sequence[int], variable: int, value: int) -> np.ndarray:
    """A copy of one code (N,) with `variable` set to `value`."""
    out = np.array(code, dtype=np.int64)
    out[variable] = value
    return out


def value_sweep(model, code: Sequence[int], variable: int) -> np.ndarray:
    """Decodings of the code with `variable` set to each of its K values (K, data_dim): the
    discrete analogue of a latent traversal."""
    k = n_values(model)
    return decode_codes(model, np.stack([edit_code(code, variable, j) for j in range(k)]))


def zeta_sweep(model, code: Sequence[int], bit: int, values: Sequence[float]) -> np.ndarray:
    """DVAE: decodings with ζ_bit swept over `values`, the other bits at ζ = E[ζ|z]:
    (len(values), data_dim). The decoder reads ζ ∈ [0, 1], so the path between the bits."""
    z = decoder_input(model, np.asarray(code)[None]).repeat(len(values), 1)
    z[:, bit] = torch.as_tensor(np.asarray(values, dtype=float), dtype=z.dtype)
    return decode_input(model, z)


@torch.no_grad()
def prior_samples(model, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """n codes z ~ p(z) and their decodings. Categorical: one-hot z decoded as is. DVAE: bits
    z ~ Π Bern(σ(b_i)), then ζ = model.smooth(z, ε), ε ~ U(0, 1), a draw of r(ζ|z) (q = z is
    a sure bit) — for f1 exactly 0 for a 0 bit and the exponential on (0, 1] for a 1 bit.
    Returns codes (n, N), zeta (DVAE only) and decoded (n, data_dim)."""
    with seeded(seed):
        z = model.prior().sample((n,))
        if not binary_codes(model):
            return {"codes": z.argmax(-1).numpy(), "decoded": decode_input(model, z)}
        zeta = model.smooth(z, torch.rand_like(z))
    return {"codes": z.long().numpy(), "zeta": zeta.numpy(), "decoded": decode_input(model, zeta)}


def test_summary(model, x, y=None) -> dict:
    """Test images and labels, posterior probabilities, most probable codes, their
    reconstructions and the per-variable usage summary."""
    encoded = encode_test(model, x)
    return {"x": np.asarray(x), "y": None if y is None else np.asarray(y), **encoded,
            "usage": usage_summary(model, encoded)}


def unused_caption(usage: dict, dvae: bool) -> str:
    """Which variables the encoder does not use (perplexity ≈ 1): posterior collapse."""
    unused = np.flatnonzero(usage["unused"])
    n = len(usage["unused"])
    kind = "bits" if dvae else "variables"
    if not len(unused):
        return f"All {n} {kind} are used: each takes more than one value on the test set."
    if dvae:
        on = usage["fraction"][unused, 1] > 0.5
        groups = [("always off", unused[~on]), ("always on", unused[on])]
        names = "; ".join(f"{how}: {', '.join(dimension_label(j) for j in js)}"
                          for how, js in groups if len(js))
        why = "the bit is the same for (nearly) every image, so it tells the decoder nothing about x"
    else:
        names = ", ".join(dimension_label(j) for j in unused)
        why = "one category (almost) always wins, so these variables carry no information about x"
    return (f"**{len(unused)} of {n} {kind} unused** ({names}): exp(H) < "
            f"{UNUSED_PERPLEXITY:g} — {why}. That is posterior collapse of those "
            f"{kind}; the rest of the code has to describe the image.")
