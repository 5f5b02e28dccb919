"""Test bounds of runs trained with different objectives, with standard-error bars
(trainer.objective_lineup rows)."""
from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go


def bound_points(rows: Sequence[dict], k: int, title: str | None = None) -> go.Figure:
    """Per evaluated run: the test ELBO and L_k (mean over test points, ±1 standard error).
    ELBO ≤ L_k for every run; a higher L_k is a better model (Burda et al. 2015, Table 1)."""
    rows = [r for r in rows if r.get("evaluated")]
    labels = [f"{r['label']} · {r['run_id']}" for r in rows]
    fig = go.Figure()
    for name, key, symbol in (("test ELBO", "elbo", "circle"), (f"test L_{k}", "lk", "diamond")):
        fig.add_trace(go.Scatter(
            x=[r[key] for r in rows], y=labels, mode="markers", name=name,
            marker=dict(symbol=symbol, size=11),
            error_x=dict(type="data", array=[r[f"{key}_se"] for r in rows], visible=True),
            hovertemplate="%{y}<br>" + name + " %{x:.2f} nats<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="nats per test example (higher is better)")
    fig.update_layout(
        title=title or f"Test ELBO and L_{k} per training objective (±1 standard error over "
                       "test points)",
        height=160 + 45 * max(1, len(rows)), margin=dict(l=10, r=10, t=60, b=90),
        legend=dict(orientation="h", yref="container", y=0.01, yanchor="bottom"))
    return fig
