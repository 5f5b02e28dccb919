"""Figure builders: promised traces, index mapping, geometry and fixed colour ranges."""

import ast
import base64
import io
from pathlib import Path

import numpy as np
from PIL import Image
import plotly.graph_objects as go
import pytest

import explorer
from explorer.plots import (
    data_space_figure,
    ellipse_path,
    image_grid,
    image_row,
    kl_bars,
    latent_scatter,
    manifold_figure,
    training_curves,
    traversal_figure,
)
from explorer.plots.images import tile_images

rng = np.random.default_rng(0)


def title_of(fig: go.Figure) -> str:
    return fig.layout.title.text or ""


def heatmap_z(fig: go.Figure) -> np.ndarray:
    """The tiled intensities back from the figure's one PNG image (NaN where transparent)."""
    (trace,) = fig.data
    assert isinstance(trace, go.Image)
    header, encoded = trace.source.split(",", 1)
    assert header == "data:image/png;base64"
    la = np.asarray(Image.open(io.BytesIO(base64.b64decode(encoded))).convert("LA"), dtype=float)
    return np.where(la[..., 1] == 0, np.nan, la[..., 0] / 255.0)


def test_ellipse_path_is_closed_and_on_the_ellipse():
    x, y = ellipse_path((1.0, -2.0), (0.5, 3.0), n=40)
    assert len(x) == len(y) == 41
    assert (x[0], y[0]) == (x[-1], y[-1])
    np.testing.assert_allclose(((x - 1.0) / 0.5) ** 2 + ((y + 2.0) / 3.0) ** 2, 1.0)


def test_latent_scatter_has_one_trace_per_label_with_customdata_indices():
    coords, labels = rng.normal(size=(60, 2)), rng.integers(0, 4, 60)
    fig = latent_scatter(coords, labels)
    assert len(fig.data) == 4 and title_of(fig)
    assert [t.name for t in fig.data] == ["0", "1", "2", "3"]
    seen = np.concatenate([np.asarray(t.customdata) for t in fig.data])
    np.testing.assert_array_equal(np.sort(seen), np.arange(60))
    for trace in fig.data:
        index = np.asarray(trace.customdata)
        np.testing.assert_array_equal(trace.x, coords[index, 0])
        np.testing.assert_array_equal(trace.y, coords[index, 1])
        assert np.all(labels[index] == int(trace.name))
        assert trace.text[0].startswith(f"index {index[0]}<br>label {trace.name}")
    assert fig.layout.yaxis.scaleanchor == "x"
    assert len({t.marker.color for t in fig.data}) == 4


def test_latent_scatter_draws_1_and_2_sigma_ellipses_around_selected_points():
    coords, sigma = rng.normal(size=(30, 2)), rng.uniform(0.1, 1.0, size=(30, 2))
    fig = latent_scatter(coords, sigma=sigma, selected=[4, 17])
    assert len(fig.data) == 1 + 2 * 2 + 1
    ellipses = [t for t in fig.data if t.mode == "lines"]
    for trace, (i, k) in zip(ellipses, [(4, 1), (4, 2), (17, 1), (17, 2)], strict=True):
        x, y = np.asarray(trace.x), np.asarray(trace.y)
        np.testing.assert_allclose(
            [x.max() - coords[i, 0], coords[i, 0] - x.min()], k * sigma[i, 0], rtol=1e-9
        )
        np.testing.assert_allclose(
            [y.max() - coords[i, 1], coords[i, 1] - y.min()], k * sigma[i, 1], rtol=1e-3
        )
        assert (x[0], y[0]) == (x[-1], y[-1])
    highlight = fig.data[-1]
    np.testing.assert_array_equal(highlight.customdata, [4, 17])
    np.testing.assert_array_equal(highlight.x, coords[[4, 17], 0])
    assert f"σ = ({sigma[4, 0]:.2f}, {sigma[4, 1]:.2f})" in highlight.text[0]


def test_latent_scatter_without_sigma_highlights_but_draws_no_ellipses():
    fig = latent_scatter(rng.normal(size=(10, 2)), selected=[2])
    assert [t.mode for t in fig.data] == ["markers", "markers"]
    np.testing.assert_array_equal(fig.data[0].customdata, np.arange(10))


def test_latent_scatter_customdata_and_selection_use_data_set_indices():
    coords, labels = rng.normal(size=(5, 2)), np.array([0, 1, 0, 1, 1])
    indices = np.array([3, 10, 42, 57, 99])  # e.g. the rows a t-SNE subsample kept
    fig = latent_scatter(coords, labels, sigma=np.ones((5, 2)), selected=[42, 7], indices=indices)
    np.testing.assert_array_equal(fig.data[0].customdata, [3, 42])
    np.testing.assert_array_equal(fig.data[1].customdata, [10, 57, 99])
    assert fig.data[0].text[1].startswith("index 42<br>label 0")
    assert [t.name for t in fig.data[2:]] == [
        "1σ and 2σ (dotted) of q(z|x), point 42",
        "1σ and 2σ (dotted) of q(z|x), point 42",
        "selected",
    ]  # 7 is not plotted, so not highlighted
    assert [t.showlegend for t in fig.data[2:4]] == [True, False]  # one entry per point
    np.testing.assert_array_equal(fig.data[-1].customdata, [42])
    np.testing.assert_array_equal(fig.data[-1].x, [coords[2, 0]])


def test_tile_images_places_images_row_by_row_with_nan_gaps():
    images = rng.random((5, 6))
    tiled = tile_images(images, (2, 3), ncols=2, gap=1)
    assert tiled.shape == (3 * 2 + 2, 2 * 3 + 1)
    np.testing.assert_array_equal(tiled[3:5, 4:7], images[3].reshape(2, 3))
    np.testing.assert_array_equal(tiled[6:8, 0:3], images[4].reshape(2, 3))
    assert np.isnan(tiled[2]).all() and np.isnan(tiled[:, 3]).all()
    assert np.isnan(tiled[6:8, 4:7]).all()  # the empty sixth cell
    with pytest.raises(ValueError, match="shape"):
        tile_images(images, (3, 3), ncols=2)


def test_image_grid_is_one_heatmap_with_fixed_range_and_gaps():
    images = rng.random((7, 12))
    fig = image_grid(images, (4, 3), ncols=3, title="seven images")
    z = heatmap_z(fig)
    assert z.shape == (3 * 4 + 2 * 1, 3 * 3 + 2 * 1)
    clipped = heatmap_z(image_grid(np.array([[-3.0, 0.5, 7.0, 1.0]]), (2, 2), ncols=1))
    np.testing.assert_allclose(clipped, [[0.0, 128 / 255], [1.0, 1.0]])  # fixed [0, 1] range
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.autorange == "reversed"
    np.testing.assert_allclose(z[5:9, 4:7], images[4].reshape(4, 3), atol=0.5 / 255)
    assert title_of(fig) == "seven images"


def test_image_grid_titles_become_annotations_above_tiles():
    images = rng.random((4, 81))
    fig = image_grid(images, (9, 9), ncols=2, titles=["a", "b", "c", "d"])
    row_gap = 9 // 3
    assert heatmap_z(fig).shape == (2 * 9 + row_gap, 2 * 9 + 1)
    assert [a.text for a in fig.layout.annotations] == ["a", "b", "c", "d"]
    assert (
        fig.layout.annotations[3].x == 10 + 4 and fig.layout.annotations[3].y == 9 + row_gap - 0.5
    )


def test_image_row_puts_all_images_in_one_row():
    fig = image_row(rng.random((6, 4)), (2, 2), title="interpolation")
    assert heatmap_z(fig).shape == (2, 6 * 2 + 5)


def test_manifold_figure_is_one_gapless_image_with_z_ticks():
    n, (h, w) = 4, (3, 2)
    decoded = rng.random((n, n, h * w))
    z = np.linspace(-1.5, 1.5, n)
    fig = manifold_figure(decoded, (h, w), z, z)
    tiled = heatmap_z(fig)
    assert tiled.shape == (n * h, n * w) and not np.isnan(tiled).any()
    # Largest z₂ at the top: tile row 0 shows decoded[n-1]; z₁ grows to the right.
    np.testing.assert_allclose(tiled[:h, :w], decoded[n - 1, 0].reshape(h, w), atol=0.5 / 255)
    np.testing.assert_allclose(tiled[-h:, -w:], decoded[0, n - 1].reshape(h, w), atol=0.5 / 255)
    assert list(fig.layout.xaxis.ticktext) == [f"{v:.2f}" for v in z]
    assert list(fig.layout.yaxis.ticktext) == [f"{v:.2f}" for v in z[::-1]]
    assert "p(x|z)" in title_of(fig)


def test_traversal_figure_labels_rows_by_dimension_and_columns_by_value():
    d, m, (h, w) = 3, 5, (4, 4)
    decoded, values = rng.random((d, m, h * w)), np.linspace(-2, 2, m)
    fig = traversal_figure(decoded, (h, w), values)
    tiled = heatmap_z(fig)
    assert tiled.shape == (d * h + d - 1, m * w + m - 1)
    np.testing.assert_allclose(tiled[h + 1 : 2 * h + 1, :w], decoded[1, 0].reshape(h, w), atol=0.5 / 255)
    assert list(fig.layout.yaxis.ticktext) == ["z₁", "z₂", "z₃"]
    assert fig.layout.xaxis.side == "top"
    assert len(fig.layout.xaxis.ticktext) == m and title_of(fig)
    subset = traversal_figure(decoded[[1, 2]], (h, w), values, dims=[4, 9])
    assert list(subset.layout.yaxis.ticktext) == ["z₅", "z₁₀"]
    with pytest.raises(ValueError):
        traversal_figure(decoded, (h, w), values[:-1])


def test_data_space_figure_overlays_data_reconstructions_and_samples():
    x, labels = rng.normal(size=(50, 2)), rng.integers(0, 2, 50)
    fig = data_space_figure(x, labels, x_recon=x + 0.1, x_samples=rng.normal(size=(20, 2)))
    assert len(fig.data) == 3 and title_of(fig)
    np.testing.assert_array_equal(fig.data[0].x, x[:, 0])
    assert len(fig.data[2].x) == 20
    assert len(data_space_figure(x).data) == 1
    assert fig.layout.yaxis.scaleanchor == "x"


def test_training_curves_draw_train_lines_and_test_markers_in_matching_colours():
    steps = np.arange(100)
    series = {"loss": rng.random(100), "KL": rng.random(100)}
    fig = training_curves(
        steps,
        series,
        "Training loss",
        "nats",
        test_steps=[49, 99],
        test_series={"loss": [0.5, 0.4]},
    )
    assert [t.name for t in fig.data] == ["loss (train)", "KL (train)", "loss (test)"]
    assert [t.mode for t in fig.data] == ["lines", "lines", "markers+lines"]
    assert fig.data[0].line.color == fig.data[2].line.color != fig.data[1].line.color
    np.testing.assert_array_equal(fig.data[2].x, [49, 99])
    assert title_of(fig) == "Training loss" and fig.layout.yaxis.title.text == "nats"
    with pytest.raises(ValueError, match="test_steps"):
        training_curves(steps, series, "t", "y", test_series={"loss": [0.5]})


def test_kl_bars_split_active_and_inactive_units_with_a_threshold_line():
    kl = np.array([0.5, 0.001, 2.0, 0.0, 0.3])
    active = kl > 0.01
    fig = kl_bars(kl, active)
    assert [t.type for t in fig.data] == ["bar", "bar"]
    assert list(fig.data[0].x) == ["z₁", "z₃", "z₅"] and list(fig.data[1].x) == ["z₂", "z₄"]
    np.testing.assert_array_equal(fig.data[0].y, [0.5, 2.0, 0.3])
    (line,) = fig.layout.shapes
    assert line.y0 == line.y1 == 0.01
    assert "eq. 22" in title_of(fig)
    assert len(kl_bars(kl, active, threshold=None).layout.shapes) == 0


def test_figures_serialise_to_json():
    fig = image_grid(rng.random((3, 4)), (2, 2), ncols=3, titles=["a", "b", "c"])
    assert '"image"' in fig.to_json()


def test_manifold_payload_stays_small_for_the_browser():
    """A 15 × 15 grid of 28 × 28 decodings must travel as a compact picture, not MBs of JSON."""
    smooth = np.clip(rng.normal(0.5, 0.2, (15, 15, 1)) + np.zeros((15, 15, 784)), 0, 1)
    z = np.linspace(-2, 2, 15)
    assert len(manifold_figure(smooth, (28, 28), z, z).to_json()) < 100_000


def test_no_module_in_explorer_imports_streamlit():
    for path in Path(explorer.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n.split(".")[0] == "streamlit" for n in names), path


def test_framed_figures_do_not_autoexpand_their_margins():
    """Autoexpanding margins make plotly redraw the whole figure again on a slider step
    (explorer.plots.frames.animate)."""
    import plotly.graph_objects as go

    from explorer.plots.frames import animate, frame

    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1]))
    frames = [frame(str(k), (0,), [dict(y=np.array([0.0, k]))], dict(title=dict(text=f"k = {k}")))
              for k in range(3)]
    out = animate(fig, frames, 1, "k = ", chars=110, slider_y=-0.1).to_dict()
    margin = out["layout"]["margin"]
    assert margin["autoexpand"] is False and margin["l"] >= 50
    assert [f["name"] for f in out["frames"]] == ["0", "1", "2"]
    assert out["layout"]["sliders"][0]["active"] == 1
