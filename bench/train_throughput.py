"""Training throughput: our loop (trainer.loop.train_run, store writes and per-epoch test
evaluation included) against the plain PyTorch reference loop (DataLoader over a
TensorDataset, batch 128, Adam, the classic BCE + KL loss) on the same model and data.

    python bench/train_throughput.py [--epochs 5] [--threads 1]
"""
import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

from explorer import data  # noqa: E402
from trainer import RunSpec, RunStore, build_model  # noqa: E402
from trainer.loop import train_run  # noqa: E402


def reference_loop(spec: RunSpec, x: torch.Tensor, epochs: int) -> float:
    """samples/s of the textbook loop (PyTorch examples, vae/main.py style)."""
    torch.manual_seed(spec.seed)
    model = build_model(spec)
    opt = torch.optim.Adam(model.parameters(), lr=spec.lr)
    loader = DataLoader(TensorDataset(x), batch_size=spec.batch_size, shuffle=True)
    t0 = time.perf_counter()
    for _ in range(epochs):
        for (xb,) in loader:
            h = model.encoder(xb)
            mu, logvar = h.chunk(2, dim=-1)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            logits = model.decoder(z)
            bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, xb, reduction="sum")
            kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            loss = (bce + kld) / len(xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return epochs * len(x) / (time.perf_counter() - t0)


def our_loop(spec: RunSpec) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(tmp)
        rec, _ = store.create(spec)
        store.claim(rec.run_id)
        t0 = time.perf_counter()
        train_run(store, rec.run_id)
        wall = time.perf_counter() - t0
        rec = store.get(rec.run_id)
        n = len(data.load(spec.dataset, "train")[0])
        return spec.epochs * n / wall, rec.test_elbo


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (a worker uses 1)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    spec = RunSpec(dataset="mnist5k", latent_dim=2, hidden=(400, 400), epochs=args.epochs)
    x, _ = data.load(spec.dataset, "train")
    reference_loop(spec, x, 1)  # warm-up
    # Alternate the two loops and take medians: this machine is shared and noisy.
    refs, ours_all = [], []
    for _ in range(args.rounds):
        refs.append(reference_loop(spec, x, args.epochs))
        speed, elbo = our_loop(spec)
        ours_all.append(speed)
    ref, ours = statistics.median(refs), statistics.median(ours_all)
    print(f"model 784-400-400-2, mnist5k train ({len(x)} images), batch 128, Adam, "
          f"{args.epochs} epochs, {torch.get_num_threads()} thread(s), median of {args.rounds} rounds")
    print(f"reference loop (DataLoader): {ref:9.0f} samples/s")
    print(f"our loop (train_run):        {ours:9.0f} samples/s   test ELBO {elbo:.2f}")
    print(f"ratio ours/reference:        {ours / ref:9.2f}")


if __name__ == "__main__":
    main()
