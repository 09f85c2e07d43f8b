"""The colour tokens keep WCAG AA contrast in both themes, for the pairs the CSS uses.

Every colour token in app.css is `light-dark(<light>, <dark>)`; this reads them and
checks each pair of foreground and background that the stylesheet puts together. axe
checks the rendered pages too, but only the text it sees; control borders and focus
rings (non-text contrast, 3:1) are checked only here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).parents[2] / "src/frontdesk/web/static/css/app.css"
TOKEN = re.compile(r"--fd-([\w-]+):\s*light-dark\((#[0-9a-f]{6}),\s*(#[0-9a-f]{6})\)")

TEXT = 4.5  # normal-size text
NON_TEXT = 3.0  # boundaries of controls, focus indicators
SURFACES = ("bg", "bg-subtle", "bg-muted", "bg-hover", "surface")
TONES = ("info", "success", "warning", "danger", "purple")
PAIRS = [
    *[("text", surface, TEXT) for surface in SURFACES],
    *[("text-muted", surface, TEXT) for surface in SURFACES],
    *[("accent", surface, TEXT) for surface in ("bg", "bg-subtle", "surface")],  # links
    ("on-accent", "accent", TEXT),  # primary buttons
    ("on-accent", "accent-hover", TEXT),
    ("text", "accent-subtle", TEXT),  # a selected row
    ("text-muted", "accent-subtle", TEXT),
    *[(tone, f"{tone}-subtle", TEXT) for tone in TONES],  # badges, pills, avatars
    *[("text", f"{tone}-subtle", TEXT) for tone in TONES],  # flash messages
    ("danger", "bg", TEXT),  # inline errors, danger buttons
    ("warning", "bg", TEXT),  # "... is replying" on the ticket page
    ("danger", "surface", TEXT),
    *[("border-control", surface, NON_TEXT) for surface in SURFACES],
    *[("focus", surface, NON_TEXT) for surface in SURFACES],
]


def tokens() -> dict[str, tuple[str, str]]:
    return {name: (light, dark) for name, light, dark in TOKEN.findall(CSS.read_text())}


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_contrast_formula_matches_wcag() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize("theme", [0, 1], ids=["light", "dark"])
def test_every_pair_the_css_uses_meets_aa(theme: int) -> None:
    colours = tokens()
    failing = []
    for fg, bg, needed in PAIRS:
        ratio = contrast(colours[fg][theme], colours[bg][theme])
        if ratio < needed:
            failing.append(f"--fd-{fg} on --fd-{bg}: {ratio:.2f} < {needed}")
    assert not failing, "\n".join(failing)


def test_every_rule_is_closed_and_only_at_rules_nest() -> None:
    """A rule left open swallows the rules after it (a merge once dropped two closing
    braces, and the notification list's buttons sank under the row links)."""
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(), flags=re.S)
    open_rules: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        for char in line:
            if char == "{":
                head = line.split("{")[0].strip()
                nested_in_rule = open_rules and not open_rules[-1].startswith("@")
                assert not nested_in_rule, (
                    f"line {number}: {head!r} opens inside {open_rules[-1]!r}"
                )
                open_rules.append(head)
            elif char == "}":
                assert open_rules, f"line {number}: a '}}' closes nothing"
                open_rules.pop()
    assert open_rules == [], f"left open: {open_rules}"
