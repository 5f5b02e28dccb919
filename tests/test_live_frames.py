"""Latent space's grid size moves through frames in the browser (ui/live/frames.py): each frame
is what the server's own figure at that size would draw — the same picture, height and ticks —
its picture a static file; without static serving the page keeps its Streamlit slider."""
import base64
import json

import numpy as np
import pytest

from trainer import RunStore, default_store_dir
from ui import latent_sections, live
from ui.latent_data import model_for
from ui.live import frames

from .apptest_helpers import app, live_views, trained_run
from .test_pages_url_notices import notices


@pytest.fixture
def static(tmp_path, monkeypatch):
    monkeypatch.setattr(live, "APP_STATIC", tmp_path)
    return tmp_path


def _view(at, key: str) -> dict:
    """The live view `key` of the page (ui/live: its filename is its key)."""
    import json as _json

    views = [_json.loads(el.proto.json_args) for el in at.get("component_instance")
             if el.proto.component_name.endswith("vx_live")]
    found = [v for v in views if v["filename"] == key]
    assert len(found) == 1, [v["filename"] for v in views]
    return found[0]


def _model(run_id: str):
    rec = RunStore(default_store_dir()).get(run_id)
    return model_for(run_id, rec.checkpoint_epoch), rec.checkpoint_epoch


def _at(layout: dict, path: str):
    for k in path.split("."):
        layout = layout[k]
    return layout


def _sections(model, codes):
    """(key, figure builder, pictures, their arguments, options, default, title width) of each
    Latent space section whose slider moves through frames."""
    x0, x1, r0 = codes["x"][0], codes["x"][1], codes["recon"][0]
    s, shape = latent_sections, (28, 28)
    return [("manifold", s._manifold_figure, s._manifold_pictures, (model, shape),
             s.GRID_SIZES, 15, 55),
            ("one_point", s._one_point_figure, s._one_point_pictures, (model, x0, r0, shape, 7),
             s.POSTERIOR_SAMPLES["options"], 8, 100),
            ("interpolation", s._interpolation_figure, s._interpolation_pictures,
             (model, x0, x1, 0, 1, shape), s.STEPS["options"], 10, 100),
            ("prior_grid", s._prior_figure, s._prior_pictures, (model, shape, 3),
             s.PRIOR_SAMPLES["options"], 32, 100),
            ("traversal", s._traversal_figure, s._traversal_pictures,
             (model, codes["mu"][0], codes["kl_dim"], shape, 9), s.SPAN["options"], 2.5, 100)]


def test_every_frame_is_the_full_figure_at_that_value(static):
    from ui.latent_data import test_codes

    run_id = trained_run(dataset="mnist5k", latent_dim=2, hidden=(16,), epochs=1)
    model, epoch = _model(run_id)
    codes = test_codes(run_id, epoch, "mnist5k")
    for key, build, pictures, args, options, default, chars in _sections(model, codes):
        options = tuple(options)
        reference = live.figure_json(build(*args, default), key, chars)
        folder = frames.write_set(key, reference, default, options, pictures(*args, options))
        index = json.loads((folder / "index.json").read_text())
        patches = index["patches"]
        assert index["values"] == list(options) and len(patches) == len(options), key
        for i, (value, patch) in enumerate(zip(options, patches)):
            want = json.loads(live.figure_json(build(*args, value), key, chars))
            assert patch["layout"]["height"] == want["layout"]["height"], (key, value)
            for path, got in patch["layout"].items():
                assert got == _at(want["layout"], path), (key, value, path)
            assert patch["source"] == f"../../app/static/vx/frames/{key}/{i}.png"
            inline = want["data"][0]["source"].split(",", 1)[1]
            assert (folder / f"{i}.png").read_bytes() == base64.b64decode(inline), (key, value)
        if key == "manifold":
            assert [len(p["layout"]["xaxis.ticktext"]) for p in patches] == list(options)
        if key == "one_point":  # a caption over each tile: the input, its reconstruction, n draws
            assert [len(p["layout"]["annotations"]) for p in patches] == [n + 2 for n in options]


def test_more_samples_add_draws_and_keep_the_earlier_ones():
    from explorer.views import latent

    run_id = trained_run(latent_dim=2)
    model, _ = _model(run_id)
    _, all_draws = latent.prior_samples(model, latent_sections.MAX_PRIOR_SAMPLES, seed=3)
    pictures = latent_sections._prior_pictures(model, (8, 8), 3, (4, 64))
    want = latent_sections.image_grid_picture(all_draws[:4], (8, 8), ncols=4)[0]
    np.testing.assert_array_equal(pictures[0][0], want)


def test_the_frames_folder_is_kept_under_its_cap(static, monkeypatch):
    import time

    monkeypatch.setattr(frames, "MAX_SETS", 3)
    fig = live.figure_json(latent_sections.image_grid(np.zeros((1, 4)), (2, 2), 1), "k")
    for k in range(5):
        frames.write_set(f"set{k}", fig, 1, (1,), [(np.full((2, 2), k / 10), {})])
        time.sleep(0.01)  # distinct mtimes: the oldest sets go first
    assert sorted(p.name for p in (static / "vx" / "frames").iterdir()) == ["set2", "set3", "set4"]


def _index(at, key):
    """The frame set a view points at, once the page's background jobs have drawn it."""
    from ui.background import page_jobs

    assert page_jobs().wait(120)
    rel = json.loads(_view(at, key)["data"])["index"]
    return json.loads((live.APP_STATIC / rel.split("app/static/", 1)[1]).read_text())


def test_latent_space_opens_the_grid_size_the_link_names():
    run_id = trained_run(latent_dim=2)
    at = app("app_pages/latent_space.py", run=run_id, grid_n="7")
    view = _view(at, "manifold")
    assert view["recipe"] == "frames" and view["values"] == {"n": 7}
    assert view["controls"][0]["options"] == list(latent_sections.GRID_SIZES)
    fig = json.loads(view["figure"])
    assert len(fig["layout"]["xaxis"]["ticktext"]) == 7
    assert len(_index(at, "manifold")["patches"]) == len(latent_sections.GRID_SIZES)
    assert "Ignored" not in notices(at)


def test_a_grid_size_it_does_not_draw_is_named_and_the_default_shown():
    run_id = trained_run(latent_dim=2)
    at = app("app_pages/latent_space.py", run=run_id, grid_n="18")
    assert "Ignored `?grid_n=18`" in notices(at)
    assert _view(at, "manifold")["values"] == {"n": 15}


def test_without_static_serving_the_grid_size_is_a_streamlit_slider(monkeypatch):
    monkeypatch.setattr(frames, "available", lambda: False)
    run_id = trained_run(latent_dim=2)
    at = app("app_pages/latent_space.py", run=run_id, grid_n="18")
    assert at.slider(key="grid_n").value == 18
    assert "view" not in live_views(at)
    assert at.slider(key="n_post").value == 8 and at.slider(key="interp_steps").value == 10
    assert at.slider(key="trav_span").value == 2.5


def test_the_sample_and_step_sliders_open_at_the_values_the_link_names():
    run_id = trained_run(latent_dim=2)
    at = app("app_pages/latent_space.py", run=run_id, n_post="3", interp_steps="17",
             n_prior="12", trav_span="1.5", trav_steps="5")
    assert _view(at, "one_point")["values"] == {"n": 3}
    assert _view(at, "interpolation")["values"] == {"steps": 17}
    assert _view(at, "prior_grid")["values"] == {"n": 12}
    assert _view(at, "traversal")["values"] == {"span": 1.5}
    assert at.slider(key="trav_steps").value == 5  # the number of values stays a server slider
    ticks = json.loads(_view(at, "traversal")["figure"])["layout"]["xaxis"]["ticktext"]
    assert ticks == ["-1.5", "-0.75", "0", "0.75", "1.5"]
    one = json.loads(_view(at, "one_point")["figure"])
    assert len(one["layout"]["annotations"]) == 3 + 2
    assert "Ignored" not in notices(at)


def test_a_new_checkpoint_of_the_same_epoch_gets_new_frames():
    import os

    run_id = trained_run(latent_dim=2)
    at = app("app_pages/latent_space.py", run=run_id)
    before = json.loads(_view(at, "manifold")["data"])["index"]
    path = RunStore(default_store_dir()).checkpoint_path(run_id)
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # as a reset run's rewrite
    at.run()
    assert json.loads(_view(at, "manifold")["data"])["index"] != before


def test_frames_that_cannot_be_written_leave_the_page_standing(monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(frames, "write_set", full)
    run_id = trained_run(latent_dim=2)
    at = app("app_pages/latent_space.py", run=run_id, prior_seed="5")
    assert not at.exception
    assert any("No space left on device" in w.value for w in at.warning)
    assert _view(at, "prior_grid")["figure"]  # the figure at its value is still drawn


def test_two_sessions_drawing_one_set_at_once_both_succeed(static):
    from concurrent.futures import ThreadPoolExecutor

    fig = live.figure_json(latent_sections.image_grid(np.zeros((1, 4)), (2, 2), 1), "k")
    pictures = [(np.full((2, 2), k / 10), {}) for k in range(40)]

    def draw(_):
        return frames.write_set("shared", fig, 0, tuple(range(40)), pictures)

    with ThreadPoolExecutor(4) as pool:
        folders = list(pool.map(draw, range(4)))
    assert len(set(folders)) == 1
    index = json.loads((folders[0] / "index.json").read_text())
    assert len(index["patches"]) == 40 and all((folders[0] / f"{i}.png").exists()
                                               for i in range(40))
    assert [p.name for p in (static / "vx" / "frames").iterdir()] == ["shared"]  # no staging left
