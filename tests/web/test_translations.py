"""Every word a person reads in a template goes through gettext, and Swedish has it.

The scan: each template's Jinja constructs are replaced by a mark without letters (the
text inside {% trans %} blocks too), and what is left is read as HTML. A text node, or a
title / alt / placeholder / aria-label / data-*-label attribute, that still has letters
was written in English outside gettext. So is a literal passed to a component as its
label, title or other text.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, nodes

from frontdesk.web.templating import TEMPLATE_DIR, Templates

ROOT = Path(__file__).parents[2]
TRANSLATIONS = ROOT / "src/frontdesk/web/translations"
ALLOWED = {"Frontdesk"}  # the brand is not translated
TEXT_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "aria-description", "data-announce"}
TEXT_ARGUMENTS = {"label", "title", "body", "help", "error", "message", "summary", "subtitle"}
MARK = "\u2022"  # stands for a Jinja construct: no letters
LETTERS = re.compile(r"[^\W\d_]")


class _TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.raw_text = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.raw_text = tag in ("script", "style")
        for name, value in attrs:
            shown = name in TEXT_ATTRIBUTES or (
                name.startswith("data-") and name.endswith("-label")
            )
            if shown and _has_words(value or ""):
                self.found.append(f'{name}="{value}"')

    def handle_endtag(self, tag: str) -> None:
        self.raw_text = False

    def handle_data(self, data: str) -> None:
        if not self.raw_text and _has_words(data):
            self.found.append(data.strip())


def _has_words(text: str) -> bool:
    for word in ALLOWED:
        text = text.replace(word, "")
    return bool(LETTERS.search(text))


def _markup_outside_gettext(env: Environment, source: str) -> str:
    """The template with each Jinja construct, and all text in {% trans %}, as MARK."""
    out: list[str] = []
    in_trans = in_tag = False
    tag_name: str | None = None
    for _line, kind, value in env.lex(source):
        if kind == "block_begin":
            in_tag, tag_name = True, None
        elif in_tag and kind == "name" and tag_name is None:
            tag_name = value
        elif kind == "block_end":
            in_tag = False
            in_trans = {"trans": True, "endtrans": False}.get(tag_name or "", in_trans)
            out.append(MARK if tag_name == "trans" else "")
        elif kind == "variable_begin":
            out.append(MARK)
        elif kind == "data" and not in_trans:
            out.append(value)
    return "".join(out)


def _literal_text_arguments(env: Environment, source: str) -> Iterator[str]:
    for call in env.parse(source).find_all(nodes.Call):
        for keyword in call.kwargs:
            value = getattr(keyword.value, "value", None) if keyword.key in TEXT_ARGUMENTS else None
            if (
                isinstance(keyword.value, nodes.Const)
                and isinstance(value, str)
                and _has_words(value)
            ):
                yield f'{keyword.key}="{value}"'


def untranslated(env: Environment, source: str) -> list[str]:
    finder = _TextFinder()
    finder.feed(_markup_outside_gettext(env, source))
    finder.close()
    return finder.found + list(_literal_text_arguments(env, source))


ENV = Templates().env


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("<p>Hello</p>", ["Hello"]),
        ('<a title="Open it" href="/">{{ _("x") }}</a>', ['title="Open it"']),
        ('<b data-shortcut-label="Go home"></b>', ['data-shortcut-label="Go home"']),
        ('{{ ui.button(label="Save") }}', ['label="Save"']),
        ("{% if x %}Yes{% endif %}", ["Yes"]),
        ("{% trans %}Hello {{ name }}{% endtrans %}", []),
        ('<p>{{ _("Hello") }} · 3</p><i aria-label="{{ _("Open") }}"></i>', []),
        ("<title>{{ title }} · Frontdesk</title>", []),
        ('{{ ui.status_pill("new") }}{{ ui.button(label=_("Save"), variant="primary") }}', []),
        ("{# Comments are for developers #}<script>let x = 'y';</script>", []),
    ],
)
def test_the_scan_finds_english_outside_gettext(source: str, found: list[str]) -> None:
    assert untranslated(ENV, source) == found


def test_no_template_shows_untranslated_text() -> None:
    problems = []
    for path in sorted(TEMPLATE_DIR.rglob("*.html")):
        for text in untranslated(ENV, path.read_text(encoding="utf-8")):
            problems.append(f"{path.relative_to(TEMPLATE_DIR)}: {text}")
    assert not problems, "wrap these in {% trans %} or _():\n" + "\n".join(problems)


def _catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=locale)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """What scripts/i18n extracts today from the templates and the web's Python."""
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    env = {**os.environ, "POT": str(pot), "PYBABEL": str(Path(sys.executable).parent / "pybabel")}
    subprocess.run([str(ROOT / "scripts/i18n"), "extract"], cwd=ROOT, env=env, check=True)
    return _catalog(pot)


def test_the_committed_template_catalog_is_up_to_date(extracted: Catalog) -> None:
    committed = {m.id for m in _catalog(TRANSLATIONS / "messages.pot") if m.id}
    now = {m.id for m in extracted if m.id}
    assert committed == now, "run scripts/i18n all, translate, and commit the catalogs"


@pytest.mark.parametrize("locale", ["sv"])
def test_every_message_is_translated(extracted: Catalog, locale: str) -> None:
    catalog = _catalog(TRANSLATIONS / locale / "LC_MESSAGES/messages.po", locale)
    missing = []
    for message in extracted:
        if not message.id:
            continue
        found = catalog.get(message.id, message.context)
        strings = found.string if found else None
        translated = strings and all(strings) if isinstance(strings, tuple) else bool(strings)
        if not found or found.fuzzy or not translated:
            missing.append(repr(message.id))
    assert not missing, f"untranslated in {locale}:\n" + "\n".join(missing)


@pytest.mark.parametrize("locale", ["en", "sv"])
def test_the_compiled_catalog_matches_its_source(locale: str) -> None:
    folder = TRANSLATIONS / locale / "LC_MESSAGES"
    with (folder / "messages.mo").open("rb") as file:
        compiled = {_key(m.id): _key(m.string) for m in read_mo(file) if m.id and m.string}
    # An untranslated plural compiles to its own English forms: the same as no entry.
    compiled = {k: v for k, v in compiled.items() if v != k}
    source = {_key(m.id): _key(m.string) for m in _catalog(folder / "messages.po", locale) if m.id}
    wanted = {
        k: v for k, v in source.items() if v and v != k and (not isinstance(v, tuple) or all(v))
    }
    assert compiled == wanted, "run scripts/i18n compile"


def _key(value: object) -> object:
    """Plural messages come back as lists (ids and strings): comparable as tuples."""
    return tuple(value) if isinstance(value, list | tuple) else value
