"""Before/after comparison (bench/compare.py): its order, figures and table, and the
checks that the old version really is the old code (a small git repository of its own)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from bench import compare
from bench.compare import AFTER, BEFORE, Row


def ok(p50: float, rps: float) -> dict[str, Any]:
    return {"ok": True, "p50_ms": p50, "req_per_s": rps}


def test_every_operation_alternates_between_the_versions() -> None:
    # Each side goes first as often as the other (the second of a pair runs faster).
    assert compare.schedule(["list", "search"], 2) == [
        ("list", BEFORE), ("list", AFTER), ("list", AFTER), ("list", BEFORE),
        ("search", BEFORE), ("search", AFTER), ("search", AFTER), ("search", BEFORE),
    ]  # fmt: skip
    assert compare.schedule(["list"], 3)[4:] == [("list", BEFORE), ("list", AFTER)]


def test_a_version_is_summarised_by_the_medians_of_its_passes() -> None:
    found = compare.summarise([ok(3.0, 100.0), ok(1.0, 300.0), ok(2.0, 250.0)])
    assert found == {"ok": True, "p50_ms": 2.0, "req_per_s": 250.0, "passes": 3}
    assert compare.summarise([ok(1.0, 100.0), ok(2.0, 200.0)])["p50_ms"] == 1.5


def test_one_failed_pass_fails_the_operation() -> None:
    found = compare.summarise([ok(1.0, 100.0), {"ok": False, "error": "HTTP 500"}])
    assert found == {"ok": False, "errors": ["HTTP 500"], "passes": 2}
    assert compare.summarise([])["ok"] is False


def test_rows_pair_the_versions_and_the_ratio_is_after_over_before() -> None:
    before = {"list": ok(2.0, 400.0), "create": {"ok": False}}
    after = {"list": ok(1.0, 600.0), "create": ok(5.0, 900.0), "new": ok(1.0, 10.0)}
    found = compare.rows(before, after)
    assert [row.name for row in found] == ["list", "create", "new"]
    assert found[0] == Row("list", 2.0, 1.0, 400.0, 600.0)
    assert found[0].ratio == 1.5
    assert found[1].ratio is None  # nothing to compare with
    assert Row("x", 1.0, None, 100.0, None).ratio is None


def test_the_table() -> None:
    lines = compare.table([Row("list", 2.0, 1.0, 400.0, 600.0), Row("new", None, 1.0, None, 10.0)])
    assert lines[0] == (
        "| operation | before p50 ms | after p50 ms | before req/s | after req/s | after/before |"
    )
    assert lines[2] == "| list | 2.00 | 1.00 | 400 | 600 | 1.50x |"
    assert lines[3] == "| new | - | 1.00 | - | 10.0 | - |"


def test_the_markdown_names_both_versions_and_each_backend() -> None:
    results = {
        "before": {"ref": "HEAD~1", "commit": "a" * 40, "dirty": False},
        "after": {"ref": "HEAD", "commit": "b" * 40, "dirty": True},
        "tickets": 10_000, "rounds": 2, "duration": 3, "connections": 8,
        "backends": {"sqlite": {"shared_database": True, BEFORE: {"list": ok(2.0, 400.0)},
                                AFTER: {"list": ok(1.0, 600.0)}}},
    }  # fmt: skip
    text = compare.markdown(results)
    assert text.startswith(f"Before: HEAD~1 ({'a' * 12}); after: the working tree on {'b' * 12}")
    assert "with changes" in text and "10,000 tickets" in text
    assert "### sqlite (one database)" in text
    assert text.endswith("| list | 2.00 | 1.00 | 400 | 600 | 1.50x |")


def _tree(root: Path, migration: str) -> Path:
    """A stand-in source tree: a `frontdesk` package with one migration."""
    versions = root / "src" / compare.MIGRATIONS
    versions.mkdir(parents=True)
    (root / "src" / "frontdesk" / "__init__.py").write_text("")
    (versions / "0001_first.py").write_text(migration)
    return root / "src"


def test_equal_migrations_mean_one_database(tmp_path: Path) -> None:
    one = _tree(tmp_path / "one", "revision = '0001'\n")
    same = _tree(tmp_path / "same", "revision = '0001'\n")
    other = _tree(tmp_path / "other", "revision = '0001'  # changed\n")
    assert compare.migrations_digest(one) == compare.migrations_digest(same)
    assert compare.migrations_digest(one) != compare.migrations_digest(other)
    (same / compare.MIGRATIONS / "0002_more.py").write_text("")
    assert compare.migrations_digest(one) != compare.migrations_digest(same)


def test_pythonpath_decides_which_frontdesk_is_imported(tmp_path: Path) -> None:
    src = _tree(tmp_path / "old", "")
    assert compare.imported_from(src) == (src / "frontdesk" / "__init__.py").resolve()
    compare.check_imports(src)
    # Without a frontdesk package there, the installed one is found: refused.
    with pytest.raises(RuntimeError, match="imports frontdesk from"):
        compare.check_imports(tmp_path)


def _git(uow: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=uow, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_the_ref_is_checked_out_in_a_worktree_that_is_removed_after(tmp_path: Path) -> None:
    uow = tmp_path / "uow"
    uow.mkdir()
    _git(uow, "init", "-q")
    for text in ("old", "new"):
        (uow / "file.txt").write_text(text)
        _git(uow, "add", "file.txt")
        _git(uow, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", text)
    first = _git(uow, "rev-parse", "HEAD~1")
    assert compare.version_of(uow, "HEAD~1") == {"ref": "HEAD~1", "commit": first, "dirty": False}
    (uow / "file.txt").write_text("changed")
    assert compare.version_of(uow)["dirty"] is True
    with compare.worktree(uow, "HEAD~1") as tree:
        assert (tree / "file.txt").read_text() == "old"
    assert not tree.exists()
    assert _git(uow, "worktree", "list").count("\n") == 0  # only the repository itself
