"""Plotly figure builders: arrays and plain values in, `go.Figure` out; no Streamlit here."""

from explorer.plots.images import image_grid, image_row, traversal_figure
from explorer.plots.latent import data_space_figure, ellipse_path, latent_scatter, manifold_figure
from explorer.plots.training import kl_bars, training_curves

__all__ = [
    "data_space_figure",
    "ellipse_path",
    "image_grid",
    "image_row",
    "kl_bars",
    "latent_scatter",
    "manifold_figure",
    "training_curves",
    "traversal_figure",
]
