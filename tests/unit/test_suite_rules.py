"""The suite's own rules, run on small test files of their own (pytester): a thread that
crashes and an exception nobody can raise each fail the test they happened in, under this
project's pytest configuration."""

from __future__ import annotations

from pathlib import Path

import pytest

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def _run(pytester: pytest.Pytester, source: str) -> pytest.RunResult:
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
