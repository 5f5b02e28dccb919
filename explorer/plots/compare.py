"""Figures comparing finished runs of different latent kinds (trainer.families)."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.colors
import plotly.graph_objects as go

from explorer.models import registry

PALETTE = plotly.colors.qualitative.Plotly


def family_color(name: str) -> str:
    """One colour per latent family, in registry order (grey for an unknown one)."""
    names = registry.names()
    return PALETTE[names.index(name) % len(PALETTE)] if name in names else "#7f7f7f"


def comparison_bars(labels: Sequence[str], models: Sequence[str], elbo: Sequence[float | None],
                    reconstruction: Sequence[float | None],
                    title: str = ("Test ELBO (solid) and its reconstruction term E_q log p(x|z) "
                                  "(hatched) per run; higher is better")) -> go.Figure:
    """Horizontal grouped bars, one pair per run, coloured by latent kind. The gap between
    the two bars of a run is its KL(q(z|x) ‖ p(z))."""
    def arr(v):
        return np.array([np.nan if x is None else x for x in v], dtype=float)

    colors = [family_color(m) for m in models]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=list(labels), x=arr(elbo), orientation="h", name="test ELBO",
                         marker=dict(color=colors),
                         hovertemplate="%{y}<br>ELBO %{x:.2f} nats<extra></extra>"))
    fig.add_trace(go.Bar(y=list(labels), x=arr(reconstruction), orientation="h",
                         name="E_q log p(x|z)",
                         marker=dict(color=colors, pattern=dict(shape="/"), opacity=0.55),
                         hovertemplate="%{y}<br>reconstruction %{x:.2f} nats<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="nats per test example")
    fig.update_layout(title=title, barmode="group", height=160 + 55 * max(1, len(labels)),
                      margin=dict(l=10, r=10, t=60, b=90),
                      # below the axis title, whatever the figure's height
                      legend=dict(orientation="h", yref="container", y=0.01, yanchor="bottom"))
    return fig
