"""The suite's markdown tables (bench/report.py) from a small hand-made results set."""

from __future__ import annotations

from typing import Any

import pytest

from bench.report import (
    _num,
    csv_table,
    frontdesk_table,
    growth_table,
    markdown,
    peer_table,
    seed_table,
    targets,
)


def fig(p50: float, rps: float, route: str = "", **extra: Any) -> dict[str, Any]:
    return {"ok": True, "p50_ms": p50, "p99_ms": p50 * 3, "req_per_s": rps, "route": route, **extra}


FAILED = {"ok": False, "error": "HTTP 500"}
SEED = {"tickets": 10_000, "messages": 30_000, "seconds": 4.5, "rows_per_second": 8_888}


def results() -> dict[str, Any]:
    sqlite = {
        "bare ceiling": fig(0.2, 8000.0, "bare Starlette GET /healthz"),
        "ceiling": fig(0.5, 4000.0, "GET /healthz"),
        "list first page": fig(2.0, 1000.0, "ImBox listTickets"),
        "list deep page": fig(2.2, 900.0, "ImBox listTickets, cursor"),
        "one ticket": fig(3.0, 2400.0, "native GET"),
        "search, rare word": fig(12.0, 300.0, "InboxOps ?search=zeppelin"),
        "search, common word": FAILED,
        "create": fig(4.0, 1200.0, "native POST"),
        "csv export": {
            "ok": True, "rows": 10_000, "seconds": 1.5, "rows_per_s": 6_667, "mib": 2.1,
            "rss_before_mib": 80.0, "rss_peak_mib": 95.5, "rss_growth_mib": 15.5,
        },
    }  # fmt: skip
    return {
        "started": "2026-01-01T00:00:00+00:00",
        "machine": {"cores": 2, "cpu": "Test CPU", "load_average_start": (1.0, 0.5, 0.25)},
        "settings": {"tickets": 10_000, "messages_per_ticket": 3, "workers": 2, "page": 25},
        "frontdesk": {
            "sqlite": {"backend": "sqlite", "tickets": 10_000, "seed": SEED, "operations": sqlite}
        },
        "peer": {
            "version": "1.0",
            "seed": {"tickets": 10_000, "messages": 30_000, "seconds": 60.0},
            "operations": {
                "list first page": {
                    "/api/tickets/": fig(40.0, 50.0),
                    "datatables": fig(30.0, 100.0),
                },
                "create": {"/api/tickets/": FAILED},
            },
        },
        "growth": [
            {
                "tickets": 10_000, "backend": "sqlite", "seed": SEED,
                "list first page": fig(2.0, 1000.0), "list deep page": fig(2.2, 900.0),
                "ceiling": fig(0.5, 4000.0),
            },
            {
                "tickets": 100_000, "backend": "sqlite", "seed": {**SEED, "tickets": 100_000},
                "list first page": fig(2.0, 900.0), "list deep page": fig(3.0, 800.0),
            },
        ],
    }  # fmt: skip


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "-"),
        (1234.5, "1,234"),  # hundreds and up: whole, with separators
        (0.0123, "0.012"),  # below one: two significant digits
        (2.345, "2.3"),
        (12.345, "12.3"),
        (12345, "12,345"),
        ("x", "x"),
    ],
)
def test_numbers_are_shown_at_a_readable_precision(value: Any, shown: str) -> None:
    assert _num(value) == shown


def test_num_takes_more_digits_below_ten_when_asked() -> None:
    assert _num(2.345, 2) == "2.35" and _num(12.345, 2) == "12.3"


def test_the_frontdesk_table_shows_latency_throughput_and_share_of_both_ceilings() -> None:
    lines = frontdesk_table(results())
    assert lines[0] == (
        "| operation | route | sqlite p50 ms | p99 ms | req/s | of /healthz | of bare |"
    )
    rows = {line.split(" | ")[0].lstrip("| "): line for line in lines[2:]}
    assert rows["bare ceiling"] == (
        "| bare ceiling | bare Starlette GET /healthz | 0.2 | 0.6 | 8,000 | 200% | 100% |"
    )
    assert rows["ceiling"] == "| ceiling | GET /healthz | 0.5 | 1.50 | 4,000 | 100% | 50% |"
    assert rows["one ticket"] == "| one ticket | native GET | 3.00 | 9.00 | 2,400 | 60% | 30% |"
    assert rows["create"].endswith("| 1,200 | 30% | 15% |")  # writes have their share too
    assert rows["search, common word"] == "| search, common word |  | failed |  |  |  |  |"
    assert rows["status filter"] == "| status filter |  | - | - | - | - | - |"  # not measured


def test_without_a_bare_ceiling_its_share_is_unknown() -> None:
    measured = results()
    del measured["frontdesk"]["sqlite"]["operations"]["bare ceiling"]
    rows = {line.split(" | ")[0].lstrip("| "): line for line in frontdesk_table(measured)[2:]}
    assert rows["one ticket"].endswith("| 2,400 | 60% | - |")


def test_the_peer_table_compares_with_each_route_and_marks_the_fastest() -> None:
    lines = peer_table(results())
    assert len(lines) == 2 + 3
    assert "| list first page | 1,000 | 2.00 | datatables | 100 | 30.0 | **10.0x** |" in lines
    assert "| list first page | 1,000 | 2.00 | /api/tickets/ | 50.0 | 40.0 | 20.0x |" in lines
    assert "| create | 1,200 | 4.00 | /api/tickets/ | failed |  | - |" in lines


def test_the_csv_and_seed_tables() -> None:
    (row,) = csv_table(results())[2:]
    assert row == "| sqlite | 10,000 | 1.5 | 6,667 | 2.1 | 80.0 MiB | 95.5 MiB | 15.5 MiB |"
    seeds = seed_table(results())[2:]
    assert seeds[0] == "| Frontdesk, sqlite | 10,000 | 30,000 | 4.5 | 8,888 |"
    assert seeds[1].startswith("| Frontdesk, sqlite | 100,000 |")  # the main size only once
    assert (
        seeds[2] == "| django-helpdesk 1.0, SQLite (incl. migrate) | 10,000 | 30,000 | 60.0 | - |"
    )
    assert len(seeds) == 3


def test_the_growth_table_gives_the_deep_to_first_page_ratio() -> None:
    rows = growth_table(results())[2:]
    assert rows[0].startswith("| 10,000 | 30,000 | sqlite | 2.00 | 2.20 | 1.10 |")
    assert rows[1].startswith("| 100,000 | 30,000 | sqlite | 2.00 | 3.00 | 1.50 |")
    assert rows[1].endswith("| - | - | - | - | 900 | - |")  # what was not measured
    assert growth_table({"growth": []}) == []


def grown(tickets: int, scale: float, backend: str = "postgresql") -> dict[str, Any]:
    ops = {
        name: fig(p50 * scale, 100.0)
        for name, p50 in (
            ("list first page", 2.0), ("list deep page", 2.0), ("one ticket", 1.0),
            ("search, rare word", 4.0), ("search, common word", 5.0), ("create", 3.0),
        )
    }  # fmt: skip
    seed = {**SEED, "tickets": tickets, "messages": tickets}
    return {"tickets": tickets, "backend": backend, "seed": seed, **ops}


def test_the_growth_table_has_one_ticket_search_and_create_with_the_messages_seeded() -> None:
    (row,) = growth_table({"growth": [grown(10_000_000, 1.0)]})[2:]
    assert row == (
        "| 10,000,000 | 10,000,000 | postgresql | 2.00 | 2.00 | 1.00 | 1.00 | 4.00 | 5.00 "
        "| 3.00 | 100 | - |"
    )


def test_every_operation_stays_within_one_and_a_half_times_its_figure_at_100000() -> None:
    rows = [grown(100_000, 1.0), grown(1_000_000, 1.5), grown(10_000_000, 1.6)]
    rows[2]["create"] = FAILED
    found = {line.split(" | ")[0].lstrip("| "): line for line in targets({"growth": rows})[2:]}
    assert found["one ticket p50 <= 1.5x 100,000's (postgresql, 1,000,000)"].endswith(
        "| 1.50x | yes |"
    )  # exactly 1.5 is flat enough
    assert found["search, rare word p50 <= 1.5x 100,000's (postgresql, 10,000,000)"].endswith(
        "| 1.60x | no |"
    )
    assert found["create p50 <= 1.5x 100,000's (postgresql, 10,000,000)"].endswith(
        "| not measured | ? |"
    )
    assert len([label for label in found if "1.5x" in label]) == 12  # 6 operations, 2 sizes
    alone = targets({"growth": [grown(1_000_000, 9.0, "sqlite"), *rows[:1]]})
    assert not any("1.5x" in line and "sqlite" in line for line in alone)  # no base to judge


def test_targets_are_judged_against_the_figures() -> None:
    found = {line.split(" | ")[0].lstrip("| "): line for line in targets(results())[2:]}
    assert found["one ticket >= 50% of ceiling (sqlite)"].endswith("| 60% | yes |")
    assert found["search, rare word p50 <= 20 ms (sqlite, 10,000)"].endswith("| 12.0 ms | yes |")
    assert found["search, common word p50 <= 20 ms (sqlite, 10,000)"].endswith(
        "| not measured | ? |"
    )
    assert found["create >= 1,000/s (SQLite)"].endswith("| 1,200/s | yes |")
    assert found["CSV export RSS growth < 50 MB (sqlite, 10,000 rows)"].endswith("| yes |")
    assert found["deep / first page <= 1.2 (sqlite, 100,000)"].endswith("| 1.50 | no |")
    assert found["list first page >= 10x the peer"].endswith("| 10.0x | yes |")


def test_markdown_has_a_section_per_table_with_rows_only() -> None:
    text = markdown(results())
    assert text.startswith("Run 2026-01-01T00:00:00+00:00: 2 x Test CPU")
    assert "load average at start 1.0, 0.5, 0.2, at end ?" in text
    for title in ("Frontdesk", "CSV export", "Seeding", "Growth", "Targets"):
        assert f"### {title}" in text
    bare = markdown({"frontdesk": {}})
    assert "### Frontdesk" in bare and "### Growth" not in bare  # empty tables are left out
    assert "### Seeding" not in bare and "### CSV export" not in bare


def test_the_web_pages_are_judged_only_when_measured() -> None:
    measured = results()
    ops = measured["frontdesk"]["sqlite"]["operations"]
    ops["web ticket list"] = {"ok": True, "p50_ms": 9.5, "p99_ms": 20.0, "req_per_s": 300.0}
    ops["web ticket page"] = {"ok": True, "p50_ms": 10.0, "p99_ms": 20.0, "req_per_s": 200.0}
    found = {line.split(" | ")[0].lstrip("| "): line for line in targets(measured)[2:]}
    assert found["web ticket list p50 < 10 ms (sqlite, 10,000)"].endswith("| 9.5 ms | yes |")
    assert found["web ticket page p50 < 10 ms (sqlite, 10,000)"].endswith("| 10.0 ms | no |")
    assert not any(label.startswith("web ") for label in targets(results()))
