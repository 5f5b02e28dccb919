"""URL values the Gumbel, Smoothing, Relaxation bias and Variational learning pages ignore are
named on the page; their symbol widgets explain the symbol."""
import pytest

from explorer.discrete import SAMPLING_TAU_GRID
from ui.frame_state import bad_url_values

from .apptest_helpers import app, live_views

PAGES = {  # a bad slider value, a bad choice, and a good slider value kept
    "app_pages/gumbel.py": ("gm_l1", "abc", "gm_tau", "0.0123", "gm_l2", 1.0),
    "app_pages/smoothing.py": ("sm_p", "7", "sm_beta", "x", "sm_pp_p", 0.25),
    "app_pages/relaxation_bias.py": ("rb_t", "nan", "rb_tau", "0.06", "rb_l1", 1.0),
    "app_pages/variational_learning.py": ("vl_x", "99", "v1", "0.7", "m1", 1.0)}


def notices(at) -> str:
    """The page's notices (ui.url_notice draws them as warnings at the top)."""
    return " ".join(w.value for w in at.warning)


def test_url_notices_name_only_bad_values():
    params = {"a": "0.5", "b": "2", "c": "x", "d": "0.3", "e": "0.25", "f": "Gaussian", "g": "no"}
    bad = bad_url_values(params, ranges={"a": (0, 1, "A"), "b": (0, 1, "B"), "c": (0, 1, "C"),
                                         "missing": (0, 1, "M")},
                         options={"d": ((0.1, 0.3), "D"), "e": ((0.1, 0.3), "E"),
                                  "f": (("exact", "Gaussian"), "F"), "g": (("exact",), "G")})
    assert [(key, raw) for key, raw, _ in bad] == [("b", "2"), ("c", "x"), ("e", "0.25"),
                                                   ("g", "no")]
    assert "from 0 to 1" in bad[0][2] and "one of 0.1, 0.3" in bad[2][2]


@pytest.mark.parametrize("page", PAGES)
def test_bad_url_values_are_named_and_good_ones_kept(page):
    bad_range, bad_value, bad_option, bad_choice, good, value = PAGES[page]
    at = app(page, **{bad_range: bad_value, bad_option: bad_choice, good: str(value)})
    text = notices(at)
    # once each, with the page's own reason (not also the generic "not a value this control takes")
    assert text.count(f"Ignored `?{bad_range}={bad_value}`") == 1, text
    assert text.count(f"Ignored `?{bad_option}={bad_choice}`") == 1, text
    assert "must be" in text and f"?{good}=" not in text
    live = {c["url"]: v["values"][c["name"]] for v in live_views(at).values()
            for c in v["controls"]}  # sliders that move in the browser (ui/live)
    assert (live[good] if good in live else at.slider(key=good).value) == value


def test_good_urls_give_no_notice():
    at = app("app_pages/gumbel.py", gm_tau=str(SAMPLING_TAU_GRID[3]), gm_n="5000")
    assert "Ignored" not in notices(at)


@pytest.mark.parametrize("page", PAGES)
def test_symbol_widgets_have_a_tooltip(page):
    at = app(page)
    widgets = [*at.slider, *at.select_slider, *at.selectbox, *at.radio, *at.multiselect]
    symbols = "τβλμσℓφθpxtn"
    named = [w for w in widgets if any(s in w.label for s in symbols)]
    assert named
    assert all(w.help for w in named), [w.label for w in named if not w.help]
    live = [c for v in live_views(at).values() for c in v["controls"]]
    assert all(c["help"] for c in live if any(s in c["label"] for s in symbols))
