"""ui.background: the one-thread queue that keeps expensive page results off the script thread."""
import threading

from ui.background import BackgroundJobs


def held(jobs: BackgroundJobs) -> threading.Event:
    """Occupy the queue's one thread until the returned event is set."""
    release = threading.Event()
    jobs.submit("hold", lambda report: release.wait(30))
    return release


def test_identical_keys_share_one_computation_and_finished_ones_answer_at_once():
    jobs, calls = BackgroundJobs("t"), []

    def work(report):
        calls.append(1)
        report(0.5, "half way")
        return 42

    release = held(jobs)
    a, b = jobs.submit("x", work), jobs.submit("x", work)
    assert a is b and not a.done and jobs.busy()
    release.set()
    assert jobs.wait(10) and a.result == 42 and a.progress == 1 and a.text == "half way"
    assert jobs.submit("x", work).result == 42 and calls == [1]  # no second computation
    assert jobs.submit("x", work, again=True) is not a and jobs.wait(10) and calls == [1, 1]


def test_a_failure_is_kept_as_its_message_and_the_thread_goes_on():
    jobs = BackgroundJobs("t")
    bad = jobs.submit("bad", lambda report: 1 / 0)
    good = jobs.submit("good", lambda report: "fine")
    assert jobs.wait(10)
    assert bad.done and bad.error.startswith("ZeroDivisionError") and bad.result is None
    assert good.result == "fine" and good.error is None


def test_a_group_keeps_only_its_latest_waiting_wish():
    """A student clicking through points: the points nobody waits for any more never run."""
    jobs, ran = BackgroundJobs("t"), []
    release = held(jobs)
    for point in range(3):
        jobs.submit(("ladder", point), lambda report, p=point: ran.append(p), group="session")
    other = jobs.submit(("ladder", 0), lambda report: ran.append("other"), group="another")
    assert jobs.job(("ladder", 0)) is other  # the other session's wish for point 0 stays
    assert jobs.job(("ladder", 1)) is None  # dropped: superseded before it started
    release.set()
    assert jobs.wait(10) and ran == [2, "other"]  # in the order asked for


def test_moving_on_never_drops_a_job_another_session_waits_for():
    jobs, ran = BackgroundJobs("t"), []
    release = held(jobs)
    shared = jobs.submit(("ladder", 0), lambda report: ran.append(0), group="A")
    assert jobs.submit(("ladder", 0), lambda report: ran.append("again"), group="B") is shared
    jobs.submit(("ladder", 1), lambda report: ran.append(1), group="A")  # A moves on; B waits
    assert jobs.job(("ladder", 0)) is shared
    release.set()
    assert jobs.wait(10) and ran == [0, 1] and shared.done


def test_old_results_are_forgotten_beyond_keep():
    jobs = BackgroundJobs("t", keep=2)
    for i in range(4):
        jobs.submit(i, lambda report, i=i: i)
        jobs.wait(10)
    assert [jobs.job(i) is not None for i in range(4)] == [False, False, True, True]
    assert jobs.ended == 4


def _failing_once_page(counter: str):
    from pathlib import Path

    import streamlit as st

    from ui.background import result_or_progress

    def work(report):
        n = int(Path(counter).read_text())
        Path(counter).write_text(str(n + 1))
        if n == 0:
            raise RuntimeError("the first try fails")
        return f"result after {n + 1} tries"

    result = result_or_progress("retry-view", (counter,), work, "The computation")
    if result is not None:
        st.write(result)


def test_a_failed_page_job_can_be_tried_again(tmp_path):
    from streamlit.testing.v1 import AppTest

    from ui.background import page_jobs

    counter = tmp_path / "tries"
    counter.write_text("0")
    at = AppTest.from_function(_failing_once_page, args=(str(counter),), default_timeout=60)
    at.run()
    assert page_jobs().wait(60)
    at.run()
    assert "the first try fails" in at.error[0].value and at.button[0].label == "Try again"
    at.run()  # a rerun alone shows the kept failure: it does not queue the job again
    assert page_jobs().wait(60) and counter.read_text() == "1" and at.error
    at.button[0].click().run()
    assert page_jobs().wait(60)
    at.run()
    assert not at.error and at.markdown[0].value == "result after 2 tries"
