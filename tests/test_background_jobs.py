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


def test_old_results_are_forgotten_beyond_keep():
    jobs = BackgroundJobs("t", keep=2)
    for i in range(4):
        jobs.submit(i, lambda report, i=i: i)
        jobs.wait(10)
    assert [jobs.job(i) is not None for i in range(4)] == [False, False, True, True]
    assert jobs.ended == 4
