"""IWAE evaluation speed: L_5000 on 100 mnist5k test points of a freshly trained d = 2 model.

Reports wall time, the FLOPs of the encoder + decoder work, the achieved GFLOP/s, and the
same decoder matmuls as bare torch.mm (same shapes, same chunks) timed in the same run;
then a chunk-size sweep, the generic distribution-object path (model.decode(z).log_prob(x))
against bounds.iwae's fused Bernoulli path, and exact log p(x) by quadrature as a check.

    python bench/iwae_eval.py [--k 5000] [--points 100] [--epochs 5] [--threads N]
"""
import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from torch import nn  # noqa: E402

from explorer import bounds, data  # noqa: E402
from trainer import RunSpec, RunStore, load_model  # noqa: E402
from trainer.loop import train_run  # noqa: E402


def mlp_flops(net: nn.Sequential) -> int:
    """2·in·out per Linear layer per row (multiply-adds; biases and activations not counted)."""
    return sum(2 * m.in_features * m.out_features for m in net if isinstance(m, nn.Linear))


def generic_iwae(model, x, k, chunk):
    """The path without the fused formula: distribution objects all the way."""
    q = model.encode(x)
    parts = []
    for i in range(0, k, chunk):
        z = q.rsample((min(chunk, k - i),))
        parts.append(model.decode(z).log_prob(x) + model.prior().log_prob(z) - q.log_prob(z))
    return torch.logsumexp(torch.cat(parts), 0) - math.log(k)


def bare_mm(model, rows, chunk_rows):
    """The decoder's matmuls alone (no bias, activation, likelihood) for `rows` latent rows."""
    weights = [m.weight.T.contiguous() for m in model.decoder if isinstance(m, nn.Linear)]
    for i in range(0, rows, chunk_rows):
        h = torch.randn(min(chunk_rows, rows - i), weights[0].shape[0])
        for w in weights:
            h = torch.mm(h, w)


def timed(fn, repeat=2):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--k", type=int, default=5000)
    ap.add_argument("--points", type=int, default=100)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=0)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(tmp)
        spec = RunSpec(dataset="mnist5k", latent_dim=2, epochs=args.epochs)
        store.create(spec)
        store.claim(spec.run_id)
        t = time.perf_counter()
        status = train_run(store, spec.run_id)
        print(f"trained {spec.run_id}: {status} in {time.perf_counter() - t:.1f}s")
        model = load_model(spec.run_id, store)
    x = data.load("mnist5k", "test")[0][: args.points]
    k, B = args.k, len(x)
    flops = k * B * mlp_flops(model.decoder) + B * mlp_flops(model.encoder)
    auto = bounds.auto_chunk_size(x)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; k={k}, B={B}, "
          f"work = {flops / 1e9:.0f} GFLOP (decoder {k * B} rows), auto chunk = {auto}")

    with torch.no_grad():
        torch.manual_seed(0)
        t_before, L_before = timed(lambda: generic_iwae(model, x, k, auto))
        t_mm, _ = timed(lambda: bare_mm(model, k * B, auto * B))
        print(f"\nbefore (distribution objects, chunk {auto}): {t_before:.2f}s, "
              f"{flops / t_before / 1e9:.1f} GFLOP/s")
        print(f"bare torch.mm of the decoder's shapes:       {t_mm:.2f}s, "
              f"{flops / t_mm / 1e9:.1f} GFLOP/s  → iwae/mm = {t_before / t_mm:.2f}×")

        print("\nchunk sweep, bounds.iwae (fused Bernoulli path):")
        results = {}
        for chunk in sorted({32, 128, auto, 1024, 2048}):
            torch.manual_seed(0)
            results[chunk] = timed(lambda: bounds.iwae(model, x, k, chunk_size=chunk))
            print(f"  chunk {chunk:5d}: {results[chunk][0]:.2f}s  "
                  f"{flops / results[chunk][0] / 1e9:.1f} GFLOP/s")
        best = min(results, key=lambda c: results[c][0])
        t_after, L_after = results[best]
        print(f"\nafter (fused, chunk {best}): {t_after:.2f}s, {flops / t_after / 1e9:.1f} GFLOP/s, "
              f"iwae/mm = {t_after / t_mm:.2f}×; before/after = {t_before / t_after:.2f}×")
        torch.manual_seed(0)
        generic = generic_iwae(model, x, k, auto)
        torch.manual_seed(0)
        fused = bounds.iwae(model, x, k, chunk_size=auto)
        print(f"fused vs generic on the same samples: max |Δ L_k| = {(fused - generic).abs().max():.2e}")

        t_exact, (log_px, err) = timed(lambda: bounds.exact_log_marginal(model, x, return_error=True), 1)
        gap = log_px - L_after
        print(f"\nexact log p(x) by quadrature: {t_exact:.2f}s for {B} points; mean log p(x) = "
              f"{log_px.mean():.3f}, mean L_{k} = {L_after.mean():.3f}, "
              f"log p − L_k: mean {gap.mean():.4f}, min {gap.min():.4f}, max {gap.max():.4f}; "
              f"max quadrature error estimate {err.max():.4f}")
        # L_k ≤ log p(x) holds in expectation only: Markov gives P(L_k ≥ log p + t) ≤ e^−t,
        # and an encoder narrower than the posterior makes the weights heavy-tailed.
        print(f"points with L_k > log p(x): {(gap < 0).sum()} of {B} (allowed: L_k is a "
              "stochastic lower bound; P(L_k ≥ log p + t) ≤ e^−t)")


if __name__ == "__main__":
    main()
