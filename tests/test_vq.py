"""Vector quantisation: nearest codes, straight-through and stop-gradients, the EMA update on a
hand-computed example (perplexity and dead codes: test_code_usage.py)."""

import torch

from explorer.discrete.vq import ema_update, quantize


def test_indices_are_the_brute_force_nearest_codes():
    gen = torch.Generator().manual_seed(0)
    z_e, codebook = torch.randn(300, 5, generator=gen), torch.randn(16, 5, generator=gen)
    z_q, idx, _, _ = quantize(z_e, codebook)
    brute = torch.tensor([min(range(16), key=lambda k: float(((z - codebook[k]) ** 2).sum()))
                          for z in z_e])
    assert idx.dtype == torch.int64 and torch.equal(idx, brute)
    torch.testing.assert_close(z_q, codebook[brute])


def test_losses_and_hand_example():
    z_e = torch.tensor([[0.1, 0.0], [0.9, 1.2]])
    codebook = torch.tensor([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]])
    z_q, idx, cb, cm = quantize(z_e, codebook)
    assert idx.tolist() == [0, 1]
    # ‖·‖² per row: 0.01 and 0.01 + 0.04; mean over the batch = 0.03.
    assert abs(float(cb) - 0.03) < 1e-7 and abs(float(cm) - 0.03) < 1e-7


def test_straight_through_and_stop_gradients():
    gen = torch.Generator().manual_seed(1)
    z_e = torch.randn(8, 3, generator=gen, requires_grad=True)
    codebook = torch.randn(4, 3, generator=gen, requires_grad=True)
    z_q, _, cb_loss, cm_loss = quantize(z_e, codebook)
    # Straight-through: the Jacobian of z_q w.r.t. z_e is the identity, codebook gets nothing.
    w = torch.randn(8, 3, generator=gen)
    gz, gc = torch.autograd.grad((z_q * w).sum(), (z_e, codebook), allow_unused=True)
    torch.testing.assert_close(gz, w)
    assert gc is None or (gc == 0).all()
    # Codebook loss: gradient only to the codebook; commitment loss: only to z_e.
    gz, gc = torch.autograd.grad(cb_loss, (z_e, codebook), allow_unused=True)
    assert gz is None or (gz == 0).all()
    assert gc is not None and gc.abs().sum() > 0
    gz, gc = torch.autograd.grad(cm_loss, (z_e, codebook), allow_unused=True)
    assert gc is None or (gc == 0).all()
    assert gz is not None and gz.abs().sum() > 0
    # The commitment gradient is 2(z_e − e)/B.
    torch.testing.assert_close(gz, 2 * (z_e - z_q).detach() / 8)


def test_ema_update_hand_computed():
    """γ = 0.5, ε = 0.5, K = 3; code 2 is unused in this batch.

    n = [2, 1, 0];  N' = 0.5·[2, 1, 1] + 0.5·[2, 1, 0] = [2, 1, 0.5]
    Σ z per code = [[4, 0], [0, 4], [0, 0]]
    m' = 0.5·[[2, 0], [0, 2], [4, 4]] + 0.5·Σ = [[3, 0], [0, 3], [2, 2]]
    ΣN' = 3.5;  Ñ = (N' + 0.5)/(3.5 + 3·0.5)·3.5 = [2.5, 1.5, 1.0]·0.7 = [1.75, 1.05, 0.7]
    e = m'/Ñ = [[12/7, 0], [0, 20/7], [20/7, 20/7]]
    """
    codebook = torch.tensor([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]], dtype=torch.float64)
    size = torch.tensor([2.0, 1.0, 1.0], dtype=torch.float64)
    emb_sum = torch.tensor([[2.0, 0.0], [0.0, 2.0], [4.0, 4.0]], dtype=torch.float64)
    z_e = torch.tensor([[1.0, 0.0], [3.0, 0.0], [0.0, 4.0]], dtype=torch.float64)
    idx = torch.tensor([0, 0, 1])
    copies = [t.clone() for t in (codebook, size, emb_sum, z_e)]
    new_cb, new_size, new_sum = ema_update(codebook, size, emb_sum, z_e, idx, decay=0.5, eps=0.5)
    torch.testing.assert_close(new_size, torch.tensor([2.0, 1.0, 0.5], dtype=torch.float64))
    torch.testing.assert_close(new_sum, torch.tensor([[3.0, 0], [0, 3.0], [2.0, 2.0]],
                                                     dtype=torch.float64))
    torch.testing.assert_close(new_cb, torch.tensor([[12 / 7, 0], [0, 20 / 7], [20 / 7, 20 / 7]],
                                                    dtype=torch.float64))
    # Pure: the inputs are unchanged.
    for before, after in zip(copies, (codebook, size, emb_sum, z_e)):
        assert torch.equal(before, after)
    # Without smoothing (ε = 0) the codebook is m'/N' as in the text.
    new_cb, _, _ = ema_update(codebook, size, emb_sum, z_e, idx, decay=0.5, eps=0.0)
    torch.testing.assert_close(new_cb, torch.tensor([[1.5, 0], [0, 3.0], [4.0, 4.0]],
                                                    dtype=torch.float64))


def test_ema_keeps_never_used_codes_finite_and_moves_codes_to_their_means():
    k, d = 4, 2
    codebook = torch.zeros(k, d)
    size, emb_sum = torch.zeros(k), torch.zeros(k, d)
    z_e = torch.tensor([[1.0, 2.0], [3.0, 2.0]])
    idx = torch.tensor([1, 1])
    for _ in range(500):
        codebook, size, emb_sum = ema_update(codebook, size, emb_sum, z_e, idx, decay=0.9)
    assert torch.isfinite(codebook).all()
    torch.testing.assert_close(codebook[1], z_e.mean(0), rtol=1e-3, atol=1e-3)
    assert (codebook[[0, 2, 3]] == 0).all()
