"""Training cost of each latent kind against the Gaussian VAE, same data and network.

One training run per kind through trainer.loop.train_run (store writes and per-epoch test
evaluation included; bound tracking off so only the model differs), reporting seconds per
epoch and the ratio to a Gaussian d = 20 run measured in the same process.

    python bench/discrete_throughput.py [--epochs 3] [--threads 1] [--rounds 3]
"""
import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from explorer import data  # noqa: E402
from train_throughput import our_loop  # noqa: E402
from trainer import RunSpec  # noqa: E402

KINDS = {
    "gaussian d=20": dict(model="gaussian", latent_dim=20),
    "categorical 20×10 gumbel": dict(model="categorical", latent_dim=20, n_categories=10),
    "categorical 20×10 ST": dict(model="categorical", latent_dim=20, n_categories=10,
                                 estimator="st_gumbel_softmax"),
    "dvae 32 bits": dict(model="dvae", latent_dim=32),
    "dvae++ 32 bits": dict(model="dvae", latent_dim=32, smoothing="overlapping_exponential"),
    "vqvae 8×64 loss": dict(model="vqvae", latent_dim=8, n_categories=64),
    "vqvae 8×64 ema": dict(model="vqvae", latent_dim=8, n_categories=64, codebook_update="ema"),
}


def seconds_per_epoch(spec: RunSpec) -> tuple[float, float]:
    """(seconds per epoch, test ELBO) of one run through train_run."""
    speed, elbo = our_loop(spec)
    return len(data.load(spec.dataset, "train")[0]) / speed, elbo


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    times = {name: [] for name in KINDS}
    elbo = {}
    for r in range(args.rounds):  # interleaved rounds: machine noise hits every kind alike
        for name, fields in KINDS.items():
            spec = RunSpec(epochs=args.epochs, bounds_every=0, seed=r, **fields)
            seconds, elbo[name] = seconds_per_epoch(spec)
            times[name].append(seconds)
    base = statistics.median(times["gaussian d=20"])
    print(f"mnist5k, 784-400-400, batch 128, {args.epochs} epochs, {args.threads} thread(s), "
          f"median of {args.rounds} rounds")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"  {name:28s} {med:6.2f} s/epoch   {med / base:5.2f}× gaussian   "
              f"test ELBO {elbo[name]:8.2f} (last round)")


if __name__ == "__main__":
    main()
