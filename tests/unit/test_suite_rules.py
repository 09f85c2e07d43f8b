"""The suite's own rules, run on small test files of their own (pytester): a thread that
crashes, an exception nobody can raise, and a failing event subscriber each fail the test
they happened in, under this project's pytest configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import BusErrors

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
# The inner run's conftest borrows the bus guard from this suite's conftest.
BUS_GUARD = "from tests.conftest import bus_errors  # noqa: F401\n"


def _run(pytester: pytest.Pytester, source: str) -> pytest.RunResult:
    pytester.makeconftest(BUS_GUARD)
    test_file = pytester.makepyfile(source)
    return pytester.runpytest("-c", str(PYPROJECT), "--rootdir", str(pytester.path), test_file)


def test_an_exception_in_a_thread_fails_the_test(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        import threading

        def crash():
            raise RuntimeError("worker crashed")

        def test_crash():
            thread = threading.Thread(target=crash)
            thread.start()
            thread.join()

        def test_calm():
            thread = threading.Thread(target=lambda: None)
            thread.start()
            thread.join()
        """,
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*RuntimeError: worker crashed*"])


def test_an_unraisable_exception_fails_the_test(pytester: pytest.Pytester) -> None:
    result = _run(
        pytester,
        """
        import gc

        class Leaky:
            def __del__(self):
                raise RuntimeError("lost in a finaliser")

        def test_unraisable():
            Leaky()
            gc.collect()
        """,
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*RuntimeError: lost in a finaliser*"])


def test_a_failing_event_subscriber_fails_the_test(
    pytester: pytest.Pytester, bus_errors: BusErrors
) -> None:
    result = _run(
        pytester,
        """
        from frontdesk.services.bus import InProcessBus
        from frontdesk.core.shared.records import Event

        def broken(event):
            raise KeyError("listener bug")

        def test_publish_to_a_broken_subscriber():
            bus = InProcessBus()
            bus.subscribe(broken)
            bus.publish([Event(account_id=7, kind="ticket.created", actor="test")])

        def test_a_test_that_expects_it_takes_the_records(bus_errors):
            bus = InProcessBus()
            bus.subscribe(broken)
            bus.publish([Event(account_id=7, kind="ticket.created", actor="test")])
            assert len(bus_errors.take()) == 1
        """,
    )
    # The failing test passes its call and errors in teardown, where the guard looks.
    result.assert_outcomes(passed=2, errors=1)
    # The inner run is in this process: its records reached this test's guard as well.
    assert len(bus_errors.take()) == 2
    result.stdout.fnmatch_lines(
        ["*an event subscriber raised during this test*", "*broken failed on ticket.created*"]
    )
