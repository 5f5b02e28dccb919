"""AppTest of the VQ-VAE codebook page: renders for loss and EMA runs, the URL picks the test
image and the hand edit, the edited picture is the decoder's, and the β_c button submits the
five-run family whose final numbers the comparison figure draws."""
import base64
import io

import numpy as np
import torch
from PIL import Image

from explorer import data
from trainer import RunStore, default_store_dir, load_model
from trainer.loop import train_run

from .apptest_helpers import app, array, figures, titles, trained_run

PAGE = "app_pages/vq_codebook.py"
VQ = dict(model="vqvae", latent_dim=3, n_categories=16, code_dim=4)


def _figure(at, word: str) -> dict:
    return next(f for f, t in zip(figures(at), titles(at)) if word in t)


def _pixels(fig: dict) -> np.ndarray:
    """The grey channel of a go.Image figure's PNG, NaN where transparent."""
    uri = fig["data"][0]["source"]
    la = np.asarray(Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1]))))
    return np.where(la[..., 1] == 0, np.nan, la[..., 0].astype(float))


def test_no_vq_run_shows_the_hint():
    at = app(PAGE)
    assert any("No runs" in i.value and "vqvae" in i.value for i in at.info)
    assert not figures(at)


def test_loss_run_url_picks_the_image_and_the_edit():
    run_id = trained_run(**VQ)
    at = app(PAGE, run=run_id, point="5", vq_n="2", vq_k="7")
    assert at.number_input(key="point").value == 5
    assert (at.number_input(key="vq_n").value, at.number_input(key="vq_k").value) == (2, 7)
    assert len(at.latex) == 2  # (∗∗) and the straight-through gradient, no EMA equations
    model = load_model(run_id, RunStore(default_store_dir()))
    x = data.load("digits", "test")[0]
    with torch.no_grad():
        codes = model.codes(x[5:6])[0]
    assert any(str(tuple(codes.tolist())) in m.value for m in at.markdown)
    # the third picture is the decoder mean with position 2 set to code 7
    onehot = torch.nn.functional.one_hot(codes, 16).float()
    onehot[1] = 0.0
    onehot[1, 7] = 1.0
    with torch.no_grad():
        expected = model.decode(onehot).mean.reshape(8, 8).numpy()
    edit = _figure(at, "Hand-edited code")
    assert "n = 2 set to code k = 7" in edit["layout"]["title"]["text"]
    tiles = _pixels(edit)
    np.testing.assert_allclose(tiles[:, 18:26], np.round(expected * 255), atol=1)
    np.testing.assert_allclose(tiles[:, 0:8], np.round(x[5].reshape(8, 8).numpy() * 255), atol=1)
    # another code changes the edited picture and only it
    at.number_input(key="vq_k").set_value(3).run()
    assert not at.exception and at.number_input(key="vq_k").value == 3
    again = _pixels(_figure(at, "Hand-edited code"))
    assert np.array_equal(again[:, :17], tiles[:, :17], equal_nan=True)
    assert not np.allclose(again[:, 18:26], tiles[:, 18:26])
    # the usage bars count all 360 × 3 codes; one position shows 360 encoder outputs
    bars = _figure(at, "Code usage")
    assert sum(array(bars["data"][0]["y"])) == 360 * 3
    assert len(array(_figure(at, "Encoder outputs")["data"][0]["x"])) == 360 * 3
    at.selectbox(key="vq_position").set_value("2").run()
    proj = _figure(at, "Encoder outputs")
    assert len(array(proj["data"][0]["x"])) == 360 and "position n = 2" in proj["layout"]["title"]["text"]


def test_ema_run_renders_with_the_ema_update():
    run_id = trained_run(codebook_update="ema", ema_decay=0.9, **VQ)
    at = app(PAGE, run=run_id)
    assert len(at.latex) == 3
    assert any("EMA" in c.value for c in at.caption)
    for word in ("Encoder outputs", "Code usage", "Hand-edited", "Code perplexity"):
        assert any(word in t for t in titles(at)), word


class InProcessExecutor:
    """Trains each submitted spec at once in this process (dedupes like LocalExecutor)."""

    def __init__(self):
        self.store, self.submitted = RunStore(default_store_dir()), []

    def submit(self, spec):
        self.submitted.append(spec)
        rec, created = self.store.create(spec)
        if created:
            self.store.claim(rec.run_id)
            assert train_run(self.store, rec.run_id) == "done"
        return self.store.get(rec.run_id)


def test_commitment_button_trains_the_family_and_compares_it(monkeypatch):
    run_id = trained_run(**VQ)
    at = app(PAGE, run=run_id)
    assert not any("Runs that differ only in β_c" in t for t in titles(at))
    executor = InProcessExecutor()
    monkeypatch.setattr("ui.state.get_executor", lambda: executor)
    at.button(key="train_commitment").click().run()
    assert not at.exception
    assert [s.commitment for s in executor.submitted] == [0.0, 0.05, 0.25, 1.0, 2.0]
    store = RunStore(default_store_dir())
    runs = {r.spec.commitment: r for r in store.list()}
    assert sorted(runs) == [0.0, 0.05, 0.25, 1.0, 2.0] and runs[0.25].run_id == run_id
    base = store.get(run_id).spec.model_dump()
    for r in runs.values():  # same spec and seed, only β_c differs
        assert {k for k, v in r.spec.model_dump().items() if base[k] != v} <= {"commitment"}
    effect = _figure(at, "Runs that differ only in β_c")
    assert array(effect["data"][0]["x"]) == ["0", "0.05", "0.25", "1", "2"]
    perplexity = [store.evals(runs[b].run_id)["test_perplexity"]["value"][-1] for b in sorted(runs)]
    np.testing.assert_allclose(array(effect["data"][1]["y"]), perplexity)
    assert "What these runs show" in " ".join(m.value for m in at.markdown)
    slider = at.select_slider(key="vq_beta_view")
    assert list(slider.options) == ["0.0", "0.05", "0.25", "1.0", "2.0"] and slider.value == 0.25
    slider.set_value(2.0).run()
    assert not at.exception
    assert f"run {runs[2.0].run_id}, β_c = 2" in _figure(at, "Encoder outputs")["layout"]["title"]["text"]
