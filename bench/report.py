"""The suite's results (bench/suite.py) as markdown tables, partial results included."""

from __future__ import annotations

from typing import Any

from bench.peer import best

Figures = dict[str, Any]
ORDER = [
    "bare ceiling",
    "ceiling",
    "list first page",
    "list deep page",
    "status filter",
    "one ticket",
    "search, rare word",
    "search, common word",
    "create",
    "web ticket list",
    "web ticket page",
    "web view counts",
]


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value >= 100:
        return f"{value:,.0f}"
    if isinstance(value, float) and 0 < value < 1:
        return f"{value:.2g}"
    if isinstance(value, float):
        return f"{value:.{digits}f}" if value < 10 else f"{value:.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _cells(fig: Figures | None, ceilings: list[float | None]) -> list[str]:
    """p50, p99, req/s, then the req/s as a share of each ceiling (writes too: a create's
    share says how much of the server's capacity one costs)."""
    if not fig:
        return ["-"] * (3 + len(ceilings))
    if not fig.get("ok"):
        return ["failed", "", ""] + [""] * len(ceilings)
    shares = [f"{fig['req_per_s'] / c:.0%}" if c else "-" for c in ceilings]
    return [_num(fig["p50_ms"], 2), _num(fig["p99_ms"], 2), _num(fig["req_per_s"]), *shares]


def _ceiling(run: Figures | None, name: str = "ceiling") -> float | None:
    fig = (run or {}).get("operations", {}).get(name)
    return float(fig["req_per_s"]) if fig and fig.get("ok") else None


def frontdesk_table(results: Figures) -> list[str]:
    runs = results.get("frontdesk", {})
    backends = list(runs)
    head = "| operation | route |"
    rule = "|---|---|"
    for backend in backends:
        head += f" {backend} p50 ms | p99 ms | req/s | of /healthz | of bare |"
        rule += "---:|---:|---:|---:|---:|"
    lines = [head, rule]
    for name in ORDER:
        routes = [runs[b]["operations"].get(name, {}).get("route") for b in backends]
        route = next((r for r in routes if r), "")
        row = f"| {name} | {route} |"
        for backend in backends:
            fig = runs[backend]["operations"].get(name)
            ceilings = [_ceiling(runs[backend]), _ceiling(runs[backend], "bare ceiling")]
            row += " " + " | ".join(_cells(fig, ceilings)) + " |"
        lines.append(row)
    return lines


def peer_table(results: Figures) -> list[str]:
    found = results.get("peer")
    ours = results.get("frontdesk", {}).get("sqlite")
    if not found or not ours:
        return []
    lines = [
        "| operation | Frontdesk (SQLite) req/s | p50 ms | peer route | peer req/s | p50 ms "
        "| Frontdesk / peer |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for name in ORDER:
        routes = found["operations"].get(name)
        if not routes:
            continue
        mine = ours["operations"].get(name, {})
        fastest = best(routes)
        for route, fig in routes.items():
            ratio = "-"
            if fig.get("ok") and mine.get("ok") and fig["req_per_s"]:
                ratio = f"{mine['req_per_s'] / fig['req_per_s']:,.1f}x"
                if fastest and fastest[0] == route and len(routes) > 1:
                    ratio = f"**{ratio}**"
            peer_cells = (
                [_num(fig["req_per_s"]), _num(fig["p50_ms"], 2)]
                if fig.get("ok")
                else ["failed", ""]
            )
            lines.append(
                f"| {name} | {_num(mine.get('req_per_s'))} | {_num(mine.get('p50_ms'), 2)} "
                f"| {route} | {' | '.join(peer_cells)} | {ratio} |"
            )
    return lines


def csv_table(results: Figures) -> list[str]:
    lines = [
        "| backend | rows | seconds | rows/s | MiB | server RSS before | peak | growth |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for backend, run in results.get("frontdesk", {}).items():
        fig = run["operations"].get("csv export")
        if not fig or not fig.get("ok"):
            continue
        lines.append(
            f"| {backend} | {fig['rows']:,} | {fig['seconds']} | {fig['rows_per_s']:,} "
            f"| {fig['mib']} | {fig['rss_before_mib']} MiB | {fig['rss_peak_mib']} MiB "
            f"| {fig['rss_growth_mib']} MiB |"
        )
    return lines


def seed_table(results: Figures) -> list[str]:
    lines = [
        "| what | tickets | messages | seconds | rows/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for backend, run in results.get("frontdesk", {}).items():
        s = run["seed"]
        lines.append(
            f"| Frontdesk, {backend} | {s['tickets']:,} | {s['messages']:,} | {s['seconds']} "
            f"| {s['rows_per_second']:,} |"
        )
    for row in results.get("growth", []):
        s = row["seed"]
        if s["tickets"] == results.get("settings", {}).get("tickets"):
            continue
        lines.append(
            f"| Frontdesk, {row['backend']} | {s['tickets']:,} | {s['messages']:,} "
            f"| {s['seconds']} | {s['rows_per_second']:,} |"
        )
    found = results.get("peer")
    if found:
        s = found["seed"]
        lines.append(
            f"| django-helpdesk {found['version']}, SQLite (incl. migrate) | {s['tickets']:,} "
            f"| {s['messages']:,} | {s['seconds']} | - |"
        )
    return lines


def growth_table(results: Figures) -> list[str]:
    rows = results.get("growth", [])
    if not rows:
        return []
    lines = [
        "| tickets | messages | backend | first page p50 ms | deep page p50 ms | deep / first "
        "| one ticket p50 ms | search rare p50 ms | search common p50 ms | create p50 ms "
        "| first page req/s | ceiling req/s |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:

        def p50(name: str, r: Figures = row) -> float | None:
            fig = r.get(name)
            return fig["p50_ms"] if fig and fig.get("ok") else None

        def rps(name: str, r: Figures = row) -> float | None:
            fig = r.get(name)
            return fig["req_per_s"] if fig and fig.get("ok") else None

        first, deep = p50("list first page"), p50("list deep page")
        ratio = f"{deep / first:.2f}" if first and deep else "-"
        messages = row.get("seed", {}).get("messages")
        lines.append(
            f"| {row['tickets']:,} | {_num(messages)} | {row['backend']} | {_num(first, 2)} "
            f"| {_num(deep, 2)} | {ratio} | {_num(p50('one ticket'), 2)} "
            f"| {_num(p50('search, rare word'), 2)} | {_num(p50('search, common word'), 2)} "
            f"| {_num(p50('create'), 2)} | {_num(rps('list first page'))} "
            f"| {_num(rps('ceiling'))} |"
        )
    return lines


GROWTH_BASE = 100_000
FLAT = 1.5  # issue 20: each p50 within 1.5x of its figure at 100,000 tickets
FLAT_OPS = (
    "list first page", "list deep page", "one ticket",
    "search, rare word", "search, common word", "create",
)  # fmt: skip


def flat_growth(rows: list[Figures]) -> list[tuple[str, str, bool | None]]:
    """Each larger size's p50 against the same backend's at 100,000 tickets, per operation."""
    base = {r["backend"]: r for r in rows if r["tickets"] == GROWTH_BASE}
    checks: list[tuple[str, str, bool | None]] = []
    for row in rows:
        first = base.get(row["backend"])
        if first is None or row["tickets"] <= GROWTH_BASE:
            continue
        for name in FLAT_OPS:
            now, then = row.get(name, {}), first.get(name, {})
            label = f"{name} p50 <= {FLAT}x 100,000's ({row['backend']}, {row['tickets']:,})"
            if now.get("ok") and then.get("ok"):
                ratio = now["p50_ms"] / then["p50_ms"]
                checks.append((label, f"{ratio:.2f}x", ratio <= FLAT))
            elif name in row or name in first:
                checks.append((label, "not measured", None))
    return checks


def targets(results: Figures) -> list[str]:
    """Each target of issue 8 against the figures of this run."""
    checks: list[tuple[str, str, bool | None]] = []
    for backend, run in results.get("frontdesk", {}).items():
        ops = run["operations"]
        ceiling, one = ops.get("ceiling", {}), ops.get("one ticket", {})
        if ceiling.get("ok") and one.get("ok"):
            share = one["req_per_s"] / ceiling["req_per_s"]
            label = f"one ticket >= 50% of ceiling ({backend})"
            checks.append((label, f"{share:.0%}", share >= 0.5))
        for name in ("search, rare word", "search, common word"):
            fig = ops.get(name, {})
            value = f"{fig['p50_ms']} ms" if fig.get("ok") else "not measured"
            met = fig["p50_ms"] <= 20 if fig.get("ok") else None
            checks.append((f"{name} p50 <= 20 ms ({backend}, {run['tickets']:,})", value, met))
        for name in ("web ticket list", "web ticket page"):  # issue 13: only when measured
            fig = ops.get(name, {})
            if fig.get("ok"):
                label = f"{name} p50 < 10 ms ({backend}, {run['tickets']:,})"
                checks.append((label, f"{fig['p50_ms']} ms", fig["p50_ms"] < 10))
        create = ops.get("create", {})
        if backend == "sqlite" and create.get("ok"):
            met = create["req_per_s"] >= 1000
            checks.append(("create >= 1,000/s (SQLite)", f"{create['req_per_s']:,.0f}/s", met))
        csv = ops.get("csv export", {})
        if csv.get("ok"):
            met = csv["rss_growth_mib"] < 50
            label = f"CSV export RSS growth < 50 MB ({backend}, {csv['rows']:,} rows)"
            checks.append((label, f"{csv['rss_growth_mib']} MiB", met))
    for row in results.get("growth", []):
        first, deep = row.get("list first page", {}), row.get("list deep page", {})
        if row["tickets"] >= 100_000 and first.get("ok") and deep.get("ok"):
            ratio = deep["p50_ms"] / first["p50_ms"]
            label = f"deep / first page <= 1.2 ({row['backend']}, {row['tickets']:,})"
            checks.append((label, f"{ratio:.2f}", ratio <= 1.2))
    checks += flat_growth(results.get("growth", []))
    found, ours = results.get("peer"), results.get("frontdesk", {}).get("sqlite")
    if found and ours:
        for name, routes in found["operations"].items():
            fastest, mine = best(routes), ours["operations"].get(name, {})
            if fastest and mine.get("ok"):
                ratio = mine["req_per_s"] / fastest[1]["req_per_s"]
                checks.append((f"{name} >= 10x the peer", f"{ratio:,.1f}x", ratio >= 10))
    lines = ["| target | this run | met |", "|---|---:|:---:|"]
    for label, value, met in checks:
        mark = "yes" if met else ("no" if met is False else "?")
        lines.append(f"| {label} | {value} | {mark} |")
    return lines


def markdown(results: Figures) -> str:
    m, s = results.get("machine", {}), results.get("settings", {})
    out = [
        f"Run {results.get('started', '?')}: {m.get('cores')} x {m.get('cpu')}, "
        f"{m.get('memory_gib')} GiB; load average at start {_load(m.get('load_average_start'))}"
        f", at end {_load(m.get('load_average_end'))}. Python {m.get('python')}, SQLite "
        f"{m.get('sqlite')}, PostgreSQL {m.get('postgresql', '-')}, {m.get('wrk')}; "
        f"{m.get('pinning')}.",
        "",
        f"{s.get('tickets', 0):,} tickets x {s.get('messages_per_ticket')} messages; "
        f"{s.get('workers')} server worker processes; wrk {s.get('wrk')}; pages of "
        f"{s.get('page')}. p50/p99: one connection; req/s: the throughput pass.",
    ]
    for title, lines in (
        ("Frontdesk", frontdesk_table(results)),
        ("Frontdesk against django-helpdesk (SQLite, same data)", peer_table(results)),
        ("CSV export of every ticket (ImBox `fileType=csv`)", csv_table(results)),
        ("Seeding", seed_table(results)),
        ("Growth with the number of tickets", growth_table(results)),
        ("Targets", targets(results)),
    ):
        if len(lines) > 2:
            out += ["", f"### {title}", "", *lines]
    return "\n".join(out)


def _load(value: Any) -> str:
    return ", ".join(f"{v:.1f}" for v in value) if value else "?"
