"""The Jinja2 environment of the web app, and `render`, the one way a route answers HTML.

htmx convention: a route renders the whole page, or, when htmx asks (`HX-Request`), only
one named block of the same template, so a fragment and its page never drift apart:

    return render(request, "tickets/list.html", {"tickets": page}, fragment="rows")

Components are the macros in templates/_components/, reachable in every template as
`ui.<macro>` without an import: a block rendered alone has no top-level imports.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from jinja2.runtime import Macro
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from frontdesk import __version__
from frontdesk.web import components, i18n, thread, words
from frontdesk.web.assets import static_url
from frontdesk.web.avatars import avatar_tone, initials

TEMPLATE_DIR = Path(__file__).parent / "templates"
COMPONENTS = "_components/"
PRODUCT = "Frontdesk"


class Templates:
    """One environment for every locale: gettext reads the locale of the current render."""

    def __init__(self, extra_dirs: Sequence[Path] = ()) -> None:
        self.env = Environment(
            loader=FileSystemLoader([TEMPLATE_DIR, *extra_dirs]),
            autoescape=True,
            undefined=StrictUndefined,  # a misspelt variable fails instead of rendering ""
            extensions=["jinja2.ext.i18n"],
            trim_blocks=True,
            lstrip_blocks=True,
            # Templates ship with the code and change only with a restart, as the code does:
            # no stat() of every template (and each it includes) on every render.
            auto_reload=False,
        )
        # {% trans %} blocks are whitespace-normalised, as the extractor reads them.
        self.env.policies["ext.i18n.trimmed"] = True
        self.env.install_gettext_callables(  # type: ignore[attr-defined]
            i18n.gettext,
            i18n.ngettext,
            newstyle=True,
            pgettext=i18n.pgettext,
            npgettext=i18n.npgettext,
        )
        # `_()` and `gettext()` are the calls a page makes most (about 200 on the queue):
        # Jinja's own go through two context calls each; this one is a plain function.
        self.env.globals["_"] = self.env.globals["gettext"] = template_gettext
        self.env.filters.update(i18n.filters(), initials=initials, avatar_tone=avatar_tone)
        self.env.globals.update(static_url=static_url, product=PRODUCT, version=__version__)
        self.env.globals.update(words.GLOBALS)
        # In globals before it is filled: a component module copies the globals when it
        # loads, and its macros reach their siblings (list_row uses avatar) through `ui`.
        self.env.globals["ui"] = ui = SimpleNamespace()
        for macro_name, macro in self._components().items():
            setattr(ui, macro_name, macro)
        for name, function in {**components.COMPONENTS, **thread.COMPONENTS}.items():
            if hasattr(ui, name):
                raise ValueError(f"component {name!r} is both a macro and a function")
            setattr(ui, name, function)

    def _components(self) -> dict[str, Macro]:
        """Every macro of templates/_components/, by name; a name used twice is an error."""
        found: dict[str, Macro] = {}
        for name in self.env.list_templates(filter_func=lambda n: n.startswith(COMPONENTS)):
            for macro_name, macro in _macros(self.env.get_template(name)):
                if macro_name in found:
                    raise ValueError(f"component macro {macro_name!r} defined twice ({name})")
                found[macro_name] = macro
        return found


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> HTMLResponse:
    """Render `name` with the app's templates: the whole page, or its `fragment` for htmx."""
    templates: Templates = request.app.state.templates
    loc = i18n.for_request(request)
    values = {**base_context(request, loc), **(context or {})}
    template = templates.env.get_template(name)
    with i18n.activate(loc):
        if fragment is not None and wants_fragment(request):
            html = render_block(template, fragment, values)
        else:
            html = template.render(values)
    response = HTMLResponse(html, status_code=status_code, headers=dict(headers or {}))
    response.headers["Content-Language"] = loc.tag
    # One URL answers two bodies (page or fragment) and speaks the asked language.
    vary = "Accept-Language, HX-Request" if fragment is not None else "Accept-Language"
    response.headers["Vary"] = vary
    return response


def wants_fragment(request: Request) -> bool:
    """htmx asked for part of a page. A boosted link or a history restore wants it whole."""
    headers = request.headers
    return (
        headers.get("HX-Request") == "true"
        and headers.get("HX-Boosted") != "true"
        and headers.get("HX-History-Restore-Request") != "true"
    )


def render_block(template: Template, block: str, values: Mapping[str, Any]) -> str:
    if block not in template.blocks:
        raise KeyError(f"template {template.name!r} has no block {block!r}")
    context = template.new_context(dict(values))
    return "".join(template.blocks[block](context))


def base_context(request: Request, loc: i18n.Localisation) -> dict[str, Any]:
    """What every page's layout needs; the session layer adds the CSRF token and theme."""
    return {
        "request": request,
        "lang": loc.tag,
        "current_path": request.url.path,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "theme": getattr(request.state, "theme", None),  # None follows the system
        # When the page began to be read: its live channel catches up on what changed
        # since (web/live.py), so a change made before the channel opened is not missed.
        "rendered_at": getattr(request.state, "read_at", None) or int(time.time() * 1000),
    }


def template_gettext(message: str, **variables: Any) -> Markup:
    """Jinja's new-style `gettext` for an autoescaping environment, in one call: the
    translation is markup, each variable is escaped into it, and the text is always a
    format string (so `%%` is a percent sign, with or without variables)."""
    text = Markup(i18n.gettext(message))  # noqa: S704 (translations are ours, not input)
    if variables or "%" in text:
        return text % variables
    return text


def _macros(template: Template) -> Iterable[tuple[str, Macro]]:
    for name, value in vars(template.module).items():
        if isinstance(value, Macro) and not name.startswith("_"):
            yield name, value
