"""Helpers for the web app's browser tests: screenshots, axe, console problems.

screenshot(page, "landing")   docs/screenshots/landing-desktop.png and -phone.png
assert_accessible(page)       axe-core in the page; fails on serious or critical
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
BLOCKING = ("serious", "critical")


def screenshot(page: Any, name: str) -> list[Path]:
    """The whole page at desktop and at phone width, written for docs and for review."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    written = []
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        path = SCREENSHOTS / f"{name}-{label}.png"
        # No caret and no animation: the same page gives the same picture.
        page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
        written.append(path)
    page.set_viewport_size(DESKTOP)
    return written


def assert_accessible(page: Any) -> None:
    """Run axe-core on the page as it is now; fail listing each serious/critical finding.

    axe is evaluated through the DevTools protocol, which the page's CSP does not govern;
    a <script> tag with it would be (rightly) refused.
    """
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    violations = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    blocking = [v for v in violations if v.get("impact") in BLOCKING]
    assert not blocking, f"axe found on {page.url}:\n" + "\n".join(map(_describe, blocking))


def _describe(violation: dict[str, Any]) -> str:
    nodes = violation.get("nodes", [])
    where = "; ".join(" ".join(map(str, node.get("target", []))) for node in nodes[:5])
    more = f" (+{len(nodes) - 5} more)" if len(nodes) > 5 else ""
    return (
        f"- [{violation['impact']}] {violation['id']}: {violation['help']}\n"
        f"  at {where}{more}\n  {violation.get('helpUrl', '')}"
    )


@dataclass
class Problems:
    """Console errors and uncaught exceptions of one page; any of them fails the test.

    A test that provokes one on purpose (an error page's status is logged by the browser
    as a failed load) says so with `expect`, matching a part of the message.
    """

    found: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)

    def watch(self, page: Any) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.found.append(f"page error: {error}"))

    def expect(self, fragment: str) -> None:
        self.expected.append(fragment)

    def _on_console(self, message: Any) -> None:
        if message.type == "error":
            self.found.append(f"console error: {message.text} ({message.location})")

    def assert_none(self) -> None:
        unexpected = [p for p in self.found if not any(e in p for e in self.expected)]
        assert not unexpected, "the page reported problems:\n" + "\n".join(unexpected)
