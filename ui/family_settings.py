"""Spec widgets of the latent families: which family, its latent size, its estimator and the
settings only it reads — all drawn from the family registry (explorer.models.registry)."""
from __future__ import annotations

import streamlit as st

from explorer.models import registry


def family_choice() -> registry.LatentFamily:
    """The latent family selector (bound to ?model=…), with the family's one-line description."""
    by_name = {f.name: f for f in registry.families()}
    # A bound widget puts its displayed option in the URL, so the options are the names.
    name = st.selectbox("Latent variable", list(by_name), key="model", bind="query-params")
    family = by_name[name]
    st.caption(family.description)
    return family


def latent_size(family: registry.LatentFamily, column) -> int:
    size = family.size
    return column.slider(size.label, 1, 64, size.default, key=size.key, bind="query-params",
                         help="How many latent variables the encoder gives each image: the "
                              "length of z.")


def estimator_choice(family: registry.LatentFamily, column) -> str:
    options = list(family.estimators)
    return column.selectbox("Encoder gradient estimator", options,
                            key=f"estimator_{family.name}", disabled=len(options) == 1,
                            help=family.estimator_help)


def _widget(name: str, field, ui: dict, column, values: dict):
    """One option's widget, as its `explorer.models.registry.option` metadata describes it."""
    key = ui.get("key") or name
    bind = "query-params" if ui.get("url") else None
    condition = ui.get("enabled_if")
    disabled = bool(condition) and values.get(condition[0]) != condition[1]
    common = dict(key=key, help=ui.get("help") or field.description, disabled=disabled)
    if bind:
        common["bind"] = bind
    choices, default = ui.get("choices"), ui.get("ui_default")
    if choices and all(isinstance(c, str) for c in choices):
        return column.radio(ui["label"], list(choices), index=list(choices).index(default),
                            horizontal=True, **common)
    if choices:
        return column.select_slider(ui["label"], list(choices), value=default, **common)
    if ui.get("slider"):
        lo, hi = ui["slider"]
        return column.slider(ui["label"], lo, hi, default, **common)
    if field.annotation is bool:
        return column.checkbox(ui["label"], default, **common)
    return column.number_input(ui["label"], value=default, **common)


def family_settings(family: registry.LatentFamily) -> dict:
    """The RunSpec fields only `family` reads, as widgets (none for a family without options)."""
    fields = family.option_fields()
    if not fields:
        return {}
    values: dict = {}
    columns = st.columns(min(2, len(fields)))  # the form is a narrow column: two per row
    for i, (name, field) in enumerate(fields.items()):
        ui = (field.json_schema_extra or {}).get("ui") or dict(label=name, ui_default=field.default)
        values[name] = _widget(name, field, ui, columns[i % len(columns)], values)
    if family.settings_note:
        st.caption(family.settings_note)
    return values
