"""Vector quantisation for VQ-VAEs: nearest-code lookup, straight-through gradient, the
codebook / commitment losses and the EMA codebook update.

Third lecture text, section 2.4, loss (∗∗); van den Oord, Vinyals & Kavukcuoglu 2017
(eq. 3; the EMA variant with Laplace-smoothed counts is their appendix A.1).
z_e is (B, D) encoder outputs, the codebook is (K, D).
"""
from __future__ import annotations

import torch
from torch.nn import functional as F


def nearest_code(z_e: torch.Tensor, codebook: torch.Tensor) -> torch.Tensor:
    """argmin_k ‖z_e − e_k‖² per row, as int64 indices (B,)."""
    d = (z_e.pow(2).sum(1, keepdim=True) - 2 * z_e @ codebook.T
         + codebook.pow(2).sum(1))
    return d.argmin(1)


def quantize(z_e: torch.Tensor, codebook: torch.Tensor):
    """(z_q_st, indices, codebook_loss, commitment_loss) for loss (∗∗).

    z_q_st equals the nearest code e in value and has the identity gradient w.r.t. z_e
    (straight-through). codebook_loss = mean_b ‖sg[z_e] − e‖² trains only the codebook;
    commitment_loss = mean_b ‖z_e − sg[e]‖² trains only the encoder (weight it by β
    outside). Both are squared L2 norms over D averaged over the batch.
    """
    with torch.no_grad():
        indices = nearest_code(z_e, codebook)
    z_q = codebook[indices]
    codebook_loss = (z_e.detach() - z_q).pow(2).sum(1).mean()
    commitment_loss = (z_e - z_q.detach()).pow(2).sum(1).mean()
    z_q_st = z_e + (z_q - z_e).detach()
    return z_q_st, indices, codebook_loss, commitment_loss


def ema_update(codebook: torch.Tensor, cluster_size: torch.Tensor, embed_sum: torch.Tensor,
               z_e: torch.Tensor, indices: torch.Tensor, decay: float = 0.99,
               eps: float = 1e-5):
    """One EMA codebook step (van den Oord et al. 2017, appendix A.1; text §2.4):

        N_k ← γ N_k + (1 − γ) n_k,   m_k ← γ m_k + (1 − γ) Σ_{i: k_i = k} z_e,i,
        Ñ_k = (N_k + ε) / (Σ_j N_j + K ε) · Σ_j N_j,   e_k = m_k / Ñ_k.

    The Laplace smoothing keeps e_k finite for a code that has never been used. Returns new
    tensors (codebook, cluster_size N, embed_sum m); the inputs are not modified and no
    gradient flows. `codebook` only supplies K, dtype and device.
    """
    if not 0 <= decay <= 1:
        raise ValueError(f"decay γ must lie in [0, 1], got {decay}")
    k = codebook.shape[0]
    with torch.no_grad():
        z = z_e.detach().to(codebook.dtype)
        onehot = F.one_hot(indices, k).to(codebook.dtype)  # (B, K)
        n = onehot.sum(0)
        new_size = decay * cluster_size + (1 - decay) * n
        new_sum = decay * embed_sum + (1 - decay) * (onehot.T @ z)
        total = new_size.sum()
        smoothed = (new_size + eps) / (total + k * eps) * total
        new_codebook = new_sum / smoothed.unsqueeze(1)
    return new_codebook, new_size, new_sum
