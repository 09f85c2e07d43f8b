"""The mutation score per package, from what `mutmut run` left in `mutants/`.

Each package runs in a folder of its own, `.mutation/<package>/`, because mutmut reads its
configuration (what to mutate, which tests) from the working directory's pyproject.toml.
There mutmut 3 writes one `mutants/<source>.py.meta` file per mutated module, holding an
exit code per mutant. This module prepares those folders, groups the mutants by the packages
of docs/testing.md ("Mutation score"), counts them, and prints the table and the survivors:

    .venv/bin/python -m tools.mutation_score                  # the table, as Markdown
    .venv/bin/python -m tools.mutation_score --survivors      # and every mutant still alive
    .venv/bin/python -m tools.mutation_score --prepare core/mail   # its folder for mutmut
    .venv/bin/python -m tools.mutation_score --keep core/mail      # before `mutmut run <names>`
    .venv/bin/python -m tools.mutation_score --restore core/mail   # after it
    .venv/bin/python -m tools.mutation_score --seed core/mail      # git's results, before a run
    .venv/bin/python -m tools.mutation_score --save core/mail      # into git, after it

The score is (killed + timeout) / mutants: a mutant that makes the tests run past mutmut's
time limit was noticed, as in most mutation tools. A mutant no test reaches ("no tests")
counts against the score like a survivor; it is not left out of the total.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

# What the run mutates, one package at a time: the core's areas, and each dialect's modules
# that turn vendor fields and status words into core records and back. Each package runs
# against the fast tests that reach it (no browser, no server process, no fault proxy); of
# those, mutmut runs only the ones that call a mutant's function, fastest first, to the
# first failure.
_FAST = ("-k", "not postgresql", "-m", "not slow")


@dataclass(frozen=True)
class Package:
    mutate: tuple[str, ...]  # globs of source files, relative to the project
    tests: tuple[str, ...]  # pytest arguments: the test files and folders to run

    @property
    def selection(self) -> list[str]:
        return [*self.tests, *_FAST]


PACKAGES: dict[str, Package] = {
    "core/shared": Package(
        ("src/frontdesk/core/shared/*.py",),
        (
            "tests/unit/test_addresses.py",
            "tests/unit/test_html.py",
            "tests/unit/test_shared.py",
            "tests/unit/test_bus.py",
            "tests/core",
            "tests/api/test_hostile_text.py",
            "tests/api/test_bad_input.py",
        ),
    ),
    "core/contacts": Package(
        ("src/frontdesk/core/contacts/*.py",),
        (
            "tests/core",
            "tests/dialects/v3",
            "tests/dialects/inboxops/test_auth_and_errors.py",
            "tests/dialects/imbox/test_other_dialects.py",
            # the native API's contact search and update, which nothing above calls
            "tests/api/test_contacts.py",
            "tests/api/test_admin.py",
        ),
    ),
    "core/identity": Package(
        ("src/frontdesk/core/identity/*.py",),
        (
            "tests/core/test_accounts.py",
            "tests/core/test_credentials.py",
            "tests/api/test_admin.py",
            "tests/api/test_isolation_and_scopes.py",
            "tests/api/test_abuse_limits.py",
            "tests/web/test_signin.py",
            # the account's business details, signatures, the portal's sign-in, two-factor
            # sign-in and passkeys, personal tokens, and the settings pages that call them
            "tests/core/test_business.py",
            "tests/core/test_signin_race.py",
            "tests/core/test_two_factor.py",
            "tests/core/test_password_reset.py",
            "tests/core/test_portal.py",
            "tests/web/test_two_factor.py",
            "tests/web/test_portal.py",
            "tests/web/test_personal_tokens.py",
            "tests/web/test_settings_account.py",
            "tests/web/test_settings_agents.py",
            "tests/web/test_settings_keys.py",
        ),
    ),
    "core/tickets": Package(
        ("src/frontdesk/core/tickets/*.py",),
        (
            "tests/core",
            "tests/api",
            "tests/dialects/inboxops",
            "--ignore=tests/api/test_outages.py",
        ),
    ),
    "core/mail": Package(
        ("src/frontdesk/core/mail/*.py",),
        (
            "tests/mail",
            "tests/core/test_threads.py",
            # submissions, notices and the ticket page are reached through the API and the
            # web app only: ImBox's insertTicket, the chat's offline form, the password
            # reset link, the workspace's ticket page.
            "tests/dialects/imbox/test_insert_ticket.py",
            "tests/chat/test_availability.py",
            "tests/web/test_signin.py",
            "tests/web/test_workspace.py",
        ),
    ),
    "core/chat": Package(
        ("src/frontdesk/core/chat/*.py",),
        (
            "tests/chat/test_core.py",
            "tests/chat/test_visitor_info.py",
            "tests/chat/test_native_api.py",
            "tests/dialects/imbox_chat",
            # routing, presence, typing, the offline form, the agents' API, the console's
            # and the widget settings' pages
            "tests/core/test_chat_routing.py",
            "tests/core/test_chat_presence.py",
            "tests/chat/test_typing.py",
            "tests/chat/test_availability.py",
            "tests/api/test_chat_agents.py",
            "tests/web/test_chat_console.py",
            "tests/web/test_settings_widget.py",
        ),
    ),
    "core/people": Package(
        ("src/frontdesk/core/people/*.py",),
        ("tests/core/test_people.py", "tests/api/test_contacts.py", "tests/api/test_gdpr.py"),
    ),
    "core/notify": Package(
        ("src/frontdesk/core/notify/*.py",),
        (
            "tests/mail/test_notifications.py",
            "tests/api/test_notification_settings.py",
            # the alarms: SLA warnings and breaches, and replies that bounced
            "tests/automation/test_sla_notifications.py",
            "tests/mail/test_bounces.py",
        ),
    ),
    "core/automation": Package(
        ("src/frontdesk/core/automation/*.py",),
        (
            "tests/automation",
            # the clocks and calendars alone, and what only the API and the settings pages
            # call: SLA policies and calendars, webhook secrets and endpoints, the audit log
            "tests/unit/test_sla_clocks.py",
            "tests/unit/test_calendars.py",
            "tests/unit/test_webhook_types_documented.py",
            "tests/api/test_sla_api.py",
            "tests/web/test_sla_settings_web.py",
            "tests/web/test_settings_webhooks.py",
            "tests/web/test_settings_audit.py",
            "tests/web/test_reports_web.py",
        ),
    ),
    "core/rules": Package(
        ("src/frontdesk/core/rules/*.py",),
        (
            "tests/core/test_rules_triggers.py",
            "tests/core/test_rules_assignment.py",
            "tests/core/test_rules_time.py",
            "tests/api/test_rules.py",
            # renames, the compiled conditions against their reference, field types, the
            # SLA rules' runs and the rules pages: reached by nothing above
            "tests/core/test_label_rename.py",
            "tests/core/test_rules_field_types.py",
            "tests/unit/test_rules_compiled.py",
            "tests/automation/test_rules_sla.py",
            "tests/web/test_rules_web.py",
        ),
    ),
    "api/imbox": Package(
        ("src/frontdesk/api/imbox/translate.py", "src/frontdesk/api/imbox/chat_translate.py"),
        ("tests/dialects/imbox", "tests/dialects/imbox_chat"),
    ),
    "api/inboxops": Package(
        ("src/frontdesk/api/inboxops/translate.py", "src/frontdesk/api/inboxops/words.py"),
        ("tests/dialects/inboxops",),
    ),
    "api/v3": Package(
        ("src/frontdesk/api/v3/translate.py",),
        ("tests/dialects/v3",),
    ),
    "api/native": Package(
        ("src/frontdesk/api/native/translate.py",),
        ("tests/api", "--ignore=tests/api/test_outages.py"),
    ),
}
WORKDIR = Path(".mutation")  # one folder per package, each with mutmut's own `mutants/`


def workdir(package: str) -> Path:
    return WORKDIR / package.replace("/", "-")


def mutmut_config(package: str) -> str:
    """The `[tool.mutmut]` table of one package's run (TOML's strings are JSON's)."""
    chosen = PACKAGES[package]
    return "\n".join(
        [
            "[tool.mutmut]",
            # the whole package is copied (the tests import all of it), one area is mutated
            'source_paths = ["src"]',
            f"only_mutate = {json.dumps(list(chosen.mutate))}",
            'also_copy = ["docs"]',
            f"pytest_add_cli_args_test_selection = {json.dumps(chosen.selection)}",
            'pytest_add_cli_args = ["-p", "no:cacheprovider"]',
            "",
        ]
    )


def prepare(package: str, root: Path) -> Path:
    """The folder mutmut runs in for one package: links to the project's sources and tests,
    and the project's pyproject.toml with the package's `[tool.mutmut]` (mutmut reads its
    configuration from the working directory only)."""
    folder = root / workdir(package)
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("src", "tests", "docs"):
        link = folder / name
        if not link.is_symlink():
            link.symlink_to(Path("../..") / name)
    project = (root / "pyproject.toml").read_text(encoding="utf-8")
    (folder / "pyproject.toml").write_text(project + "\n" + mutmut_config(package), "utf-8")
    return folder


# mutmut's exit codes (mutmut/stats.py), reduced to the columns of the table.
_KILLED = frozenset({1, 3, 37})  # a test failed, pytest broke, or the type check caught it
_SURVIVED = frozenset({0})
_NO_TESTS = frozenset({5, 33})
_TIMEOUT = frozenset({24, -24, 152, 255, 36})
_NOT_CHECKED: None = None


@dataclass(frozen=True)
class Mutant:
    name: str  # mutmut's name, e.g. frontdesk.core.shared.text.x_clean__mutmut_3
    source: str  # the mutated file, relative to the project, e.g. src/frontdesk/core/...
    exit_code: int | None


@dataclass
class Tally:
    killed: int = 0
    survived: int = 0
    timeout: int = 0
    no_tests: int = 0
    not_checked: int = 0
    other: int = 0  # suspicious, segfault, interrupted: worth a look, never a kill

    def add(self, exit_code: int | None) -> None:
        if exit_code is _NOT_CHECKED:
            self.not_checked += 1
        elif exit_code in _KILLED:
            self.killed += 1
        elif exit_code in _SURVIVED:
            self.survived += 1
        elif exit_code in _TIMEOUT:
            self.timeout += 1
        elif exit_code in _NO_TESTS:
            self.no_tests += 1
        else:
            self.other += 1

    @property
    def total(self) -> int:
        return (
            self.killed
            + self.survived
            + self.timeout
            + self.no_tests
            + self.not_checked
            + self.other
        )

    @property
    def score(self) -> float | None:
        """Killed or timed out, out of every mutant; None while some are not checked."""
        if self.total == 0 or self.not_checked:
            return None
        return (self.killed + self.timeout) / self.total


def package_of(source: str, packages: Mapping[str, Package] = PACKAGES) -> str | None:
    """The package whose globs name this source file, or None if the run does not score it."""
    for package, chosen in packages.items():
        if any(fnmatch(source, pattern) for pattern in chosen.mutate):
            return package
    return None


def read_mutants(workdir_root: Path) -> list[Mutant]:
    """Every mutant recorded in the `.meta` files of each package's `mutants/` folder,
    counted only in the folder of the package it belongs to (mutmut copies every file)."""
    found = []
    for mutants_dir in sorted(workdir_root.glob("*/mutants")):
        for meta in sorted(mutants_dir.rglob("*.py.meta")):
            source = meta.relative_to(mutants_dir).as_posix().removesuffix(".meta")
            package = package_of(source)
            if package is None or workdir(package).name != mutants_dir.parent.name:
                continue
            codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
            for name, code in sorted(codes.items()):
                found.append(Mutant(name=name, source=source, exit_code=code))
    return found


# `mutmut run <names>` (tools/mutation --again) can leave the mutants it was not given as
# "not checked" in the `.meta` files (docs/testing.md, "A trap in `--again`"), so the re-test
# of the survivors would throw away every earlier kill. The results are kept before it and put
# back after it: a mutant that the run left unchecked gets its earlier result again, unless
# its function changed since (mutmut keeps a hash per function), which earns it a new test.
KEPT = "kept-results.json"  # in the package's folder, next to `mutants/`


def _metas(folder: Path) -> dict[str, dict[str, object]]:
    """Each `.meta` file of a package's folder, by its path relative to `mutants/`."""
    mutants_dir = folder / "mutants"
    found: dict[str, dict[str, object]] = {}
    for meta in sorted(mutants_dir.rglob("*.py.meta")):
        found[meta.relative_to(mutants_dir).as_posix()] = json.loads(
            meta.read_text(encoding="utf-8")
        )
    return found


def _function_of(mutant: str) -> str:
    """The function's key in a `.meta`'s `hash_by_function_name`, from a mutant's name
    (`frontdesk.core.shared.text.x_clean__mutmut_3` → `x_clean`)."""
    return mutant.rsplit("__mutmut_", 1)[0].rpartition(".")[2]


def keep(package: str, root: Path) -> Path:
    """Copy the results and function hashes of a package's `.meta` files aside."""
    folder = root / workdir(package)
    kept = {
        path: {
            "exit_code_by_key": meta.get("exit_code_by_key", {}),
            "hash_by_function_name": meta.get("hash_by_function_name", {}),
        }
        for path, meta in _metas(folder).items()
    }
    target = folder / KEPT
    target.write_text(json.dumps(kept), encoding="utf-8")
    return target


def restore(package: str, root: Path) -> int:
    """Put the kept result back on each mutant the last run left unchecked, where the
    mutant's function is unchanged; a result of the last run always wins. Returns how many
    were put back. The kept copy is removed, so it cannot be applied to a later run."""
    folder = root / workdir(package)
    source = folder / KEPT
    if not source.exists():
        return 0
    kept = json.loads(source.read_text(encoding="utf-8"))
    put_back = 0
    for path, meta in _metas(folder).items():
        before = kept.get(path)
        if before is None:
            continue
        given = _put_back(meta, before["exit_code_by_key"], before["hash_by_function_name"])
        if given:
            (folder / "mutants" / path).write_text(json.dumps(meta), encoding="utf-8")
            put_back += given
    source.unlink()
    return put_back


def _put_back(
    meta: dict[str, object], earlier: Mapping[str, int | None], earlier_hashes: Mapping[str, str]
) -> int:
    """Give each mutant that `meta` has unchecked its earlier result, where its function's
    hash is the same as then; how many were given."""
    codes = meta["exit_code_by_key"]
    hashes = meta.get("hash_by_function_name", {})
    assert isinstance(codes, dict)
    assert isinstance(hashes, dict)
    given = 0
    for name, code in earlier.items():
        function = _function_of(name)
        if (
            code is not None
            and name in codes
            and codes[name] is None
            and function in hashes
            and earlier_hashes.get(function) == hashes[function]
        ):
            codes[name] = code
            given += 1
    return given


# The results in git: `.mutation/` is lost with the machine, and core/ as a whole takes more
# hours of CPU than one sitting has. After each package's run its results are saved to
# tools/mutation-results/<package>.json (committed), and before a run they are seeded into
# its folder: mutmut, generating the mutants, keeps a result wherever the function's hash
# (a digest of its AST) is unchanged, so a run on another machine goes on where the last
# one stopped and re-tests only what changed.
RESULTS = Path("tools/mutation-results")


def results_file(package: str, root: Path) -> Path:
    return root / RESULTS / f"{workdir(package).name}.json"


def save(package: str, root: Path) -> Path:
    """The package's checked results and function hashes, per mutated module, into git's copy
    (mutant names are kept without their module, which is the module's own)."""
    saved: dict[str, dict[str, object]] = {}
    for path, meta in _metas(root / workdir(package)).items():
        if package_of(path.removesuffix(".meta")) != package:
            continue
        codes = meta.get("exit_code_by_key", {})
        assert isinstance(codes, dict)
        checked = {name: code for name, code in codes.items() if code is not None}
        if not checked:
            continue
        module = next(iter(checked)).rpartition(".")[0]
        saved[path] = {
            "module": module,
            "hash_by_function_name": meta.get("hash_by_function_name", {}),
            "exit_code_by_key": {
                name.rpartition(".")[2]: code for name, code in sorted(checked.items())
            },
        }
    target = results_file(package, root)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(saved, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return target


def seed(package: str, root: Path) -> int:
    """Bring git's copy of the package's results into its folder before a run: a module with
    no `.meta` yet gets one (mutmut keeps its results for unchanged functions when it
    generates the mutants), and a module with one gets the saved result of each mutant it
    has unchecked whose function is unchanged. Returns how many results were brought in."""
    source = results_file(package, root)
    if not source.exists():
        return 0
    saved = json.loads(source.read_text(encoding="utf-8"))
    folder = root / workdir(package)
    metas = _metas(folder)
    brought = 0
    for path, entry in saved.items():
        codes = {
            f"{entry['module']}.{name}": code for name, code in entry["exit_code_by_key"].items()
        }
        hashes = entry["hash_by_function_name"]
        if path not in metas:
            target = folder / "mutants" / path
            target.parent.mkdir(parents=True, exist_ok=True)
            meta = {
                "exit_code_by_key": codes,
                "hash_by_function_name": hashes,
                "durations_by_key": {},
                "estimated_durations_by_key": {},
            }
            target.write_text(json.dumps(meta), encoding="utf-8")
            brought += len(codes)
            continue
        meta = metas[path]
        merged = _put_back(meta, codes, hashes)
        if merged:
            (folder / "mutants" / path).write_text(json.dumps(meta), encoding="utf-8")
            brought += merged
    return brought


def tally(
    mutants: Iterable[Mutant], packages: Mapping[str, Package] = PACKAGES
) -> dict[str, Tally]:
    """The counts per package, in the order of `packages`; files of no package are left out."""
    tallies = {package: Tally() for package in packages}
    for mutant in mutants:
        package = package_of(mutant.source, packages)
        if package is not None:
            tallies[package].add(mutant.exit_code)
    return tallies


def _percent(score: float | None) -> str:
    return "—" if score is None else f"{score:.1%}"


def table(tallies: Mapping[str, Tally]) -> str:
    """A Markdown table: one row per package with mutants, and one row per group of them."""
    header = "| package | mutants | killed | survived | timeout | no tests | score |"
    lines = [header, "|---|--:|--:|--:|--:|--:|--:|"]
    groups: dict[str, Tally] = {}
    for package, counts in tallies.items():
        if counts.total == 0:
            continue
        lines.append(_row(f"`{package}`", counts))
        group = groups.setdefault(package.split("/")[0], Tally())
        for field in ("killed", "survived", "timeout", "no_tests", "not_checked", "other"):
            setattr(group, field, getattr(group, field) + getattr(counts, field))
    for name, counts in groups.items():
        lines.append(_row(f"**`{name}/` in all**", counts))
    return "\n".join(lines)


def _row(label: str, counts: Tally) -> str:
    cells = [counts.total, counts.killed, counts.survived, counts.timeout, counts.no_tests]
    return f"| {label} | " + " | ".join(map(str, cells)) + f" | {_percent(counts.score)} |"


def survivors(mutants: Iterable[Mutant]) -> list[Mutant]:
    """The mutants of scored packages that no test noticed: survived or reached by no test."""
    alive = _SURVIVED | _NO_TESTS
    return [m for m in mutants if m.exit_code in alive and package_of(m.source) is not None]


# The commands that act on one package's folder, and what each prints.
_ACTIONS: dict[str, Callable[[str, Path], str]] = {
    "prepare": lambda package, root: str(prepare(package, root)),
    "keep": lambda package, root: str(keep(package, root)),
    "restore": lambda package, root: (
        f"{package}: {restore(package, root)} earlier results put back"
    ),
    "save": lambda package, root: str(save(package, root)),
    "seed": lambda package, root: f"{package}: {seed(package, root)} saved results brought in",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--root", type=Path, default=Path(), help="the project (default: .)")
    parser.add_argument("--survivors", action="store_true", help="list the mutants alive")
    parser.add_argument("--prepare", metavar="PACKAGE", help="make its folder, print its path")
    parser.add_argument("--alive", metavar="PACKAGE", help="print the names of its survivors")
    parser.add_argument("--keep", metavar="PACKAGE", help="copy its results aside")
    parser.add_argument(
        "--restore", metavar="PACKAGE", help="put kept results back on unchecked mutants"
    )
    parser.add_argument("--save", metavar="PACKAGE", help="write its results to git's copy")
    parser.add_argument("--seed", metavar="PACKAGE", help="bring git's copy into its folder")
    args = parser.parse_args(argv)
    for package in (args.prepare, args.alive, args.keep, args.restore, args.save, args.seed):
        if package is not None and package not in PACKAGES:
            parser.error(f"unknown package {package!r}; one of: {', '.join(PACKAGES)}")
    for name, action in _ACTIONS.items():
        package = getattr(args, name)
        if package:
            print(action(package, args.root))
            return 0
    mutants = read_mutants(args.root / WORKDIR)
    if args.alive:
        alive = [m.name for m in survivors(mutants) if package_of(m.source) == args.alive]
        print(" ".join(alive))
        return 0
    print(table(tally(mutants)))
    if args.survivors:
        print()
        for mutant in survivors(mutants):
            status = "survived" if mutant.exit_code in _SURVIVED else "no tests"
            print(f"{mutant.name}  ({status})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
