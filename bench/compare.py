"""Before and after: two versions of Frontdesk measured in one run (`--compare-ref REF`).

REF is checked out into a temporary git worktree. Both versions are served by this venv's
Python with PYTHONPATH set to their own `src` (checked first: `frontdesk.__file__` must lie
under it), side by side, on one seeded database when their migrations are the same, else
each on its own. Every operation is measured before, after, after, before, ... so that
whatever else the machine is doing, and whichever side goes first, falls on both alike.
bench/suite.py runs it; this module holds the parts that do not need a server.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from statistics import median
from typing import Any

from bench.report import _num

Figures = dict[str, Any]
BEFORE, AFTER = "before", "after"
MIGRATIONS = Path("frontdesk") / "storage" / "migrations" / "versions"


@dataclass(frozen=True)
class Row:
    """One operation's line of the comparison."""

    name: str
    before_p50: float | None
    after_p50: float | None
    before_rps: float | None
    after_rps: float | None

    @property
    def ratio(self) -> float | None:
        """after / before in requests per second: above 1 is faster."""
        if not self.before_rps or self.after_rps is None:
            return None
        return self.after_rps / self.before_rps


def schedule(names: Sequence[str], rounds: int) -> list[tuple[str, str]]:
    """The order of the passes: per operation, before and after `rounds` times each, every
    second round the other way round (before, after, after, before, ...). Strictly
    alternating, the second of each pair ran faster even with the same code on both
    sides (10 to 30% more req/s on this machine): which side goes first must change."""
    order = [(BEFORE, AFTER) if turn % 2 == 0 else (AFTER, BEFORE) for turn in range(rounds)]
    return [(name, side) for name in names for pair in order for side in pair]


def summarise(passes: Sequence[Figures]) -> Figures:
    """One version's figures for one operation: the median of its passes' p50 and req/s.
    An operation with a failed pass is failed: its other passes are not the whole story."""
    if not passes or not all(found.get("ok") for found in passes):
        errors = [found.get("error") for found in passes if not found.get("ok")]
        return {"ok": False, "errors": errors, "passes": len(passes)}
    return {
        "ok": True,
        "p50_ms": round(median(float(found["p50_ms"]) for found in passes), 2),
        "req_per_s": round(median(float(found["req_per_s"]) for found in passes), 1),
        "passes": len(passes),
    }


def rows(before: dict[str, Figures], after: dict[str, Figures]) -> list[Row]:
    """A row for every operation measured on either side, in the order measured."""

    def value(figures: Figures | None, key: str) -> float | None:
        return float(figures[key]) if figures and figures.get("ok") else None

    names = list(dict.fromkeys([*before, *after]))
    return [
        Row(
            name,
            value(before.get(name), "p50_ms"),
            value(after.get(name), "p50_ms"),
            value(before.get(name), "req_per_s"),
            value(after.get(name), "req_per_s"),
        )
        for name in names
    ]


def table(found: Sequence[Row]) -> list[str]:
    lines = [
        "| operation | before p50 ms | after p50 ms | before req/s | after req/s | after/before |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for row in found:
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
        lines.append(
            f"| {row.name} | {_num(row.before_p50, 2)} | {_num(row.after_p50, 2)} "
            f"| {_num(row.before_rps)} | {_num(row.after_rps)} | {ratio} |"
        )
    return lines


def markdown(results: Figures) -> str:
    """The comparison for every backend, with what was compared and how."""
    ref, head = results["before"], results["after"]
    out = [
        f"Before: {ref['ref']} ({ref['commit'][:12]}); after: the working tree on "
        f"{head['commit'][:12]}{' with changes' if head['dirty'] else ''}. "
        f"{results['tickets']:,} tickets; every operation measured {results['rounds']} times "
        f"on each side, alternating (before, after, after, before, ...); the medians of the "
        f"passes. "
        f"p50: one connection; req/s: {results['connections']} connections, "
        f"{results['duration']} s a pass.",
    ]
    for backend, found in results["backends"].items():
        database = "one database" if found["shared_database"] else "a database each"
        out += ["", f"### {backend} ({database})", ""]
        out += table(rows(found[BEFORE], found[AFTER]))
    return "\n".join(out)


def migrations_digest(src: Path) -> str:
    """A digest of a tree's migrations: equal digests, equal schemas."""
    digest = hashlib.sha256()
    folder = src / MIGRATIONS
    for path in sorted(folder.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def imported_from(src: Path) -> Path:
    """Where this venv's Python imports `frontdesk` from with PYTHONPATH=src."""
    probe = "import frontdesk; print(frontdesk.__file__)"
    done = subprocess.run(
        [sys.executable, "-c", probe],
        env=served_env(src),
        capture_output=True,
        text=True,
        check=True,
    )
    return Path(done.stdout.strip()).resolve()


def served_env(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src)}


def check_imports(src: Path) -> None:
    """Stop unless a server started with PYTHONPATH=src really runs that tree's code (an
    installed copy or the editable install of the working tree would otherwise win)."""
    found = imported_from(src)
    if not found.is_relative_to(src.resolve()):
        raise RuntimeError(f"PYTHONPATH={src} imports frontdesk from {found}, not from {src}")


def git(uow: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=uow, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def version_of(uow: Path, ref: str = "HEAD") -> Figures:
    """The commit a ref names, and whether the working tree differs from it."""
    commit = git(uow, "rev-parse", "--verify", f"{ref}^{{commit}}")
    dirty = bool(git(uow, "status", "--porcelain", "--untracked-files=no"))
    return {"ref": ref, "commit": commit, "dirty": dirty}


@contextmanager
def worktree(uow: Path, ref: str) -> Iterator[Path]:
    """REF checked out (detached) in a temporary git worktree, removed after."""
    parent = Path(tempfile.mkdtemp(prefix="frontdesk-compare-"))
    path = parent / "tree"
    git(uow, "worktree", "add", "--detach", str(path), ref)
    try:
        yield path
    finally:
        git(uow, "worktree", "remove", "--force", str(path))
        shutil.rmtree(parent, ignore_errors=True)
