"""A/B view: two runs side by side on the same axes."""
from trainer import RunSpec
from trainer.families import differences

from .apptest_helpers import app, titles, trained_run

PAGE = "app_pages/ab_compare.py"


def test_differences_name_only_what_decides_the_result():
    a, b = RunSpec(beta=1.0), RunSpec(beta=4.0)
    assert differences(a, b) == {"beta": (1.0, 4.0)}
    assert differences(a, a) == {}
    cat = RunSpec(model="categorical", n_categories=5)
    d = differences(a, cat)
    assert d["model"] == ("gaussian", "categorical") and d["n_categories"] == (None, 5)


def test_needs_two_runs():
    at = app(PAGE)
    assert any("needs two runs" in i.value for i in at.info)


def test_two_runs_share_every_view_and_the_url():
    one = trained_run(beta=1.0)
    four = trained_run(beta=4.0)
    at = app(PAGE, a=one, b=four)
    assert not at.exception
    diff = at.dataframe[0].value  # the settings that differ
    assert list(diff["setting"]) == ["beta"] and list(diff["B"]) == ["4.0"]
    shown = titles(at)
    assert any("Training ELBO" in t for t in shown) and any("rate" in t for t in shown)
    assert sum("μ(x)" in t for t in shown) == 2  # one latent map per run
    assert at.query_params["a"] in (one, [one]) and at.query_params["b"] in (four, [four])
    # The two ELBO curves are the two runs' own metrics.
    import json

    fig = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert {t["name"] for t in fig["data"]} == {f"A · {one}", f"B · {four}"}


def test_a_bad_url_run_is_ignored_with_a_notice():
    trained_run(beta=1.0)
    trained_run(beta=4.0)
    at = app(PAGE, a="ffffffffffff")
    assert not at.exception
    assert any("?a=ffffffffffff" in w.value and "not a run" in w.value for w in at.warning)
