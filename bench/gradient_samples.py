"""Per-sample encoder gradients: torch.func (vmap over the noise) vs a loop of backward().

1,000 single-sample estimates of ∇_φ ELBO(x) for the default VAE (784-400-400-2, untrained
unless --epochs > 0) at one mnist5k test point, per method (reparam, reinforce); both
implementations run in the same process on the same noise and must agree.

    python bench/gradient_samples.py [--n 1000] [--epochs 0] [--threads N] [--repeats 3]
"""
import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from explorer import data  # noqa: E402
from explorer.estimators.encoder_gradients import (encoder_gradient_samples,
                                                   encoder_gradient_samples_loop)
from trainer import RunSpec, build_model  # noqa: E402


def best_time(fn, repeats):
    """Fastest of `repeats` runs (seconds) and the last result."""
    times, out = [], None
    for _ in range(repeats):
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
            z = q.rsample()
            kl = (0.5 * (q.mean**2 + q.variance - 1) - torch.log(q.stddev)).sum(-1)
            loss = -(model.decode(z).log_prob(batch) - kl).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=0)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = build_model(RunSpec())
    if args.epochs:
        train(model, args.epochs)
    x = data.load("mnist5k", "test")[0][0]
    n_params = sum(p.numel() for p in model.encoder.parameters())
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; encoder parameters "
          f"{n_params:,}; n = {args.n}; output {4 * n_params * args.n / 1e9:.2f} GB per method")
    for method in ("reparam", "reinforce"):
        t_vec, fast = best_time(lambda: encoder_gradient_samples(model, x, method, args.n, seed=1),
                                args.repeats)
        t_loop, slow = best_time(lambda: encoder_gradient_samples_loop(model, x, method, args.n, seed=1),
                                 args.repeats)
        err = max(float(((fast[k] - slow[k]).abs().max() / slow[k].abs().max().clamp_min(1e-30)))
                  for k in fast)
        print(f"{method:10s} torch.func {t_vec:7.3f} s   loop {t_loop:7.3f} s   "
              f"speed-up {t_loop / t_vec:5.1f}x   max rel. difference {err:.1e}")
        del fast, slow


if __name__ == "__main__":
    main()
