"""The lesson path: every step opens a real page with presets its widgets read."""
import re

from ui import lessons

from .apptest_helpers import app, live_views
from .conftest import ROOT


def _url_keys(page: str) -> set[str]:
    """Widget keys bound to the URL in the page and the ui modules it imports."""
    text = (ROOT / page).read_text()
    for mod in re.findall(r"^from ui(?:\.(\w+))? import (\w+)", text, flags=re.M):
        name = mod[0] or mod[1]
        path = ROOT / "ui" / f"{name}.py"
        if path.exists():
            text += path.read_text()
    keys = set(re.findall(r'url_index\("(\w+)"', text))  # a figure's own slider, from the URL
    keys.update(re.findall(r'live\.control\([^)]*url="(\w+)"', text, flags=re.S))  # ui/live
    keys.update(re.findall(r'\("\w+", "[^"]+", "(\w+)"\)', text))  # (name, label, url) rows
    for call in re.findall(r"\((?:[^()]|\([^()]*\))*bind=\"query-params\"(?:[^()]|\([^()]*\))*\)", text, flags=re.S):
        keys.update(re.findall(r'key="(\w+)"', call))
    return keys


def test_every_step_names_a_registered_page_and_presets_real_url_widgets():
    registered = set(re.findall(r'st\.Page\("([^"]+)"', (ROOT / "app.py").read_text()))
    assert len(lessons.STEPS) >= 15
    for step in lessons.STEPS:
        assert step.page in registered, step.page
        missing = set(step.preset) - _url_keys(step.page)
        assert not missing, (step.page, missing)
    assert [s.lecture for s in lessons.STEPS] == sorted(s.lecture for s in lessons.STEPS)


def test_opening_a_step_sets_its_preset_and_the_bar_moves_on():
    at = app("app_pages/lessons.py")
    i = next(n for n, s in enumerate(lessons.STEPS) if s.preset.get("rf_family"))
    at.button(key=f"lesson_open_{i}").click().run()
    assert not at.exception
    assert at.query_params["lesson"] in (str(i + 1), [str(i + 1)])
    assert at.selectbox(key="rf_family").value == lessons.STEPS[i].preset["rf_family"]
    assert any(lessons.STEPS[i].title in m.value for m in at.sidebar.markdown)
    at.sidebar.button(key="lesson_next").click().run()
    assert not at.exception
    assert any(lessons.STEPS[i + 1].title in m.value for m in at.sidebar.markdown)


def test_a_bad_lesson_number_shows_no_bar():
    at = app("app_pages/home.py", lesson="99")
    assert not at.exception and not any("Lesson" in m.value for m in at.sidebar.markdown)


def test_a_preset_opens_a_browser_side_slider_at_its_value():
    """q's mean on ELBO & posterior is a live view's slider (ui/live): the preset sets it."""
    step = next(s for s in lessons.STEPS if s.preset.get("q_mean"))
    at = app(step.page, **lessons.step_query(lessons.STEPS.index(step)))
    assert not at.exception
    assert live_views(at)["budget"]["values"]["m"] == float(step.preset["q_mean"])
