"""Every widget whose label names a symbol of the lectures (β, τ, K, k, α, d, μ, σ, λ, ε, L_k,
…) carries a tooltip saying what it is (issue 12, "Present"): walked over every page of app.py
with AppTest, with one tiny trained run in the store so the run pages draw their widgets."""
import re

from .apptest_helpers import app, trained_run
from .conftest import ROOT

PAGES = re.findall(r'st\.Page\("(app_pages/\w+\.py)"', (ROOT / "app.py").read_text())
# Any Greek letter, or a one-letter math name standing alone (k, K, d, z, x, L_k, m₁, …).
SYMBOL = re.compile(r"[\u0370-\u03ff]|(?<![A-Za-z])[KkdzxLmnrstvSbfq](?:_\w+|[₀-₉]+)?"
                    r"(?![A-Za-z])")
CODES = "app_pages/discrete_codes.py"
KINDS = ("slider", "select_slider", "number_input", "selectbox", "radio", "checkbox",
         "toggle", "multiselect")


def test_the_symbol_pattern_finds_symbols_and_not_words():
    named = ["β (KL weight)", "K (importance samples)", "k of the test L_k", "q mean m₁",
             "Latent dimension d", "Observation x", "τ (relaxed)"]
    assert all(SYMBOL.search(label) for label in named)
    assert not any(SYMBOL.search(label) for label in ["Run A", "Data set", "Epochs",
                                                      "Presentation mode", "a single Gaussian"])


def symbol_widgets_without_help(at) -> list[str]:
    out = []
    for kind in KINDS:
        for w in getattr(at, kind):
            if SYMBOL.search(w.label or "") and not (w.help or "").strip():
                out.append(f"{kind} {w.label!r} (key {w.key})")
    return out


def test_the_pages_are_found():
    assert len(PAGES) >= 20 and "app_pages/train.py" in PAGES


def walk(pages) -> dict[str, list[str]]:
    """{page: widgets without a tooltip}, with a Gaussian, a categorical, a DVAE and a VQ-VAE
    run in the store so the run pages (and the discrete ones) draw all their widgets."""
    trained_run(latent_dim=2, epochs=1, hidden=(16,))
    categorical = trained_run(model="categorical", latent_dim=4, n_categories=5, epochs=1,
                              hidden=(16,))
    trained_run(model="dvae", latent_dim=8, epochs=1, hidden=(16,))
    trained_run(model="vqvae", latent_dim=3, n_categories=16, code_dim=4, epochs=1, hidden=(16,))
    visits = [(page, {}) for page in pages]
    if CODES in pages:  # the page shows the newest (DVAE) run; a categorical one has more widgets
        visits.append((CODES, {"run": categorical}))
    missing = {}
    for page, params in visits:
        found = symbol_widgets_without_help(app(page, **params))
        if found:
            missing.setdefault(page, []).extend(found)
    return missing


def report(missing: dict) -> str:
    return "\n".join(f"{p}: {w}" for p, ws in missing.items() for w in ws)


def test_every_widget_naming_a_lecture_symbol_has_a_tooltip():
    missing = walk(PAGES)
    assert not missing, report(missing)
