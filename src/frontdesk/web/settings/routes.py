"""The settings area's front door and the account page: name, time zone, business
language and logo (docs/admin.md)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from frontdesk.core.identity import accounts, business
from frontdesk.core.identity.business import BusinessFields
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.shared.errors import Invalid, TooLarge
from frontdesk.http.deps import services_from
from frontdesk.http.limits import takes_upload
from frontdesk.web import session
from frontdesk.web.i18n import N_
from frontdesk.web.i18n import gettext as _
from frontdesk.web.security import web_router
from frontdesk.web.settings.area import admin_area
from frontdesk.web.templating import render

router = web_router()
Signed = Annotated[SignedIn, Depends(session.signed_in)]
Choice = Annotated[str | None, Form(max_length=64)]

# What the account page says for the core's codes; anything else is the generic message.
FORM_ERRORS = {
    "required": N_("The account needs a name."),
    "too_long": N_("A name is at most 200 characters."),
    "invalid_time_zone": N_("That is not a time zone. Write one such as Europe/Stockholm."),
    "invalid_language": N_("Pick one of the languages in the list."),
    "invalid_logo": N_("A logo is a PNG, JPEG or WebP image."),
    "logo_too_large": N_("A logo is at most 512 KB."),
}
FORM_ERROR = N_("Check the values and try again.")


@router.get("/settings")
def front_door(signed: Signed) -> Response:
    """Admins start at the account; an agent's settings are their own profile."""
    first = "/settings/account" if accounts.administers(signed.actor) else "/settings/profile"
    return RedirectResponse(first, status_code=303)


@router.get("/settings/account", response_class=HTMLResponse)
def account_page(request: Request, signed: Signed) -> Response:
    return _page(request, signed)


def _page(request: Request, signed: SignedIn, status: int = 200, **extra: Any) -> Response:
    context = admin_area(signed)
    with services_from(request).store.read() as uow:
        account = accounts.get_account(uow, signed.actor.account_id)
    context.update(
        {"account": account, "logo": business.logo_path(account), "errors": {}, "typed": None}
    )
    context.update(extra)
    return render(request, "settings/account.html", context, status_code=status)


def _errors(error: Invalid | TooLarge) -> dict[str, str]:
    """The form's message for the core's error, by the field it is about."""
    return {error.field or "name": _(FORM_ERRORS.get(error.code, FORM_ERROR))}


@router.post("/settings/account", response_class=HTMLResponse)
def save_account(
    request: Request,
    signed: Signed,
    name: Annotated[str, Form(max_length=400)],
    time_zone: Choice = None,
    language: Choice = None,
) -> Response:
    admin_area(signed)
    try:
        with services_from(request).store.write() as uow:
            business.update_business(uow, signed.actor, BusinessFields(time_zone, language, name))
    except Invalid as error:
        typed = {"name": name, "time_zone": time_zone, "language": language}
        return _page(request, signed, 422, errors=_errors(error), typed=typed)
    return RedirectResponse("/settings/account?saved=1", status_code=303)


@router.post("/settings/account/logo", response_class=HTMLResponse)
@takes_upload
def upload_logo(request: Request, signed: Signed, logo: Annotated[UploadFile, File()]) -> Response:
    admin_area(signed)
    services = services_from(request)
    # One byte past the limit is enough to refuse it; the rest is never read.
    data = logo.file.read(business.LOGO_LIMIT + 1)
    try:
        with services.store.write() as uow:
            business.set_logo(uow, services.blobs, signed.actor, data)
    except (Invalid, TooLarge) as error:
        status = 413 if isinstance(error, TooLarge) else 422
        return _page(request, signed, status, errors=_errors(error))
    return RedirectResponse("/settings/account?logo=1", status_code=303)


@router.post("/settings/account/logo/remove")
def remove_logo(request: Request, signed: Signed) -> Response:
    admin_area(signed)
    with services_from(request).store.write() as uow:
        business.remove_logo(uow, signed.actor)
    return RedirectResponse("/settings/account?logo_removed=1", status_code=303)
