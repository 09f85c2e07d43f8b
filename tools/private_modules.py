"""An import-linter contract: a module whose name starts with `_` is private to its package.

`frontdesk.core.tickets._changes` may be imported by modules of `frontdesk.core.tickets`
(and below), never from outside it: other areas and the transports go through the
package's public modules (`frontdesk.core.tickets`, `.records`, `.ports`, ...). Listing
each private module in a `protected` contract would go stale with the next new one; this
checks the naming rule itself, for every package under the containers.
"""

from __future__ import annotations

from dataclasses import dataclass

import grimp
from importlinter import Contract, ContractCheck, fields, output


@dataclass(frozen=True, order=True)
class _Violation:
    importer: str
    imported: str
    line_numbers: tuple[int, ...]


def _is_private(module: str) -> bool:
    return module.rsplit(".", 1)[-1].startswith("_")


def _package_of(module: str) -> str:
    return module.rsplit(".", 1)[0]


def _inside(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violations(graph: grimp.ImportGraph, containers: list[str]) -> list[_Violation]:
    """Every direct import of a private module from outside its package."""
    found = []
    for container in containers:
        for module in sorted(graph.find_descendants(container)):
            if not _is_private(module):
                continue
            package = _package_of(module)
            for importer in sorted(graph.find_modules_that_directly_import(module)):
                if _inside(importer, package):
                    continue
                details = graph.get_import_details(importer=importer, imported=module)
                lines = tuple(sorted({detail["line_number"] for detail in details}))
                found.append(_Violation(importer, module, lines))
    return found


class PrivateModulesContract(Contract):
    """Configuration: `containers`, the packages whose private modules are checked."""

    type_name = "private_modules"
    containers = fields.ListField(subfield=fields.StringField())

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        found = violations(graph, list(self.containers))  # type: ignore[call-overload]
        return ContractCheck(kept=not found, metadata={"violations": found})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for violation in check.metadata["violations"]:
            lines = ", ".join(str(n) for n in violation.line_numbers)
            output.print_error(
                f"{violation.importer} imports {violation.imported}, private to "
                f"{_package_of(violation.imported)} (l. {lines})"
            )
            output.new_line()
