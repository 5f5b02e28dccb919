"""Watch it learn: snapshots of the latent map taken while a run trains."""
import json

import numpy as np

from explorer import data
from explorer.views.latent import posterior_stats
from trainer import RunStore, default_store_dir, load_model, snapshots

from .apptest_helpers import app, trained_run


def test_schedule_is_dense_early_and_has_every_epoch_end():
    s = snapshots.schedule(total_steps=300, steps_per_epoch=10)
    assert {0, 1, 2, 3}.issubset(s) and set(range(10, 301, 10)).issubset(s)
    early = sorted(x for x in s if x < 10)
    assert len(early) >= 5  # log-spaced: most of them before the first epoch ends


def test_a_run_keeps_snapshots_and_the_last_is_the_final_model():
    run_id = trained_run(epochs=3)
    store = RunStore(default_store_dir())
    steps = snapshots.steps(store, run_id)
    rec = store.get(run_id)
    assert steps[0] == 0 and steps[-1] == rec.step
    last = snapshots.load(store, run_id, steps[-1])
    x, _ = data.load(rec.spec.dataset, "test")
    mu, sigma = posterior_stats(load_model(run_id, store), x[: len(last["mu"])])
    np.testing.assert_allclose(last["mu"], mu, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(last["sigma"], sigma, rtol=1e-5, atol=1e-6)
    first = snapshots.load(store, run_id, 0)
    assert not np.allclose(first["mu"], last["mu"])  # it learned
    snapshots.forget_after(store, run_id, steps[2])
    assert snapshots.steps(store, run_id) == steps[:3]


def test_latent_space_plays_the_snapshots_as_frames():
    run_id = trained_run(epochs=2)
    at = app("app_pages/latent_space.py", run=run_id)
    assert not at.exception

    def timeline():
        figs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
        return [f for f in figs if "as the run learns" in f["layout"]["title"]["text"]]

    assert not timeline()  # a finished run's expander starts closed, and draws only when open
    at.session_state[f"watch_open_{run_id}"] = True
    at.run()
    timeline = timeline()
    n = len(snapshots.steps(RunStore(default_store_dir()), run_id))
    assert timeline and all(len(f["frames"]) == n for f in timeline)
    assert timeline[0]["layout"]["sliders"][0]["active"] == n - 1  # starts at the newest


def test_reveal_timeline_frames_draw_each_curve_up_to_each_epoch():
    import plotly.graph_objects as go

    from explorer.plots.learning import reveal_timeline

    fig = go.Figure([go.Scatter(x=[0, 10, 20], y=[5.0, 3.0, 1.0]), go.Scatter(x=[0, 20], y=[2.0, 1.0])])
    reveal_timeline(fig)
    assert [f.name for f in fig.frames] == ["0", "10", "20"]
    assert list(fig.frames[1].data[0].y) == [5.0, 3.0] and list(fig.frames[1].data[1].y) == [2.0]
    assert fig.layout.sliders[0].active == 2


def test_long_runs_keep_a_bounded_number_of_snapshots():
    s = snapshots.schedule(total_steps=4000, steps_per_epoch=10)  # 400 epochs
    assert len(s) <= snapshots.MAX_LOG_STEPS + snapshots.MAX_EPOCH_SNAPSHOTS + 2
    assert 4000 in s and 100 in s


def test_every_snapshot_is_on_disk_when_the_run_ends_and_a_failed_write_fails_it(monkeypatch):
    """Snapshots are written off the training thread: the run's end waits for them, and a
    write that failed is the run's failure, with its cause."""
    from trainer import RunSpec
    from trainer.loop import train_run

    real_save, writes = snapshots.save, []

    def slow_save(*args, **kwargs):  # a write still in flight when the last step is taken
        import time

        time.sleep(0.05)
        writes.append(args[2]["step"])
        real_save(*args, **kwargs)

    monkeypatch.setattr(snapshots, "save", slow_save)
    run_id = trained_run(epochs=2)
    store = RunStore(default_store_dir())
    assert snapshots.steps(store, run_id) == sorted(int(s) for s in writes)
    assert snapshots.steps(store, run_id)[-1] == store.get(run_id).step

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(snapshots, "save", full_disk)
    rec, _ = store.create(RunSpec(dataset="digits", hidden=(32,), epochs=1, seed=7))
    store.claim(rec.run_id)
    assert train_run(store, rec.run_id) == "failed"
    assert "No space left on device" in store.get(rec.run_id).error


def test_a_live_refresh_draws_the_newest_snapshot_alone_on_the_timelines_axes():
    """What a live run's view sends every 2 s: no frames, the newest μ and manifold, and the
    same fixed axes as the whole timeline (the motion stays the model's)."""
    from explorer.plots.learning import latent_timeline, manifold_timeline

    rng = np.random.default_rng(0)
    snaps = [{"mu": rng.normal(scale=1 + 3 * k, size=(50, 2)), "manifold": rng.random((3, 3, 4))}
             for k in range(4)]
    labels, names = [i % 3 for i in range(50)], [f"snapshot {k + 1} of 4" for k in range(4)]
    full = latent_timeline(snaps, labels, names, "t")
    newest = latent_timeline(snaps, labels, names, "t", frames=False)
    assert len(full.frames) == 4 and not newest.frames and not newest.layout.sliders
    assert newest.layout.xaxis.range == full.layout.xaxis.range
    assert newest.layout.title.text.endswith("snapshot 4 of 4")
    assert newest.to_plotly_json()["data"] == full.to_plotly_json()["data"]  # the newest μ
    image = manifold_timeline(snaps, (2, 2), names, "m", frames=False)
    assert not image.frames and image.data[0].source == manifold_timeline(
        snaps, (2, 2), names, "m").data[0].source
