"""The β family and the rate–distortion view (Alemi et al. 2018): which runs belong to a
sweep, R and D from their evals (so −ELBO = D + R), active units, the figures, the page."""
import math
from types import SimpleNamespace

import pytest

from explorer.plots.rate_distortion import collapse_figure, rate_distortion_figure
from trainer import RunSpec, families

from .apptest_helpers import app, figures, trained_run


def _record(spec, status="done"):
    return SimpleNamespace(spec=spec, status=status, run_id=spec.run_id)


def test_beta_table_takes_only_runs_differing_in_beta():
    base = RunSpec(dataset="digits", latent_dim=3, hidden=(16,))
    sweep = families.beta_specs(base)
    assert [s.beta for s in sweep] == list(families.BETA_GRID)
    assert len({s.run_id for s in sweep}) == len(sweep)
    others = [base.model_copy(update={"seed": 3}),
              RunSpec(model="vqvae", dataset="digits", latent_dim=3)]  # deterministic q: no β
    records = [_record(s) for s in sweep[:3]] + [_record(sweep[3], "running")]
    records += [_record(s) for s in others]
    evals = {r.run_id: {"test_kl": {"value": [9.0, 10.0 / r.spec.beta]},
                        "test_reconstruction": {"value": [-200.0, -100.0 - r.spec.beta]},
                        "test_elbo": {"value": [-100.0 - r.spec.beta - 10.0 / r.spec.beta]}}
             for r in records if hasattr(r.spec, "beta")}
    kl = {s.run_id: [0.5, 0.001, 0.02 if s.beta < 1 else 0.0] for s in sweep}
    rows = families.rate_distortion_table(base, records, evals.__getitem__, kl.__getitem__)
    assert [r["beta"] for r in rows] == [0.25, 0.5, 1.0]
    for r in rows:
        assert r["rate"] == pytest.approx(10.0 / r["beta"])  # the last recorded value
        assert r["distortion"] == pytest.approx(100.0 + r["beta"])
        assert r["elbo"] == pytest.approx(-(r["rate"] + r["distortion"]))  # −ELBO = D + R
    assert [r["active_units"] for r in rows] == [2, 2, 1]
    assert not families.same_except_beta(others[1], others[1])


def test_figures_draw_each_run_and_its_iso_elbo_line():
    rows = [dict(beta=b, rate=r, distortion=d, elbo=-(r + d), active_units=a, latent_dim=4)
            for b, r, d, a in [(0.5, 20.0, 90.0, 4), (1.0, 12.0, 95.0, 3), (4.0, 2.0, 120.0, 0)]]
    fig = rate_distortion_figure(rows, current=1.0)
    lines = [t for t in fig.data if t.mode == "lines"]
    assert len(lines) == 3
    for line, row in zip(lines, rows):
        c = row["rate"] + row["distortion"]
        assert list(line.x) == [0.0, c] and list(line.y) == [c, 0.0]  # D + R = −ELBO
    runs = fig.data[-1]
    assert list(runs.x) == [20.0, 12.0, 2.0] and list(runs.marker.size) == [10, 16, 10]
    collapse = collapse_figure(rows)
    assert list(collapse.data[0].y) == [4, 3, 0]
    assert collapse.layout.xaxis.type == "log"


def test_page_hint_without_runs_then_the_sweep_of_two_trained_runs():
    at = app("app_pages/rate_distortion.py")
    assert not at.exception
    assert any("No runs yet" in i.value for i in at.info)
    base = dict(latent_dim=3, hidden=(16,), epochs=1, bounds_every=0)
    trained_run(**base, beta=1.0)
    trained_run(**base, beta=4.0)
    at = app("app_pages/rate_distortion.py")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["β"]) == [1.0, 4.0]
    assert all(math.isfinite(v) for v in table["rate R (nats)"])
    titles = [f["layout"]["title"]["text"] for f in figures(at)]
    assert any("Rate against distortion" in t for t in titles)
    assert any("Posterior collapse" in t for t in titles)
