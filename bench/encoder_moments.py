"""Encoder-gradient moments (the On-a-real-VAE statistics) three ways, in one process:

  loop     — n backward() passes, each estimate's gradient stored (the plain baseline);
  vmap     — torch.func vmap(grad), all n × |φ| per-sample gradients materialised (before);
  moments  — encoder_gradient_moments: one batched backward, per-coordinate mean and
             variance from the Linear layers' δ and a, nothing per-sample stored (after).

For every estimator the page shows, on the default VAE (784-400-400-2, untrained unless
--epochs > 0) at one mnist5k test point, with the same noise; prints seconds, speed-ups
against the loop and the largest relative difference of the variances from the loop's.

    python bench/encoder_moments.py [--n 1000] [--epochs 0] [--threads 1] [--repeats 3]
"""
import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from explorer import data  # noqa: E402
from explorer.estimators.encoder_gradients import (encoder_gradient_moments,  # noqa: E402
                                                   encoder_gradient_samples,
                                                   encoder_gradient_samples_loop)
from explorer.estimators.encoder_snr import ENCODER_VARIANTS  # noqa: E402
from trainer import RunSpec, build_model  # noqa: E402


def best_time(fn, repeats):
    """Fastest of `repeats` runs (seconds) and the last result."""
    times, out = [], None
    for _ in range(repeats):
        out = None  # free the previous result first (the vmap path holds gigabytes)
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def train(model, epochs):
    """A few epochs of plain reparameterised ELBO training, only if asked."""
    x, _ = data.load("mnist5k", "train")
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(epochs):
        for batch in x[torch.randperm(len(x))].split(128):
            q = model.encode(batch)
            kl = (0.5 * (q.mean**2 + q.variance - 1) - torch.log(q.stddev)).sum(-1)
            loss = -(model.decode(q.rsample()).log_prob(batch) - kl).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-vmap", action="store_true", help="skip the materialising path")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = build_model(RunSpec())
    if args.epochs:
        train(model, args.epochs)
    x = data.load("mnist5k", "test")[0][:1]
    n_params = sum(p.numel() for p in model.encoder.parameters())
    load = os.getloadavg()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), load avg "
          f"{load[0]:.2f} on {os.cpu_count()} cores; encoder parameters {n_params:,}; n = "
          f"{args.n}; materialised per-sample gradients {4 * n_params * args.n / 1e9:.2f} GB")
    for name, options in ENCODER_VARIANTS.items():
        t_loop, slow = best_time(lambda: encoder_gradient_samples_loop(
            model, x, n=args.n, seed=1, **options), args.repeats)
        slow_var = {k: g.double().var(0) for k, g in slow.items()}
        del slow
        t_vmap = float("nan")
        if not args.skip_vmap:
            t_vmap, fast = best_time(lambda: encoder_gradient_samples(
                model, x, n=args.n, seed=1, **options), args.repeats)
            del fast
        t_mom, moments = best_time(lambda: encoder_gradient_moments(
            model, x, n=args.n, seed=1, **options), args.repeats)
        err = max(float((moments[k][1] - v).abs().max() / v.abs().max().clamp_min(1e-300))
                  for k, v in slow_var.items())
        print(f"{name:32s} loop {t_loop:6.3f} s  vmap {t_vmap:6.3f} s ({t_loop / t_vmap:4.1f}x)  "
              f"moments {t_mom:6.3f} s ({t_loop / t_mom:5.1f}x loop, {t_vmap / t_mom:5.1f}x vmap)"
              f"  max rel. diff of variances {err:.1e}")


if __name__ == "__main__":
    main()
