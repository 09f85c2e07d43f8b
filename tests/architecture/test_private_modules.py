"""The private-modules contract (tools/private_modules.py) on small import graphs."""

from __future__ import annotations

import grimp

from tools.private_modules import violations


def _graph(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for module in ("app", "app.area", "app.area._inner", "app.area.sub", "app.other"):
        graph.add_module(module)
    for line, (importer, imported) in enumerate(imports, start=1):
        graph.add_import(
            importer=importer, imported=imported, line_number=line, line_contents="import"
        )
    return graph


def test_a_private_module_may_be_imported_within_its_package() -> None:
    graph = _graph(("app.area", "app.area._inner"), ("app.area.sub", "app.area._inner"))
    assert violations(graph, ["app"]) == []


def test_a_private_module_imported_from_outside_its_package_is_named_with_the_line() -> None:
    graph = _graph(("app.area.sub", "app.area._inner"), ("app.other", "app.area._inner"))
    (found,) = violations(graph, ["app"])
    assert (found.importer, found.imported, found.line_numbers) == (
        "app.other",
        "app.area._inner",
        (2,),
    )


def test_the_project_keeps_its_private_modules_private() -> None:
    graph = grimp.build_graph("frontdesk")
    assert violations(graph, ["frontdesk"]) == []
