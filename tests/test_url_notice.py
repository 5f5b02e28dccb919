"""A link value a page cannot use gets a short notice at the top of the page (issue 12,
"Share"), on every page, through the one wrapper in app.py (ui/url_notice.py): bad slider,
select-slider, selectbox, radio and toggle values, a bad run id, a bad lesson number; a good
value, or one equal to the default (which Streamlit drops from the URL), gets none."""
from .apptest_helpers import app, live_views, trained_run

ELBO = "app_pages/elbo_posterior.py"
TRAIN = "app_pages/train.py"
RACE = "app_pages/estimator_race.py"
LATENT = "app_pages/latent_space.py"
ONE = "app_pages/one_example.py"
LEARN = "app_pages/variational_learning.py"
RF = "app_pages/reparam_families.py"


def notices(at) -> list[str]:
    return [w.value for w in at.warning if w.value.startswith("Ignored `?")]


def test_a_bad_slider_value_is_named_with_the_value_shown_instead():
    at = app(RF, rf_t="abc")
    assert not at.exception
    texts = notices(at)
    shown = f"showing {at.slider(key='rf_t').value:g}"
    assert any("`?rf_t=abc`" in t and shown in t for t in texts), texts
    live = app(ELBO, x2d="abc", svi_steps="7")  # a live view's slider (ui/live) too
    assert any("`?x2d=abc`" in t for t in notices(live)), notices(live)
    assert live_views(live)["q2d"]["values"]["x2"] == 1.5
    learn = app(LEARN, em_a0="99")
    assert any("`?em_a0=99`" in t and "from 0.2 to 6" in t for t in notices(learn))  # out of range
    assert live_views(learn)["em"]["values"]["a0"] == 0.5


def test_bad_option_values_of_selectbox_radio_and_select_slider_are_named():
    at = app(RACE, race_cost_normal="nonsense", race_sigma="7.7")
    assert not at.exception
    texts = notices(at)
    cost = at.selectbox(key="race_cost_normal").value
    assert any("`?race_cost_normal=nonsense`" in t and f"showing {cost}" in t for t in texts)
    assert any("`?race_sigma=7.7`" in t for t in texts), texts
    bad_radio = app(ELBO, dec2d="no_such_decoder", x2d="1.5")
    assert any("`?dec2d=no_such_decoder`" in t for t in notices(bad_radio))


def test_number_inputs_a_bad_value_is_named_and_a_truncated_one_says_how_it_was_read():
    at = app(TRAIN, beta="abc", epochs="12.7", seed="5")
    assert not at.exception
    texts = notices(at)
    assert any("`?beta=abc`" in t and "showing 1" in t for t in texts), texts
    assert any("`?epochs=12.7`" in t and "read as 12" in t for t in texts), texts
    assert at.number_input(key="epochs").value == 12 and at.number_input(key="seed").value == 5
    assert not any("?seed=" in t for t in texts)


def test_the_presentation_toggle_outside_the_page_is_covered_too():
    at = app(None, present="maybe")
    assert any("`?present=maybe`" in t and "showing off" in t for t in notices(at))
    on = app(None, present="true")
    assert on.toggle(key="present").value and not notices(on)


def test_good_values_and_defaults_get_no_notice():
    at = app(ELBO, x2d="1.5", dec2d="sum")  # 1.5 and sum are the defaults
    assert not at.exception and not notices(at)
    assert live_views(at)["q2d"]["values"]["x2"] == 1.5
    race = app(RACE, race_family="gamma", race_cost_gamma="cos")
    assert not notices(race) and not race.warning


def test_a_notice_is_shown_once():
    at = app(RF, rf_t="abc")
    assert notices(at)
    at.slider(key="rf_t").set_value(2.0).run()
    assert not notices(at)  # the URL no longer holds the bad value
    at.run()
    assert not notices(at)


def test_a_value_the_app_itself_resets_is_no_reject():
    run_id = trained_run(latent_dim=2, epochs=1, hidden=(16,), bounds_every=0)
    at = app(ONE, run=run_id, mu="0.7")
    assert at.slider(key="mu").value == 0.7 and not notices(at)
    at.button(key="reset_override").click().run()  # the URL still says 0.7 on this run
    assert at.slider(key="mu").value != 0.7 and not notices(at)


def test_a_bad_run_id_names_the_run_shown_instead():
    run_id = trained_run(latent_dim=2, epochs=1, hidden=(16,), bounds_every=0)
    at = app(LATENT, run="deadbeef0000")
    assert not at.exception
    texts = notices(at)
    assert len(texts) == 1 and "`?run=deadbeef0000`" in texts[0] and run_id in texts[0], texts
    assert at.selectbox(key="run").value == run_id
    at.run()  # a rerun the app starts itself (a background result) keeps the notice
    assert notices(at) == texts
    good = app(LATENT, run=run_id)
    assert not notices(good)


def test_a_bad_lesson_number_is_named():
    at = app(None, lesson="99")
    assert any("`?lesson=99`" in t and "1 to" in t for t in notices(at))
    assert not notices(app(None, lesson="1"))
