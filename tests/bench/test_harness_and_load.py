"""The benchmark figures that come from raw timings and wrk's output (no server, no wrk)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.harness import ms, pinned
from bench.load import Op, combined, sequential_figures, wrk_figures


def test_ms_is_the_quantile_of_seconds_in_milliseconds() -> None:
    timings = [0.010, 0.001, 0.003, 0.002, 0.100]  # unsorted on purpose
    assert ms(timings, 0.5) == 3.0
    assert ms(timings, 0.0) == 1.0
    assert ms(timings, 0.99) == 100.0  # never past the last value
    assert ms([0.0123456], 0.5) == 12.35


def test_pinned_runs_under_taskset_only_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    monkeypatch.setattr("shutil.which", lambda name: f"/usr/bin/{name}")
    assert pinned(["wrk", "-t1"], "1") == ["taskset", "-c", "1", "wrk", "-t1"]
    assert pinned(["wrk"], None) == ["wrk"]
    monkeypatch.setattr("os.cpu_count", lambda: 1)  # one core: nothing to keep apart
    assert pinned(["wrk"], "1") == ["wrk"]


def _raw(requests: int, seconds: float, errors: dict[str, int] | None = None) -> dict[str, object]:
    return {
        "requests": requests,
        "duration_us": seconds * 1e6,
        "latency_us": {"p50": 1234.0, "p90": 5678.0, "p99": 9999.0},
        "errors": errors or {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0},
    }


def test_wrk_figures_turn_microseconds_into_rates_and_milliseconds() -> None:
    figures = wrk_figures(_raw(3000, 2.0))
    assert figures["req_per_s"] == 1500.0
    assert (figures["p50_ms"], figures["p90_ms"], figures["p99_ms"]) == (1.23, 5.68, 10.0)
    assert figures["requests"] == 3000 and figures["ok"] is True


def test_wrk_figures_fail_on_any_error_or_no_request() -> None:
    with_errors = _raw(100, 1.0, {"connect": 0, "read": 0, "status": 2, "timeout": 0})
    assert wrk_figures(with_errors)["ok"] is False
    assert wrk_figures(_raw(0, 1.0))["ok"] is False
    assert wrk_figures(_raw(0, 0.0))["req_per_s"] == 0.0  # no division by a zero duration


def test_sequential_figures() -> None:
    figures = sequential_figures([0.4, 0.1, 0.2, 0.3])
    assert figures["requests"] == 4
    assert figures["req_per_s"] == 4.0  # 4 requests in 1.0 s
    assert figures["p50_ms"] == 300.0  # the upper middle of an even count
    assert figures["p99_ms"] == 400.0  # the slowest
    assert figures["ok"] is True


def test_combined_takes_latency_from_one_connection_and_throughput_from_many() -> None:
    errors = {"connect": 0, "status": 1}
    latency = {**wrk_figures(_raw(50, 1.0)), "errors": errors}
    throughput = {**wrk_figures(_raw(400, 1.0)), "p50_ms": 20.0, "errors": errors}
    figures = combined(latency, throughput, connections=8)
    assert (figures["p50_ms"], figures["p50_loaded_ms"]) == (1.23, 20.0)
    assert (figures["req_per_s"], figures["req_per_s_one_connection"]) == (400.0, 50.0)
    assert figures["requests"] == 450 and figures["connections"] == 8
    assert figures["errors"] == {"connect": 0, "status": 2}
    assert figures["ok"] is True  # as each pass judged itself
    assert combined({**latency, "ok": False}, throughput, 8)["ok"] is False


def test_an_operation_is_written_as_the_lines_wrk_reads(tmp_path: Path) -> None:
    op = Op("create", [("GET", "/a?b=1", ""), ("POST", "/t", '{"x": 1}')], {"X-Key": "k"})
    op.write(tmp_path / "requests.tsv")
    assert (tmp_path / "requests.tsv").read_text().splitlines() == [
        "H\tX-Key\tk",
        "R\tGET\t/a?b=1\t",
        'R\tPOST\t/t\t{"x": 1}',
    ]
    with pytest.raises(ValueError, match="tabs and newlines"):
        Op("bad", [("POST", "/t", "a\tb")]).write(tmp_path / "bad.tsv")
