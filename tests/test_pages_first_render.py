"""Issue 12, alive at first start: the Bound ladder and Top half of a digit pages draw their
cheap parts and a progress bar on the first run while the expensive numbers are computed in
the background (ui/background.py), then the numbers — the same ones a direct call gives."""
import threading

import numpy as np

from explorer import data
from explorer.bounds import sweeps
from explorer.toys import completion
from trainer import RunStore, default_store_dir
from trainer.checkpoints import load_model
from ui.background import page_jobs
from ui.completion_data import first_index_of

from .apptest_helpers import app, array, figures, settled, titles, trained_run


def hold_queue() -> threading.Event:
    """Keep the page-job thread busy until the event is set, so the page's job must wait."""
    release = threading.Event()
    page_jobs().submit(("hold", object()), lambda report: release.wait(60))
    return release


def bars(at) -> list[str]:
    return [p.proto.text for p in at.get("progress")]


def test_bound_ladder_first_shows_the_scatter_and_progress_then_the_direct_ladder():
    run_id = trained_run(latent_dim=2, bounds_every=0)
    release = hold_queue()
    try:
        at = app("app_pages/bound_ladder.py", settle=False, run=run_id, point="3")
        assert not at.exception and not at.error
        assert any(t.startswith("Click a test point") for t in titles(at))  # the scatter
        assert not any("L_k for test point" in t for t in titles(at))
        assert any(b.startswith("Bounds for test point 3") for b in bars(at)), bars(at)
        assert at.select_slider(key="k").value == 100 and at.slider(key="alpha").value == 0.5
    finally:
        release.set()
    settled(at, -1)
    assert not bars(at)
    ladder = next(f for f in figures(at) if "L_k for test point 3" in f["layout"]["title"]["text"])
    model = load_model(run_id, RunStore(default_store_dir()))
    direct = sweeps.bound_ladder(model, data.load("digits", "test")[0][3])
    assert np.array_equal(array(ladder["data"][0]["y"]), direct["mean"])  # the same numbers
    assert any("Exact posterior" in t for t in titles(at)) and any("L_α" in t for t in titles(at))
    assert "ESS of the weights" in [m.label for m in at.metric]


def test_digit_completion_first_shows_the_image_and_progress_then_both_fits():
    run_id = trained_run(latent_dim=2, epochs=2, bounds_every=0)
    release = hold_queue()
    try:
        at = app("app_pages/digit_completion.py", settle=False, run=run_id, steps="50", s="8",
                 k="1")
        assert not at.exception and not at.error
        assert any(t.startswith("Test image") for t in titles(at)) and not at.dataframe
        assert bars(at) == ["Fitting q by SVI at epoch 2", "Fitting q by SVI at epoch 0"]
    finally:
        release.set()
    settled(at, -1)
    assert not bars(at) and at.dataframe[0].value.shape[0] == 5
    assert any("Fitted φ at epoch 0" in t for t in titles(at))
    x = data.load("digits", "test")[0][first_index_of("digits", 9)]
    direct = completion.three_questions(
        load_model(run_id, RunStore(default_store_dir())), completion.binarize(x),
        completion.top_half_mask((8, 8)), k=1, steps=50, lr=0.3, n_samples=8)
    shown = at.dataframe[0].value["ELBO (nats)"].tolist()
    assert shown == [r["elbo"] for r in direct["rows"]] + [direct["log_px"]]  # the same numbers
