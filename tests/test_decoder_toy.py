"""Decoder power on bars and stripes (trainer.decoder_toy): the pair of runs, the sentence
from their numbers, the figure, and the Rate and distortion page's section."""
import math
from types import SimpleNamespace

import numpy as np

from explorer.data import bars_stripes
from explorer.plots.rate_distortion import decoder_toy_figure
from trainer import decoder_toy, families

from .apptest_helpers import app, figures, trained_run


def test_the_pair_differs_only_in_the_decoder():
    mlp, made = decoder_toy.toy_specs()
    assert (mlp.decoder, made.decoder) == ("mlp", "made") and made.decoder_hidden == (128, 128)
    assert families.same_except_decoder(mlp, made) and mlp.run_id != made.run_id
    assert mlp.dataset == made.dataset == "bars_stripes" and mlp.latent_dim == 2
    assert mlp.run_id == decoder_toy.base_spec().run_id  # the MLP mirrors the encoder


def _rows():
    return [dict(decoder="MLP 128-128", run_id="a", rate=3.8, distortion=4.1, elbo=-7.9,
                 active_units=2, latent_dim=2, autoregressive=False, beta=1.0),
            dict(decoder="MADE 128-128", run_id="b", rate=0.75, distortion=6.1, elbo=-6.85,
                 active_units=1, latent_dim=2, autoregressive=True, beta=1.0)]


def test_summary_and_figure_follow_the_numbers():
    truth = decoder_toy.data_log_likelihood()
    assert abs(truth + bars_stripes.entropy()) < 0.15  # the test mean estimates −H
    text = decoder_toy.toy_summary(_rows(), truth)
    assert "R = 3.80" in text and "R = 0.75" in text and f"{truth:.2f}" in text
    assert "cuts the rate by 3.05 nats" in text
    assert "cuts" not in decoder_toy.toy_summary(_rows()[::-1][:1], truth)
    fig = decoder_toy_figure(_rows(), truth, decoder_toy.REFERENCES)
    assert list(fig.data[0].y) == [3.8, 0.75] and list(fig.data[1].y) == [-7.9, -6.85]
    lines = sorted(round(s.y0, 6) for s in fig.layout.shapes)  # log 2, log 32 and −H
    assert lines == sorted(round(v, 6) for v in (math.log(2), math.log(32), truth))


def test_section_trains_the_pair_and_draws_it(monkeypatch):
    short = decoder_toy.base_spec
    monkeypatch.setattr(decoder_toy, "base_spec", lambda epochs=2, seed=0: short(epochs, seed))
    trained_run(latent_dim=2, epochs=1, bounds_every=0)  # the page's base run
    at = app("app_pages/rate_distortion.py")
    assert not at.exception
    assert any("No finished run of the pair" in i.value for i in at.info)
    mlp, made = decoder_toy.toy_specs()
    fields = dict(dataset="bars_stripes", latent_dim=2, hidden=(128, 128), epochs=2)
    assert trained_run(**fields) == mlp.run_id
    assert trained_run(**fields, decoder="made", decoder_hidden=(128, 128)) == made.run_id
    at = app("app_pages/rate_distortion.py")
    assert not at.exception
    table = next(d.value for d in at.dataframe if "MADE 128-128" in list(d.value.get("decoder", [])))
    assert list(table["decoder"]) == ["MLP 128-128", "MADE 128-128"]
    titles = [f["layout"]["title"]["text"] for f in figures(at)]
    assert any(t.startswith("Bars and stripes: what z carries") for t in titles)
    maps = [f for f in figures(at)
            if "by orientation" in f["layout"]["title"]["text"].replace("<br>", " ")]
    assert len(maps) == 2
    assert {t["name"] for t in maps[0]["data"] if t.get("name")} >= {"bars", "stripes"}
    assert any("cuts the rate" in m.value or "spends R" in m.value for m in at.markdown)


def test_orientation_accuracy_is_chance_for_a_code_that_ignores_x():
    """μ drawn independently of x: 5-NN reads the orientation at chance, within 4 SE of ½."""
    import torch
    from torch.distributions import Independent, Normal

    class Blind(torch.nn.Module):
        latent_dim = 2
        noise = torch.Generator().manual_seed(0)

        def prior(self):
            return Independent(Normal(torch.zeros(2), torch.ones(2)), 1)

        def encode(self, x):
            mu = torch.randn(len(x), 2, generator=self.noise)
            return Independent(Normal(mu, torch.ones(len(x), 2)), 1)

    mu, names, acc = decoder_toy.orientation(Blind())
    assert mu.shape == (1000, 2) and set(names) == {"bars", "stripes"}
    assert abs(acc - 0.5) < 4 * math.sqrt(0.25 / 1000), acc
