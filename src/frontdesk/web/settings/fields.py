"""Settings, Ticket fields: the account's categories, departments, custom field
definitions and labels on one page, a section each: add, rename, remove. A custom field
also has a type and, for a dropdown, options (one a line in a text box), chosen when it is
added and changed on its row.

Categories, departments and custom fields are rows that tickets refer to by id (the
core's `taxonomy.*_named`); labels are words on tickets, named in the forms by their
text (`taxonomy.*_label`), so another account's label is simply not found (404).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.rules import renames
from frontdesk.core.rules.ports import RulesUnit
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound
from frontdesk.core.tickets import custom_fields, taxonomy
from frontdesk.core.tickets.records import FieldType
from frontdesk.http.deps import PathId, services_from
from frontdesk.web import session
from frontdesk.web.i18n import N_
from frontdesk.web.i18n import gettext as _
from frontdesk.web.security import web_router
from frontdesk.web.settings.area import admin_area
from frontdesk.web.templating import render

router = web_router()
Signed = Annotated[SignedIn, Depends(session.signed_in)]
Name = Annotated[str, Form(max_length=400)]

PAGE = "/settings/fields"
# The page's sections whose items are rows with ids, and the core's kind of each.
KINDS = {"categories": "category", "departments": "department", "custom-fields": "custom_field"}
LABELS = "labels"

# What a section says for the core's codes; the kind's prefix is dropped first.
FORM_ERRORS = {
    "required": N_("Give it a name."),
    "too_long": N_("A name has at most 200 characters."),
    "exists": N_("This list has that name already."),
    "in_use": N_(
        "Tickets use it, so it cannot be removed. Rename it instead, or move those "
        "tickets to another one first."
    ),
    # A custom field's type and options (core/tickets/field_types.py, custom_fields.py).
    "invalid_type": N_("Choose one of the types."),
    "options_required": N_("A dropdown needs at least one option: write one per line."),
    "duplicate_option": N_("An option is listed twice. Write each option once."),
    "too_many_options": N_("A dropdown has at most 100 options."),
    "field_option_in_use": N_(
        "Tickets hold %(values)s, so that option cannot be removed. Change those tickets first."
    ),
    "field_values_do_not_fit": N_(
        "Tickets hold %(values)s, which that type does not take. Change those tickets first."
    ),
}
FORM_ERROR = N_("Check the values and try again.")
# What the Type list offers, in the order a support team reaches for them.
TYPE_NAMES = {
    FieldType.TEXT: N_("Text"),
    FieldType.MULTILINE: N_("Multi-line text"),
    FieldType.NUMBER: N_("Number"),
    FieldType.DATE: N_("Date"),
    FieldType.CHECKBOX: N_("Checkbox"),
    FieldType.DROPDOWN: N_("Dropdown"),
}
FIELDS = "custom-fields"
Options = Annotated[str, Form(max_length=30_000)]
TypeWord = Annotated[str, Form(max_length=20)]


def _message(error: Invalid | Conflict) -> str:
    words = _(FORM_ERRORS.get(_short(error.code), FORM_ERROR))
    if isinstance(error, custom_fields.ValuesDoNotFit):
        return words % {"values": ", ".join(f"“{value}”" for value in error.shown)}
    return words


def _short(code: str) -> str:
    """`category_exists` -> `exists`, `custom_field_in_use` -> `in_use`."""
    if code in FORM_ERRORS:
        return code
    for short in FORM_ERRORS:
        if code == short or code.endswith("_" + short):
            return short
    return code


def _kind(section: str) -> str:
    if section not in KINDS:
        raise NotFound("page_not_found", "No such section")
    return KINDS[section]


def _page(
    request: Request,
    signed: SignedIn,
    *,
    section: str = "",
    error: str = "",
    typed: str | None = None,
    status: int = 200,
    typed_field: tuple[str, str] | None = None,
) -> Response:
    context = admin_area(signed)
    with services_from(request).store.read() as uow:
        lists: dict[str, list[Any]] = {
            key: taxonomy.list_named(uow, signed.actor, kind)
            for key, kind in KINDS.items()
            if key != FIELDS
        }
        lists[FIELDS] = custom_fields.list_fields(uow, signed.actor)
        context["labels"] = taxonomy.list_labels(uow, signed.actor)
    context.update(
        lists=lists, failed=section, error=error, typed=typed,
        type_options=[(kind.value, _(name)) for kind, name in TYPE_NAMES.items()],
        type_names={kind.value: _(name) for kind, name in TYPE_NAMES.items()},
        typed_field=typed_field or ("text", ""),
    )  # fmt: skip
    return render(request, "settings/fields.html", context, status_code=status)


def _refused(
    request: Request,
    signed: SignedIn,
    section: str,
    error: Invalid | Conflict,
    typed: str | None = None,
    typed_field: tuple[str, str] | None = None,
) -> Response:
    """The page again with the section's message; nothing was written. `typed` is what the
    add form held (the message goes under it); None for a row's rename or removal.
    `typed_field`: the new field's type and options, as the admin chose them."""
    status = 409 if isinstance(error, Conflict) else 422
    return _page(
        request, signed, section=section, error=_message(error), typed=typed, status=status,
        typed_field=typed_field,
    )  # fmt: skip


def _write(
    request: Request,
    signed: SignedIn,
    section: str,
    change: Callable[[RulesUnit], object],
    done: str,
    typed: str | None = None,
    typed_field: tuple[str, str] | None = None,
) -> Response:
    """One core call as the admin, in one unit of work; back to the section saying what was
    done (`added`, `saved`, `removed`), or the page again with the core's refusal."""
    admin_area(signed)
    try:
        with services_from(request).store.write() as uow:
            change(uow)
    except (Invalid, Conflict) as error:
        return _refused(request, signed, section, error, typed, typed_field)
    return RedirectResponse(f"{PAGE}?{done}={section}#{section}", status_code=303)


def _field_type(word: str) -> FieldType:
    try:
        return FieldType(word)
    except ValueError:
        raise Invalid("invalid_type", "Not a field type", field="type") from None


def _options(field_type: FieldType, text: str) -> list[str]:
    """The options box: one option a line, in the admin's order; blank lines dropped. Only
    a dropdown reads it, so options left in the box when another type is chosen are
    simply not kept."""
    if field_type is not FieldType.DROPDOWN:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


@router.get(PAGE, response_class=HTMLResponse)
def fields_page(request: Request, signed: Signed) -> Response:
    return _page(request, signed)


@router.post(PAGE + "/labels", response_class=HTMLResponse)
def add_label(request: Request, signed: Signed, name: Name) -> Response:
    def change(uow: RulesUnit) -> object:
        return taxonomy.add_label(uow, signed.actor, name)

    return _write(request, signed, LABELS, change, "added", typed=name)


@router.post(PAGE + "/labels/rename", response_class=HTMLResponse)
def rename_label(request: Request, signed: Signed, label: Name, name: Name) -> Response:
    def change(uow: RulesUnit) -> object:
        return renames.rename_label(uow, signed.actor, label, name)  # rules and SLAs too

    return _write(request, signed, LABELS, change, "saved")


@router.post(PAGE + "/labels/remove", response_class=HTMLResponse)
def remove_label(request: Request, signed: Signed, label: Name) -> Response:
    def change(uow: RulesUnit) -> object:
        return taxonomy.remove_label(uow, signed.actor, label)

    return _write(request, signed, LABELS, change, "removed")


@router.post(PAGE + "/" + FIELDS, response_class=HTMLResponse)
def add_field(
    request: Request, signed: Signed, name: Name, type: TypeWord = "text", options: Options = ""
) -> Response:
    def change(uow: RulesUnit) -> object:
        chosen = _field_type(type)
        return custom_fields.create_field(
            uow, signed.actor, name, chosen, _options(chosen, options)
        )

    return _write(request, signed, FIELDS, change, "added", typed=name, typed_field=(type, options))


@router.post(PAGE + "/" + FIELDS + "/{row_id}/type", response_class=HTMLResponse)
def change_field_type(
    request: Request, row_id: PathId, signed: Signed, type: TypeWord, options: Options = ""
) -> Response:
    def change(uow: RulesUnit) -> object:
        chosen = _field_type(type)
        return custom_fields.change_field(
            uow, signed.actor, row_id, chosen, _options(chosen, options)
        )

    return _write(request, signed, FIELDS, change, "changed")


@router.post(PAGE + "/{section}", response_class=HTMLResponse)
def add(request: Request, section: str, signed: Signed, name: Name) -> Response:
    kind = _kind(section)

    def change(uow: RulesUnit) -> object:
        return taxonomy.create_named(uow, signed.actor, kind, name)

    return _write(request, signed, section, change, "added", typed=name)


@router.post(PAGE + "/{section}/{row_id}/rename", response_class=HTMLResponse)
def rename(request: Request, section: str, row_id: PathId, signed: Signed, name: Name) -> Response:
    kind = _kind(section)

    def change(uow: RulesUnit) -> object:
        if kind == renames.FIELD_KIND:  # rules name fields: they follow the rename
            return renames.rename_field(uow, signed.actor, row_id, name)
        return taxonomy.rename_named(uow, signed.actor, kind, row_id, name)

    return _write(request, signed, section, change, "saved")


@router.post(PAGE + "/{section}/{row_id}/remove", response_class=HTMLResponse)
def remove(request: Request, section: str, row_id: PathId, signed: Signed) -> Response:
    kind = _kind(section)

    def change(uow: RulesUnit) -> None:
        taxonomy.delete_named(uow, signed.actor, kind, row_id)

    return _write(request, signed, section, change, "removed")
