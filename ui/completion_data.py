"""Cached digit-completion results for the "Top half of a digit" page (keys are plain values;
explorer.toys.completion does the work)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from explorer import data
from explorer.toys import completion

from trainer.checkpoints import build_model
from ui.latent_data import model_for
from ui.state import get_store


def first_index_of(dataset: str, label: int) -> int:
    """The first test image with `label`, or 0 when the data set has no labels or none match."""
    y = data.load(dataset, "test")[1]
    hits = [] if y is None else np.flatnonzero(y.numpy() == label)
    return int(hits[0]) if len(hits) else 0


def test_image(dataset: str, index: int) -> tuple[np.ndarray, np.ndarray, int | None]:
    """The grey-level test image, its binary version and its label (None without labels)."""
    x, y = data.load(dataset, "test")
    return (x[index].numpy(), completion.binarize(x[index]).numpy(),
            None if y is None else int(y[index]))


def hidden_mask(image_shape: tuple[int, int]) -> np.ndarray:
    return completion.top_half_mask(tuple(image_shape)).numpy()


@st.cache_resource(max_entries=8)
def initial_model(run_id: str, store_root: str):
    """The run's model before its first step (the store keeps only its latest checkpoint)."""
    spec = get_store().get(run_id).spec
    x_train = data.load(spec.dataset, "train")[0]
    return completion.seeded_initial_model(lambda: build_model(spec), x_train, spec.seed)


@st.cache_data(max_entries=32, show_spinner=False)
def questions(run_id: str, epoch: int, dataset: str, index: int, k: int, steps: int,
              n_samples: int, lr: float, seed: int = 0, _progress=None) -> dict:
    """explorer.toys.completion.three_questions at checkpoint `epoch` (0: the untrained model),
    as numpy; `_progress(fraction, text)` is told each SVI step (not part of the cache key)."""
    model = (initial_model(run_id, str(get_store().root)) if epoch == 0
             else model_for(run_id, epoch))
    x = data.load(dataset, "test")[0][index]
    shape = data.info(dataset).image_shape
    every = max(1, steps // 50)

    def tell(step, elbo):
        if _progress is not None and (step + 1) % every == 0:
            _progress((step + 1) / steps, f"SVI step {step + 1} of {steps} · ELBO ≈ {elbo:.1f}")

    return completion.three_questions(model, completion.binarize(x), completion.top_half_mask(shape),
                                      k=k, steps=steps, lr=lr, n_samples=n_samples, seed=seed,
                                      callback=tell)


def table(result: dict) -> pd.DataFrame:
    """The answers as a table: ELBO ± SE, its gap to the estimate of log p(x), and H(q)."""
    rows = [{"q(z; φ)": r["q"], "ELBO (nats)": r["elbo"], "± SE": r["se"],
             "log p(x) − ELBO": result["log_px"] - r["elbo"], "H(q)": r["entropy"]}
            for r in result["rows"]]
    rows.append({"q(z; φ)": "log p(x) of the bottom half alone (IWAE)", "ELBO (nats)": result["log_px"],
                 "± SE": np.nan, "log p(x) − ELBO": 0.0, "H(q)": np.nan})
    return pd.DataFrame(rows)


def early_vs_late_sentence(early: dict, late: dict, epoch: int) -> str:
    """One sentence from the numbers: how much of the true top half each fitted φ recovers."""
    p0, p1 = early["log_joint_truth"] - early["log_px"], late["log_joint_truth"] - late["log_px"]
    verdict = ("so early in training even the best mean-field q cannot complete the digit"
               if early["ink_recall"] < late["ink_recall"] else
               "so here the untrained model completes the digit no worse")
    return (f"Fitted at epoch 0, φ > ½ covers {early['ink_recall']:.0%} of the true top half's ink "
            f"pixels, against {late['ink_recall']:.0%} at epoch {epoch}; the true top half has "
            f"log p(z | x) ≈ {p0:.0f} nats under the untrained model and {p1:.0f} after training — "
            f"{verdict}.")
