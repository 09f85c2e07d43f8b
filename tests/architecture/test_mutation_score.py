"""The mutation score's table (tools/mutation_score.py) on small `mutants/` folders of its own."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from tools.mutation_score import (
    PACKAGES,
    Mutant,
    Tally,
    main,
    mutmut_config,
    package_of,
    prepare,
    read_mutants,
    survivors,
    table,
    tally,
)

ROOT = Path(__file__).resolve().parents[2]
SHARED = "src/frontdesk/core/shared/text.py"
TRANSLATE = "src/frontdesk/api/imbox/translate.py"


def _meta(root: Path, source: str, codes: dict[str, int | None], folder: str = "") -> None:
    """A `.meta` file as mutmut 3 writes it (the keys this module does not read included),
    in the folder of the source's package unless another is named."""
    folder = folder or package_of(source) or "core/shared"
    path = root / folder.replace("/", "-") / "mutants" / f"{source}.meta"
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "exit_code_by_key": codes,
        "hash_by_function_name": {},
        "durations_by_key": {},
        "estimated_durations_by_key": {},
    }
    path.write_text(json.dumps(body), encoding="utf-8")


def test_each_source_file_belongs_to_the_package_whose_globs_name_it() -> None:
    assert package_of(SHARED) == "core/shared"
    assert package_of("src/frontdesk/core/tickets/_changes.py") == "core/tickets"
    assert package_of(TRANSLATE) == "api/imbox"
    assert package_of("src/frontdesk/api/inboxops/words.py") == "api/inboxops"
    # the dialects' routes and schemas are not scored, nor is anything outside core and api
    assert package_of("src/frontdesk/api/imbox/routes.py") is None
    assert package_of("src/frontdesk/storage/uow.py") is None


def test_every_source_file_of_core_and_each_translation_module_is_scored() -> None:
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "src/frontdesk").rglob("*.py")}
    scored = {s for s in sources if package_of(s) is not None}
    core = {s for s in sources if s.startswith("src/frontdesk/core/")}
    # core/__init__.py only names the package: mutmut mutates functions, and it has none
    assert core - scored == {"src/frontdesk/core/__init__.py"}
    assert sorted(scored - core) == [
        "src/frontdesk/api/imbox/chat_translate.py",
        "src/frontdesk/api/imbox/translate.py",
        "src/frontdesk/api/inboxops/translate.py",
        "src/frontdesk/api/inboxops/words.py",
        "src/frontdesk/api/native/translate.py",
        "src/frontdesk/api/v3/translate.py",
    ]
    # and every test path a package names exists, so no run silently tests nothing
    for chosen in PACKAGES.values():
        for arg in chosen.tests:
            assert (ROOT / arg.removeprefix("--ignore=")).exists(), arg


def test_a_packages_folder_holds_the_project_config_and_its_own_mutmut_table(
    tmp_path: Path,
) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    folder = prepare("api/v3", tmp_path)
    assert folder == tmp_path / ".mutation" / "api-v3"
    assert (folder / "src").resolve() == (tmp_path / "src").resolve()
    assert (folder / "tests").readlink() == Path("../../tests")
    config = tomllib.loads((folder / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["project"] == {"name": "x"}
    assert config["tool"]["mutmut"]["only_mutate"] == ["src/frontdesk/api/v3/translate.py"]
    assert config["tool"]["mutmut"]["pytest_add_cli_args_test_selection"] == [
        "tests/dialects/v3",
        "-k",
        "not postgresql",
        "-m",
        "not slow",
    ]
    assert prepare("api/v3", tmp_path) == folder  # a second run reuses it
    assert mutmut_config("api/v3") in (folder / "pyproject.toml").read_text(encoding="utf-8")


def test_exit_codes_are_counted_in_their_columns() -> None:
    counts = Tally()
    for code in (1, 3, 37, 0, 0, 36, -24, 33, 5, None, -11):
        counts.add(code)
    assert (counts.killed, counts.survived, counts.timeout, counts.no_tests) == (3, 2, 2, 2)
    assert (counts.not_checked, counts.other, counts.total) == (1, 1, 11)


def test_the_score_counts_timeouts_as_noticed_and_untested_mutants_against_it() -> None:
    counts = Tally(killed=6, survived=1, timeout=2, no_tests=1)
    assert counts.score == pytest.approx(0.8)
    assert Tally().score is None
    # a package with mutants still unchecked has no score yet, rather than a flattering one
    assert Tally(killed=5, not_checked=1).score is None


def test_the_table_has_a_row_per_package_with_mutants_and_one_per_group(tmp_path: Path) -> None:
    _meta(tmp_path, SHARED, {"a__mutmut_1": 1, "a__mutmut_2": 1, "a__mutmut_3": 0, "b": 36})
    _meta(tmp_path, TRANSLATE, {"t__mutmut_1": 1, "t__mutmut_2": 33})
    _meta(tmp_path, "src/frontdesk/core/tickets/bulk.py", {"k__mutmut_1": 1})
    _meta(tmp_path, "src/frontdesk/storage/uow.py", {"u__mutmut_1": 0})  # not scored
    # the same file as copied into another package's folder: counted in its own only
    _meta(tmp_path, TRANSLATE, {"t__mutmut_1": 0}, folder="api/v3")
    lines = table(tally(read_mutants(tmp_path))).splitlines()
    assert lines[2:] == [
        "| `core/shared` | 4 | 2 | 1 | 1 | 0 | 75.0% |",
        "| `core/tickets` | 1 | 1 | 0 | 0 | 0 | 100.0% |",
        "| `api/imbox` | 2 | 1 | 0 | 0 | 1 | 50.0% |",
        "| **`core/` in all** | 5 | 3 | 1 | 1 | 0 | 80.0% |",
        "| **`api/` in all** | 2 | 1 | 0 | 0 | 1 | 50.0% |",
    ]


def test_survivors_are_the_mutants_alive_in_scored_packages(tmp_path: Path) -> None:
    _meta(tmp_path, SHARED, {"a__mutmut_1": 1, "a__mutmut_2": 0, "a__mutmut_3": 24})
    _meta(tmp_path, TRANSLATE, {"t__mutmut_1": 5})
    _meta(tmp_path, "src/frontdesk/storage/uow.py", {"u__mutmut_1": 0})
    alive = survivors(read_mutants(tmp_path))
    assert alive == [
        Mutant("t__mutmut_1", TRANSLATE, 5),
        Mutant("a__mutmut_2", SHARED, 0),
    ]


def test_the_command_prints_the_table_and_the_survivors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _meta(tmp_path / ".mutation", SHARED, {"a__mutmut_1": 1, "a__mutmut_2": 0})
    assert main(["--root", str(tmp_path), "--survivors"]) == 0
    out = capsys.readouterr().out
    assert "| `core/shared` | 2 | 1 | 1 | 0 | 0 | 50.0% |" in out
    assert out.rstrip().endswith("a__mutmut_2  (survived)")
    with pytest.raises(SystemExit):
        main(["--prepare", "core/nowhere"])


def test_the_command_names_a_packages_survivors_for_a_second_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _meta(tmp_path / ".mutation", SHARED, {"a__mutmut_1": 1, "a__mutmut_2": 0, "a__mutmut_3": 33})
    _meta(tmp_path / ".mutation", TRANSLATE, {"t__mutmut_1": 0})
    assert main(["--root", str(tmp_path), "--alive", "core/shared"]) == 0
    assert capsys.readouterr().out == "a__mutmut_2 a__mutmut_3\n"
    with pytest.raises(SystemExit):
        main(["--root", str(tmp_path), "--alive", "core/nowhere"])


def _read_codes(root: Path, source: str) -> dict[str, int | None]:
    folder = (package_of(source) or "").replace("/", "-")
    path = root / ".mutation" / folder / "mutants" / f"{source}.meta"
    codes: dict[str, int | None] = json.loads(path.read_text(encoding="utf-8"))["exit_code_by_key"]
    return codes


def test_a_re_test_of_the_survivors_keeps_every_other_mutants_result(tmp_path: Path) -> None:
    """The trap of `--again` (docs/testing.md): `mutmut run <names>` left the mutants it was
    not given unchecked. What was kept before it is put back on those, and only those."""
    work = tmp_path / ".mutation"
    hashes = {"x_a": "h1", "x_b": "h2"}
    before = {
        "m.x_a__mutmut_1": 1,
        "m.x_a__mutmut_2": 0,
        "m.x_b__mutmut_1": 36,
        "m.x_b__mutmut_2": 1,
    }
    _meta(work, SHARED, before)
    meta = work / "core-shared" / "mutants" / f"{SHARED}.meta"
    body = json.loads(meta.read_text(encoding="utf-8"))
    body["hash_by_function_name"] = hashes
    meta.write_text(json.dumps(body), encoding="utf-8")
    assert main(["--root", str(tmp_path), "--keep", "core/shared"]) == 0
    # the run: the survivor re-tested and killed, the others left unchecked, except one that a
    # changed function's re-test would give anyway
    body["exit_code_by_key"] = {
        "m.x_a__mutmut_1": None,
        "m.x_a__mutmut_2": 1,
        "m.x_b__mutmut_1": None,
        "m.x_b__mutmut_2": 0,
    }
    meta.write_text(json.dumps(body), encoding="utf-8")
    assert main(["--root", str(tmp_path), "--restore", "core/shared"]) == 0
    assert _read_codes(tmp_path, SHARED) == {
        "m.x_a__mutmut_1": 1,  # put back
        "m.x_a__mutmut_2": 1,  # the re-test's own result wins over the kept 0
        "m.x_b__mutmut_1": 36,  # put back
        "m.x_b__mutmut_2": 0,  # the run's result, not the kept 1
    }
    assert not (work / "core-shared" / "kept-results.json").exists()
    # a second restore has nothing to put back and changes nothing
    assert main(["--root", str(tmp_path), "--restore", "core/shared"]) == 0
    assert _read_codes(tmp_path, SHARED)["m.x_a__mutmut_1"] == 1


def test_a_changed_functions_mutants_stay_unchecked_after_a_re_test(tmp_path: Path) -> None:
    work = tmp_path / ".mutation"
    _meta(work, SHARED, {"m.x_a__mutmut_1": 1, "m.x_b__mutmut_1": 1, "m.x_c__mutmut_1": 1})
    meta = work / "core-shared" / "mutants" / f"{SHARED}.meta"
    body = json.loads(meta.read_text(encoding="utf-8"))
    body["hash_by_function_name"] = {"x_a": "old", "x_b": "same", "x_c": "gone"}
    meta.write_text(json.dumps(body), encoding="utf-8")
    assert main(["--root", str(tmp_path), "--keep", "core/shared"]) == 0
    # x_a was edited and x_c removed since: their old kills say nothing about the new code
    body["hash_by_function_name"] = {"x_a": "new", "x_b": "same"}
    body["exit_code_by_key"] = {
        "m.x_a__mutmut_1": None,
        "m.x_b__mutmut_1": None,
        "m.x_d__mutmut_1": None,
    }
    meta.write_text(json.dumps(body), encoding="utf-8")
    assert main(["--root", str(tmp_path), "--restore", "core/shared"]) == 0
    assert _read_codes(tmp_path, SHARED) == {
        "m.x_a__mutmut_1": None,
        "m.x_b__mutmut_1": 1,
        "m.x_d__mutmut_1": None,
    }


def _with_hashes(root: Path, source: str, hashes: dict[str, str]) -> Path:
    folder = (package_of(source) or "").replace("/", "-")
    meta = root / ".mutation" / folder / "mutants" / f"{source}.meta"
    body = json.loads(meta.read_text(encoding="utf-8"))
    body["hash_by_function_name"] = hashes
    meta.write_text(json.dumps(body), encoding="utf-8")
    return meta


def test_saved_results_seed_a_new_machines_run_where_the_last_one_stopped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Results go into git (tools/mutation-results/) and come back on a machine with no
    `.mutation/`: checked results only, the module's own mutants only, as mutmut reads them."""
    ran, fresh = tmp_path / "ran", tmp_path / "fresh"
    codes = {
        "frontdesk.core.shared.text.x_a__mutmut_1": 1,
        "frontdesk.core.shared.text.x_a__mutmut_2": 0,
        "frontdesk.core.shared.text.xǁBoxǁopen__mutmut_1": 36,
        "frontdesk.core.shared.text.x_b__mutmut_1": None,  # not checked: not saved
    }
    _meta(ran / ".mutation", SHARED, codes)
    _with_hashes(ran, SHARED, {"x_a": "h1", "xǁBoxǁopen": "h2", "x_b": "h3"})
    _meta(
        ran / ".mutation",
        TRANSLATE,
        {"frontdesk.api.imbox.translate.x_c__mutmut_1": 0},
        folder="core/shared",
    )  # mutmut copies every file: not this package's
    assert main(["--root", str(ran), "--save", "core/shared"]) == 0
    saved_path = ran / "tools" / "mutation-results" / "core-shared.json"
    saved = json.loads(saved_path.read_text(encoding="utf-8"))
    assert list(saved) == [f"{SHARED}.meta"]
    assert saved[f"{SHARED}.meta"] == {
        "module": "frontdesk.core.shared.text",
        "hash_by_function_name": {"x_a": "h1", "xǁBoxǁopen": "h2", "x_b": "h3"},
        "exit_code_by_key": {"x_a__mutmut_1": 1, "x_a__mutmut_2": 0, "xǁBoxǁopen__mutmut_1": 36},
    }
    (fresh / "tools" / "mutation-results").mkdir(parents=True)
    (fresh / "tools" / "mutation-results" / "core-shared.json").write_bytes(saved_path.read_bytes())
    assert main(["--root", str(fresh), "--seed", "core/shared"]) == 0
    assert _read_codes(fresh, SHARED) == {k: v for k, v in codes.items() if v is not None}
    # mutmut itself loads the seeded file (it asserts there are no unknown keys)
    from mutmut.mutation.data import SourceFileMutationData

    monkeypatch.chdir(fresh / ".mutation" / "core-shared")
    loaded = SourceFileMutationData(path=SHARED)
    loaded.load()
    assert loaded.hash_by_function_name["x_a"] == "h1"
    assert loaded.exit_code_by_key["frontdesk.core.shared.text.x_a__mutmut_2"] == 0


def test_seeding_fills_only_unchecked_mutants_of_unchanged_functions(tmp_path: Path) -> None:
    _meta(tmp_path / ".mutation", SHARED, {"m.x_a__mutmut_1": 1, "m.x_b__mutmut_1": 0,
                                           "m.x_c__mutmut_1": 1})  # fmt: skip
    _with_hashes(tmp_path, SHARED, {"x_a": "same", "x_b": "same", "x_c": "old"})
    assert main(["--root", str(tmp_path), "--save", "core/shared"]) == 0
    # this machine's own run since: x_c edited, x_b's mutant re-tested and killed, a new x_d
    since: dict[str, int | None] = {
        "m.x_a__mutmut_1": None,
        "m.x_b__mutmut_1": 1,
        "m.x_c__mutmut_1": None,
        "m.x_d__mutmut_1": None,
    }
    _meta(tmp_path / ".mutation", SHARED, since)
    _with_hashes(tmp_path, SHARED, {"x_a": "same", "x_b": "same", "x_c": "new", "x_d": "d"})
    assert main(["--root", str(tmp_path), "--seed", "core/shared"]) == 0
    assert _read_codes(tmp_path, SHARED) == {
        "m.x_a__mutmut_1": 1,  # brought in
        "m.x_b__mutmut_1": 1,  # this machine's result wins over the saved 0
        "m.x_c__mutmut_1": None,  # its function changed: tested again
        "m.x_d__mutmut_1": None,
    }
    assert main(["--root", str(tmp_path / "elsewhere"), "--seed", "core/shared"]) == 0  # none
