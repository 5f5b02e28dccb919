"""Memoised digit-completion results for the "Top half of a digit" page (keys are plain values;
explorer.toys.completion does the work)."""
from __future__ import annotations

import numpy as np
import pandas as pd

from explorer import data
from explorer.toys import completion

from trainer.checkpoints import build_model
from ui.background import result_or_progress
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


def initial_model(spec):
    """The run's model before its first step (the store keeps only its latest checkpoint).
    Built inside the fit's job: seeding torch's global RNG on the script thread would reseed
    the stream of a fit running in the background."""
    x_train = data.load(spec.dataset, "train")[0]
    return completion.seeded_initial_model(lambda: build_model(spec), x_train, spec.seed)


def questions_view(run_id: str, epoch: int, dataset: str, index: int, k: int, steps: int,
                   n_samples: int, lr: float, seed: int = 0) -> dict | None:
    """explorer.toys.completion.three_questions at checkpoint `epoch` (0: the untrained model),
    fitted in the background (ui.background); None and a progress bar over the SVI steps
    until it is done."""
    trained = model_for(run_id, epoch) if epoch else None
    spec = get_store().get(run_id).spec
    x = completion.binarize(data.load(dataset, "test")[0][index])
    mask = completion.top_half_mask(data.info(dataset).image_shape)
    every = max(1, steps // 50)

    def work(report):
        model = trained if epoch else initial_model(spec)

        def tell(step, elbo):
            if (step + 1) % every == 0:
                report((step + 1) / steps, f"SVI step {step + 1} of {steps} · ELBO ≈ {elbo:.1f}")

        return completion.three_questions(model, x, mask, k=k, steps=steps, lr=lr,
                                          n_samples=n_samples, seed=seed, callback=tell)

    return result_or_progress("completion_early" if epoch == 0 else "completion",
                              (run_id, epoch, dataset, index, k, steps, n_samples, lr, seed),
                              work, f"Fitting q by SVI at epoch {epoch}")


def table(result: dict) -> pd.DataFrame:
    """The answers as a table: ELBO ± SE, its gap to the estimate of log p(x), and H(q)."""
    rows = [{"q(z; φ)": r["q"], "ELBO (nats)": r["elbo"], "± SE": r["se"],
             "log p(x) − ELBO": result["log_px"] - r["elbo"], "H(q)": r["entropy"]}
            for r in result["rows"]]
    rows.append({"q(z; φ)": "log p(x) of the bottom half alone (IWAE)", "ELBO (nats)": result["log_px"],
                 "± SE": np.nan, "log p(x) − ELBO": 0.0, "H(q)": np.nan})
    return pd.DataFrame(rows)


def early_vs_late_sentence(early: dict, late: dict, epoch: int) -> str:
    """The early-checkpoint comparison in words, every number from the two fits."""
    gap0, gap1 = (r["log_px"] - r["rows"][2]["elbo"] for r in (early, late))
    post0, post1 = (r["log_joint_truth"] - r["log_px"] for r in (early, late))
    text = (f"Fitted at epoch 0, φ > ½ covers {early['ink_recall']:.0%} of the true top half's "
            f"ink pixels, against {late['ink_recall']:.0%} at epoch {epoch}. ")
    if gap0 < gap1:
        text += (f"Yet the epoch-0 q is within {gap0:.1f} nats of that model's own log p(x) "
                 f"({gap1:.1f} at epoch {epoch}): q fits the untrained model's posterior well; "
                 "it is p(x, z; θ) that is far from p_data")
    else:
        text += (f"Its ELBO is {gap0:.1f} nats below that model's log p(x) ({gap1:.1f} at epoch "
                 f"{epoch})")
    return text + (f" — the true top half has log p(z | x) ≈ {post0:.0f} nats under the "
                   f"untrained model and {post1:.0f} after training.")
