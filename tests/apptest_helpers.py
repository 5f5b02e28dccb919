"""Shared helpers for the AppTest page tests."""
import json

from streamlit.testing.v1 import AppTest

from trainer import RunSpec, RunStore, default_store_dir
from trainer.loop import train_run
from ui.background import page_jobs

from .conftest import ROOT

APP = str(ROOT / "app.py")


def app(page: str | None = None, *, settle: bool = True, **params) -> AppTest:
    """The app, optionally switched to `page`, with URL query parameters set; with `settle`,
    run again until the page's background jobs are done (see `settled`)."""
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    if page:
        jobs = page_jobs()
        ended = jobs.ended
        at.switch_page(page).run()
        if settle:
            settled(at, ended)
    assert not at.exception, at.exception
    return at


def settled(at: AppTest, ended: int | None = None, timeout: float = 300) -> AppTest:
    """Wait for the page jobs (ui/background.py) and run the page again while the last run
    may have drawn a progress bar instead of a result: AppTest never fires the fragment that
    polls them. `ended`: the queue's count of finished jobs before that run."""
    jobs = page_jobs()
    while jobs.busy() or (ended is not None and jobs.ended != ended):
        assert jobs.wait(timeout), "page jobs still running"
        ended = jobs.ended
        at.run()
    return at


def trained_run(**fields) -> str:
    """Train a tiny run in-process into the test's store; returns its id."""
    store = RunStore(default_store_dir())
    spec = RunSpec(**{"dataset": "digits", "hidden": (32,), "epochs": 2, **fields})
    rec, _ = store.create(spec)
    store.claim(rec.run_id)
    assert train_run(store, rec.run_id) == "done"
    return rec.run_id


def run_settled(runnable) -> AppTest:
    """`.run()` an AppTest or a widget (after set_value/click), then `settled`."""
    ended = page_jobs().ended
    return settled(runnable.run(), ended)


def figures(at: AppTest) -> list[dict]:
    """The page's plotly charts, then the figures its live views (ui/live) open with."""
    return [json.loads(el.proto.spec) for el in at.get("plotly_chart")] + [
        json.loads(a["figure"]) for a in all_live_views(at) if a.get("figure")]


def all_live_views(at: AppTest) -> list[dict]:
    """The arguments of every live view on the page (ui/live); bytes arguments as bytes."""
    out = []
    for el in at.get("component_instance"):
        if el.proto.component_name.endswith("vx_live"):
            args = json.loads(el.proto.json_args)
            args.update({s.key: s.bytes for s in el.proto.special_args})
            out.append(args)
    return out


def live_views(at: AppTest) -> dict[str, dict]:
    """The arguments of each live view on the page (ui/live), by role (several views of one
    role, as the frame sliders' "view": the last)."""
    return {args["role"]: args for args in all_live_views(at)}


def titles(at: AppTest) -> list[str]:
    out = []
    for fig in figures(at):
        t = fig.get("layout", {}).get("title", {})
        out.append((t.get("text", "") if isinstance(t, dict) else str(t)).replace("<br>", " "))
    return out


def array(value) -> list:
    """A plotly data array from figure JSON: plain list, or {'dtype', 'bdata'} typed array."""
    if isinstance(value, dict) and "bdata" in value:
        import base64

        import numpy as np

        out = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        if isinstance(shape, str):  # plotly writes a 2-D shape as the text "4, 5"
            shape = tuple(int(v) for v in shape.split(","))
        return out.reshape(shape).tolist() if shape is not None else out.tolist()
    return list(value)
