"""bench/wire.py, the browserless students of the load test, against the real server: what it
sends must be what a browser sends, or the load it makes is not a class's load."""
import asyncio
from concurrent.futures import ThreadPoolExecutor

from bench.wire import WireSession, _bounce


def run(coro):
    """Its own thread and event loop: the browser tests' sync Playwright keeps one running in
    this thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _session(url: str, page: str) -> WireSession:
    s = WireSession(url)
    await s.connect()
    await s.open(page)
    return s


def test_a_live_views_report_reruns_its_fragment_and_lands_in_the_url(server):
    async def go():
        s = await _session(server["url"], "gumbel")
        view = s.widgets["gm_live"]
        assert view.kind == "component" and view.fragment  # reported from its own fragment
        assert "gm_l1=1.5" not in s.query
        await s.set("gm_live", {"l1": 1.5})
        await s.close()
        return s

    s = run(go())
    assert "gm_l1=1.5" in s.query and not s.errors
    assert s.fetched  # the view's files were fetched, as a cold browser does


def test_a_streamlit_slider_step_reruns_the_page_with_the_new_value(server):
    async def go():
        s = await _session(server["url"], "elbo_posterior")
        steps = dict(s.sliders())["svi_steps"]
        await s.set("svi_steps", steps[0])
        await s.set("run_svi", True)  # its result says how many steps it took
        await s.close()
        return s, steps

    s, steps = run(go())
    assert steps[0] == 90  # one step up from the default 80
    assert any("after 90 steps" in t for t in s.texts) and not s.errors
    assert s.finished == "ok"  # a whole-page rerun: these widgets are in no fragment


def test_a_slider_inside_a_fragment_reruns_only_its_fragment(server):
    async def go():
        s = await _session(server["url"], "latent_space")
        assert s.widgets["trav_steps"].fragment
        await s.set("trav_steps", dict(s.sliders())["trav_steps"][0])
        await s.close()
        return s

    s = run(go())
    assert s.finished == "fragment ok" and not s.errors


def test_slider_steps_go_up_from_the_value_and_back_down_at_the_end():
    assert _bounce([0, 1, 2, 3], 2, k=5) == [3, 2, 1, 0, 1]
    assert _bounce(["a", "b"], "a", k=3) == ["b", "a", "b"]
