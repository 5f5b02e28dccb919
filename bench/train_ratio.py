"""The CLI's default run against the plain PyTorch loop, in one process (issue 11 §5).

Times, on the CLI's default 2-D mnist5k spec (784-400-400-2, batch 128, Adam, 30 epochs,
bound tracking on), one torch thread everywhere:
  (i)   the plain loop (PyTorch examples' vae/main.py: DataLoader, BCE + KL) in-process, and
        the same loop as a fresh `python` process (start-up and data loading included);
  (ii)  `python -m trainer train` end to end as a subprocess, into a temporary store;
  (iii) trainer.loop.train_run in-process (store writes, test evaluation, bounds included).
This machine is shared, so beside wall seconds it prints CPU seconds (user + system of
this process or of the child), which other processes' load disturbs far less.

    python bench/train_ratio.py [--epochs 30] [--rounds 1]
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def plain_loop(epochs: int, seed: int = 0) -> tuple[float, float]:
    """Wall and CPU seconds of the textbook loop on the default spec's model (data loaded)."""
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from explorer import data
    from trainer import RunSpec, build_model

    spec = RunSpec(epochs=epochs, seed=seed)
    x, _ = data.load(spec.dataset, "train")
    torch.manual_seed(spec.seed)
    model = build_model(spec)
    opt = torch.optim.Adam(model.parameters(), lr=spec.lr)
    loader = DataLoader(TensorDataset(x), batch_size=spec.batch_size, shuffle=True)
    t0, c0 = time.perf_counter(), time.process_time()
    for _ in range(epochs):
        for (xb,) in loader:
            mu, logvar = model.encoder(xb).chunk(2, dim=-1)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            logits = model.decoder(z)
            bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, xb, reduction="sum")
            kld = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
            loss = (bce + kld) / len(xb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return time.perf_counter() - t0, time.process_time() - c0


def in_process_run(epochs: int) -> tuple[float, float, float]:
    """Wall and CPU seconds and test ELBO of train_run on the default spec (temporary store)."""
    from trainer import RunSpec, RunStore
    from trainer.loop import train_run

    with tempfile.TemporaryDirectory() as tmp:
        store = RunStore(tmp)
        rec, _ = store.create(RunSpec(epochs=epochs))
        store.claim(rec.run_id)
        t0, c0 = time.perf_counter(), time.process_time()
        train_run(store, rec.run_id)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        return wall, cpu, store.get(rec.run_id).test_elbo


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def subprocess_seconds(args: list[str], env: dict) -> tuple[float, float, str]:
    """Wall and CPU seconds of a fresh Python process, and its stdout."""
    t0, c0 = time.perf_counter(), child_cpu()
    out = subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return time.perf_counter() - t0, child_cpu() - c0, out.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds; medians")
    parser.add_argument("--plain-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    if args.plain_only:  # the plain loop as its own process: imports and data included
        plain_loop(args.epochs)
        return
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    plain_loop(1)  # warm-up (and the data cache)
    rows = {k: [] for k in ("plain", "plain_proc", "cli", "run")}
    elbo = cli_elbo = None
    for _ in range(args.rounds):
        rows["plain"].append(plain_loop(args.epochs))
        rows["plain_proc"].append(subprocess_seconds(
            [__file__, "--plain-only", "--epochs", str(args.epochs)], env)[:2])
        with tempfile.TemporaryDirectory() as tmp:
            *seconds, out = subprocess_seconds(
                ["-m", "trainer", "train", "--epochs", str(args.epochs), "--quiet",
                 "--store", tmp], env)
            rows["cli"].append(seconds)
            cli_elbo = json.loads(out.strip().splitlines()[-1])["test_elbo"]
        *seconds, elbo = in_process_run(args.epochs)
        rows["run"].append(seconds)
    wall = {k: statistics.median(w for w, _ in v) for k, v in rows.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in rows.items()}
    load = os.getloadavg()
    print(f"default spec: mnist5k 784-400-400-2, batch 128, Adam, {args.epochs} epochs, bounds "
          f"every 10 epochs; 1 thread; median of {args.rounds}; load avg {load[0]:.2f} "
          f"{load[1]:.2f} on {os.cpu_count()} cores")
    print("                                         wall s    CPU s   ratio wall / CPU")
    lines = [("(i)   plain loop, in-process", "plain", None),
             ("(i')  plain loop, whole process", "plain_proc", None),
             ("(ii)  python -m trainer train", "cli", "plain_proc"),
             ("(iii) train_run, in-process", "run", "plain")]
    for label, key, ref in lines:
        ratio = (f"   {wall[key] / wall[ref]:5.2f} / {cpu[key] / cpu[ref]:5.2f} to "
                 f"{label_of(lines, ref)}" if ref else "")
        print(f"{label:38s} {wall[key]:8.2f} {cpu[key]:8.2f}{ratio}")
    print(f"test ELBO: CLI {cli_elbo:.2f}, train_run {elbo:.2f}")


def label_of(lines, key):
    return next(label.split()[0] for label, k, _ in lines if k == key)

if __name__ == "__main__":
    main()
