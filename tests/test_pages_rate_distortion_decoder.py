"""The decoder sweep of the Rate and distortion page: which runs belong to it, its table with
a "decoder" column (the β table's function with other knobs), the figures and the page."""
import math
from types import SimpleNamespace

from explorer.plots.rate_distortion import decoder_collapse_figure, rate_distortion_figure
from trainer import RunSpec, families

from .apptest_helpers import app, figures, trained_run


def _record(spec, status="done"):
    return SimpleNamespace(spec=spec, status=status, run_id=spec.run_id)


def test_decoder_specs_and_table_keep_everything_but_the_decoder():
    base = RunSpec(dataset="digits", latent_dim=3, hidden=(16,), beta=2.0)
    sweep = families.decoder_specs(base)
    assert [families.decoder_label(s) for s in sweep] == [
        "MLP 64", "MLP 16", "MLP 1024-1024", "MADE 400"]
    assert sweep[1].run_id == base.run_id  # the default decoder is the base run itself
    assert all(s.beta == 2.0 and families.same_except_decoder(s, base) for s in sweep)
    gaussian_pixels = RunSpec(dataset="digits", latent_dim=3, likelihood="gaussian_fixed")
    assert [s.decoder for s in families.decoder_specs(gaussian_pixels)] == ["mlp"] * 3
    assert families.decoder_specs(RunSpec(model="vqvae", dataset="digits")) == []
    other_beta = base.model_copy(update={"beta": 1.0})
    records = [_record(s) for s in reversed(sweep)] + [_record(other_beta)]
    records.append(_record(sweep[0].model_copy(update={"seed": 5}), "done"))
    evals = {r.run_id: {"test_kl": {"value": [float(i)]},
                        "test_reconstruction": {"value": [-100.0 + i]},
                        "test_elbo": {"value": [-100.0]}} for i, r in enumerate(records)}
    kl = {r.run_id: [0.5, 0.0, 0.0] for r in records}
    rows = families.rate_distortion_table(base, records, evals.__getitem__, kl.__getitem__,
                                          knobs=families.DECODER_KNOBS)
    assert [r["decoder"] for r in rows] == ["MLP 16", "MLP 64", "MLP 1024-1024", "MADE 400"]
    assert [r["autoregressive"] for r in rows] == [False, False, False, True]
    for r in rows:
        assert r["elbo"] == -(r["rate"] + r["distortion"])
    beta_rows = families.rate_distortion_table(base, records, evals.__getitem__, kl.__getitem__)
    assert [r["beta"] for r in beta_rows] == [1.0, 2.0] and "decoder" not in beta_rows[0]


def test_decoder_figures_label_the_points_by_decoder():
    rows = [dict(beta=1.0, decoder=n, rate=r, distortion=d, elbo=-(r + d), active_units=a,
                 latent_dim=4, autoregressive=n.startswith("MADE"))
            for n, r, d, a in [("MLP 64", 9.0, 100.0, 4), ("MADE 400", 0.01, 95.0, 0)]]
    fig = rate_distortion_figure(rows, current="MLP 64", label="decoder")
    assert list(fig.data[-1].text) == ["MLP 64", "MADE 400"]
    assert list(fig.data[-1].marker.size) == [16, 10]
    bars = decoder_collapse_figure(rows)
    assert list(bars.data[0].x) == ["MLP 64", "MADE 400"] and list(bars.data[0].y) == [4, 0]


def test_page_draws_the_decoder_section_from_tiny_runs():
    base = dict(latent_dim=3, hidden=(16,), epochs=1, bounds_every=0)
    trained_run(**base)
    trained_run(**base, decoder="made")
    at = app("app_pages/rate_distortion.py")
    assert not at.exception
    assert any("A more powerful decoder" in h.value for h in at.subheader)
    assert any(b.label.startswith("Train the decoders MLP 64") for b in at.button)
    table = at.dataframe[-1].value
    assert list(table["decoder"]) == ["MLP 16", "MADE 16"]
    assert all(math.isfinite(v) for v in table["rate R (nats)"])
    titles = [f["layout"]["title"]["text"] for f in figures(at)]
    assert any("one point per decoder" in t for t in titles)
    assert any("per decoder p(x|z)" in t for t in titles)
    summary = [m.value for m in at.markdown if "What these runs show" in m.value][-1]
    made = table.iloc[-1]
    assert f"{made['rate R (nats)']:.1f}" in summary and "MADE 16" in summary
