"""Downloads in the app: a run as a zip (Train page), the test set's latent codes as CSV
(Latent space), and every figure as PNG and SVG. The buttons are deferred (their data is
made on click), so the tests capture the registered callables and call them."""
import csv
import io
import json
import zipfile

import numpy as np
import pytest
import torch
from streamlit.runtime.media_file_manager import MediaFileManager

from explorer import data
from trainer import RunStore, default_store_dir, load_model
from trainer.archive import import_run
from ui import figures

from .apptest_helpers import app, trained_run


@pytest.fixture
def deferred(monkeypatch):
    """{file_id: (file_name, callable)} of every deferred download the page registered."""
    made = {}
    original = MediaFileManager.add_deferred

    def add_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        file_id = original(self, data_callable, mimetype, coordinates, file_name=file_name, **kwargs)
        made[file_id] = (file_name, data_callable)
        return file_id

    monkeypatch.setattr(MediaFileManager, "add_deferred", add_deferred)
    return made


def download(at, key: str, deferred: dict) -> tuple[str, bytes]:
    """Click the download button `key` the way the browser does: run its callable."""
    button = next(b for b in at.get("download_button") if b.key == key)
    name, make = deferred[button.proto.deferred_file_id]
    return name, make()


def test_run_zip_downloads_and_imports_elsewhere(deferred, tmp_path):
    run_id = trained_run()
    at = app("app_pages/train.py", run=run_id)
    name, content = download(at, "run_download", deferred)
    assert name == f"vae-run-{run_id}.zip"
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        assert {"manifest.json", "spec.json", "metrics.csv", "run/checkpoint.pt"} <= set(zf.namelist())
        assert json.loads(zf.read("manifest.json"))["run_id"] == run_id
    student = RunStore(tmp_path / "student")
    assert import_run(student, io.BytesIO(content))["imported"]
    assert student.get(run_id).test_elbo == RunStore(default_store_dir()).get(run_id).test_elbo


def test_latent_codes_csv_holds_mu_and_sigma_of_every_test_point(deferred):
    run_id = trained_run()
    at = app("app_pages/latent_space.py", run=run_id)
    name, content = download(at, "codes_csv", deferred)
    assert name.startswith(f"latent-codes-{run_id}-epoch") and name.endswith(".csv")
    rows = list(csv.reader(io.StringIO(content.decode())))
    assert rows[0] == ["index", "label", "mu_1", "mu_2", "sigma_1", "sigma_2"]
    x, y = data.load("digits", "test")
    table = np.array(rows[1:], dtype=float)
    assert len(table) == len(x) and table[:, 0].tolist() == list(range(len(x)))
    assert table[:, 1].tolist() == y.tolist()
    with torch.no_grad():  # the oracle: the encoder's Normal q(z|x) itself
        q = load_model(run_id).encode(x).base_dist  # Independent(Normal(μ, σ), 1)
    np.testing.assert_allclose(table[:, 2:4], q.loc.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(table[:, 4:6], q.scale.numpy(), rtol=1e-6, atol=1e-7)


def test_camera_saves_svg_named_after_the_figure():
    run_id = trained_run()
    at = app("app_pages/latent_space.py", run=run_id)
    configs = [json.loads(el.proto.config) for el in at.get("plotly_chart")]
    assert configs and all(c["toImageButtonOptions"]["format"] == "svg" for c in configs)
    assert "latent_scatter" in {c["toImageButtonOptions"]["filename"] for c in configs}
    views = {json.loads(el.proto.json_args)["filename"] for el in at.get("component_instance")}
    assert {"manifold", "one_point", "interpolation", "prior_grid", "traversal"} <= views


def test_every_figure_gets_png_and_svg_buttons_rendered_on_click(deferred, monkeypatch):
    rendered = []

    def fake_render(fig, fmt):
        rendered.append((fig.layout.title.text, fmt))
        return f"{fmt} of {fig.layout.title.text}".encode()

    monkeypatch.setattr(figures, "static_export_available", lambda: True)
    monkeypatch.setattr(figures, "figure_bytes", fake_render)
    run_id = trained_run()
    at = app("app_pages/latent_space.py", run=run_id)
    charts = at.get("plotly_chart")
    buttons = {b.proto.deferred_file_id: b for b in at.get("download_button")}
    names = sorted(deferred[i][0] for i in buttons if deferred[i][0].endswith((".png", ".svg")))
    keys = sorted(json.loads(c.proto.config)["toImageButtonOptions"]["filename"] for c in charts)
    assert names == sorted(f"{k}.{fmt}" for k in keys for fmt in ("png", "svg"))
    assert rendered == []  # nothing rendered by the rerun itself
    png = next(make for name, make in deferred.values() if name == "latent_scatter.png")
    assert png().startswith(b"png of ") and rendered[0][1] == "png"


@pytest.mark.skipif(not figures.static_export_available(),
                    reason="needs kaleido and a Chromium (the static export engine)")
def test_the_export_engine_writes_real_png_and_svg():
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=[0, 1], y=[1, 0]), layout_title_text="a line", layout_height=300)
    png, svg = figures.figure_bytes(fig, "png"), figures.figure_bytes(fig, "svg")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(png[16:20], "big")  # the IHDR chunk: scale 2 → 1800 px wide
    assert width == 900 * figures.EXPORT_SCALE
    assert svg.lstrip().startswith(b"<svg") and b"a line" in svg
