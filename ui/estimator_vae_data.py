"""Cached encoder-gradient statistics and run families for the estimators-on-a-VAE page."""
from __future__ import annotations

import time

import numpy as np
import streamlit as st
import torch

from explorer import data
from explorer.estimators import encoder_gradient_samples
from trainer import RunSpec

from ui.latent_data import model_for

METHODS = {
    "reparam": dict(method="reparam"),
    "reinforce": dict(method="reinforce"),
    "reparam (S=2)": dict(method="reparam", samples_per_estimate=2),
    "reinforce + loo baseline (S=2)": dict(method="reinforce", baseline="loo", samples_per_estimate=2),
}


@st.cache_data(max_entries=32, show_spinner="Sampling per-example encoder gradients (torch.func)…")
def encoder_noise(run_id: str, epoch: int, dataset: str, index: int, n: int) -> dict:
    """Per estimator: mean gradient variance over encoder weights, median SNR, SNRs, time."""
    model = model_for(run_id, epoch)
    x = data.load(dataset, "test")[0][index : index + 1]
    out = {}
    for name, options in METHODS.items():
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            t0 = time.perf_counter()
            grads = encoder_gradient_samples(model, x, n=n, **options)
            seconds = time.perf_counter() - t0
        flat = torch.cat([g.reshape(n, -1) for g in grads.values()], dim=1).double()
        mean, std = flat.mean(0), flat.std(0)
        # Weights fed by always-zero pixels get exactly zero gradient under every estimator;
        # their 0/0 "SNR" would swamp the median, so only coordinates with noise count.
        live = std > 0
        snr = (mean[live].abs() / std[live]).numpy()
        out[name] = {"mean variance": float(std.pow(2).mean()), "median SNR": float(np.median(snr)),
                     "seconds": seconds, "snr": snr}
    return out


def _key(spec: RunSpec) -> dict:
    d = spec.canonical()
    d.pop("estimator")
    d.pop("n_samples")
    return d


def same_except_estimator(a: RunSpec, b: RunSpec) -> bool:
    return _key(a) == _key(b)


def estimator_family(spec: RunSpec) -> list[RunSpec]:
    """The spec trained with each estimator, all with the same S ≥ 2 samples per point."""
    s = max(2, spec.n_samples)
    return [spec.model_copy(update={"estimator": e, "n_samples": s})
            for e in ("reparam", "reinforce", "reinforce_loo")]
