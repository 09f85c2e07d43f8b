"""Settings, Webhooks: the account's endpoints (add, edit, switch off and on, remove,
rotate the secret, shown once) and each one's delivery log with "Redeliver"; the same
core functions the native API's /webhooks calls (docs/webhooks.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from frontdesk.core import automation
from frontdesk.core.automation import catalog, deliveries
from frontdesk.core.identity import accounts
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.shared.errors import Invalid, NotFound
from frontdesk.core.shared.records import MAX_ROW_ID
from frontdesk.http.deps import PathId, services_from
from frontdesk.services import Services
from frontdesk.services.webhooks import check_target, seal_secret
from frontdesk.web import session
from frontdesk.web.forms import form_id
from frontdesk.web.i18n import N_
from frontdesk.web.i18n import gettext as _
from frontdesk.web.security import web_router
from frontdesk.web.settings.area import admin_area
from frontdesk.web.templating import render

router = web_router()
Signed = Annotated[SignedIn, Depends(session.signed_in)]
Text = Annotated[str, Form(max_length=2100)]
Types = Annotated[list[str], Form(max_length=200)]
PAGE = 20  # deliveries a page of the log shows

# What the form says for the core's codes; anything else is the generic message.
FORM_ERRORS = {
    "invalid_url": N_("Enter an absolute http or https address, without a user or password."),
    "required": N_("Choose at least one event type."),
    "invalid_event_type": N_("Choose event types from the list."),
    "inbox_not_found": N_("Choose an inbox from the list."),
    "invalid_value": N_("Choose an inbox from the list."),
    "invalid": N_("Choose at most 100 event types."),
}
FORM_ERROR = N_("Check the values and try again.")
PRIVATE_ADDRESS = N_(
    "That address is on a private or local network (loopback, private, link-local), "
    "where Frontdesk does not send webhooks. Use a public address."
)


@dataclass(frozen=True)
class Typed:
    """The webhook form as posted, kept to show again with an error."""

    url: str = ""
    description: str = ""
    event_types: tuple[str, ...] = ()
    inbox_id: str = ""
    active: bool = True


def _fields(services: Services, typed: Typed) -> automation.EndpointFields:
    """The core's fields from the form; a private target is refused here, on the form."""
    check_target(typed.url, allow_private=services.settings.allow_private_webhooks)
    return automation.EndpointFields(
        url=typed.url,
        event_types=list(typed.event_types),
        inbox_id=form_id(typed.inbox_id, "inbox_id") if typed.inbox_id else None,
        description=typed.description,
        active=typed.active,
    )


def _errors(error: Invalid | NotFound) -> dict[str, str]:
    """The form's message: beside the address when the address is wrong, else above."""
    if error.code == "address_not_allowed":
        return {"url_error": _(PRIVATE_ADDRESS)}
    message = _(FORM_ERRORS.get(error.code, FORM_ERROR))
    return {"url_error": message} if error.code == "invalid_url" else {"error": message}


def _choices(context: dict[str, Any], uow: Any, signed: SignedIn) -> None:
    context["areas"] = catalog.DELIVERABLE
    context["known_types"] = catalog.known_types()
    context["inboxes"] = accounts.list_inboxes(uow, signed.actor)
    context["inbox_names"] = {inbox.id: inbox.name for inbox in context["inboxes"]}


def _list(
    request: Request, signed: SignedIn, *, typed: Typed | None = None,
    errors: dict[str, str] | None = None, secret: str = "", status: int = 200,
) -> Response:  # fmt: skip
    context = admin_area(signed)
    with services_from(request).store.read() as uow:
        context["webhooks"] = automation.list_endpoints(uow, signed.actor)
        context["latest"] = deliveries.latest_deliveries(uow, signed.actor)
        _choices(context, uow, signed)
    context.update(typed=typed or Typed(), error="", url_error="", secret=secret)
    context.update(errors or {})
    response = render(request, "settings/webhooks.html", context, status_code=status)
    response.headers["Cache-Control"] = "no-store"  # a new secret may be on it
    return response


@router.get("/settings/webhooks", response_class=HTMLResponse)
def webhooks_page(request: Request, signed: Signed) -> Response:
    return _list(request, signed)


@router.post("/settings/webhooks", response_class=HTMLResponse)
def create(
    request: Request,
    signed: Signed,
    url: Text,
    description: Text = "",
    event_types: Types = [],  # noqa: B006 (FastAPI's form list)
    inbox_id: Annotated[str, Form(max_length=12)] = "",
    active: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    admin_area(signed)
    services = services_from(request)
    typed = Typed(url, description, tuple(event_types), inbox_id, bool(active))
    secret = automation.new_secret()
    try:
        fields = _fields(services, typed)
        with services.store.write() as uow:
            automation.create_endpoint(
                uow, signed.actor, fields, seal_secret(services.settings, secret)
            )
    except (Invalid, NotFound) as error:
        return _list(request, signed, typed=typed, errors=_errors(error), status=422)
    return _list(request, signed, secret=secret, status=201)


def _endpoint(
    request: Request, signed: SignedIn, webhook_id: int, *, before: int = MAX_ROW_ID,
    typed: Typed | None = None, errors: dict[str, str] | None = None, secret: str = "",
    status: int = 200,
) -> Response:  # fmt: skip
    context = admin_area(signed)
    with services_from(request).store.read() as uow:
        webhook = automation.get_endpoint(uow, signed.actor, webhook_id)
        log = deliveries.list_deliveries(
            uow, signed.actor, webhook_id, before_id=before, limit=PAGE
        )
        _choices(context, uow, signed)
    shown = typed or Typed(
        webhook.url, webhook.description, webhook.event_types,
        str(webhook.inbox_id or ""), webhook.active,
    )  # fmt: skip
    context.update(webhook=webhook, log=log, typed=shown, error="", url_error="", secret=secret)
    context.update(errors or {})
    context["older"] = log[-1][0].id if len(log) == PAGE else None
    response = render(request, "settings/webhook.html", context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/settings/webhooks/{webhook_id}", response_class=HTMLResponse)
def webhook_page(
    request: Request,
    webhook_id: PathId,
    signed: Signed,
    before: Annotated[int, Query(ge=1, le=MAX_ROW_ID)] = MAX_ROW_ID,
) -> Response:
    return _endpoint(request, signed, webhook_id, before=before)


@router.post("/settings/webhooks/{webhook_id}", response_class=HTMLResponse)
def update(
    request: Request,
    webhook_id: PathId,
    signed: Signed,
    url: Text,
    description: Text = "",
    event_types: Types = [],  # noqa: B006 (FastAPI's form list)
    inbox_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    admin_area(signed)
    services = services_from(request)
    typed = Typed(url, description, tuple(event_types), inbox_id)
    try:
        changes = _fields(services, typed)
        with services.store.write() as uow:
            automation.update_endpoint(
                uow, signed.actor, webhook_id, _without_active(changes),
                clear_inbox=changes.inbox_id is None,
            )  # fmt: skip
    except Invalid as error:
        return _endpoint(request, signed, webhook_id, typed=typed, errors=_errors(error),
                         status=422)  # fmt: skip
    except NotFound as error:
        if error.code != "inbox_not_found":
            raise  # the webhook itself: the 404 page
        return _endpoint(request, signed, webhook_id, typed=typed, errors=_errors(error),
                         status=422)  # fmt: skip
    return RedirectResponse(f"/settings/webhooks/{webhook_id}?saved=1", status_code=303)


def _without_active(fields: automation.EndpointFields) -> automation.EndpointFields:
    """The edit form leaves the switch alone: it has its own button."""
    return automation.EndpointFields(
        url=fields.url, event_types=fields.event_types, inbox_id=fields.inbox_id,
        description=fields.description,
    )  # fmt: skip


@router.post("/settings/webhooks/{webhook_id}/active")
def switch(
    request: Request,
    webhook_id: PathId,
    signed: Signed,
    active: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    """Off, or back on: switched on, a disabled webhook sends what waited, at once."""
    admin_area(signed)
    on = active == "1"
    with services_from(request).store.write() as uow:
        automation.update_endpoint(
            uow, signed.actor, webhook_id, automation.EndpointFields(active=on), clear_inbox=False
        )
    flag = "activated" if on else "deactivated"
    return RedirectResponse(f"/settings/webhooks/{webhook_id}?{flag}=1", status_code=303)


@router.post("/settings/webhooks/{webhook_id}/secret", response_class=HTMLResponse)
def rotate(request: Request, webhook_id: PathId, signed: Signed) -> Response:
    """A new signing secret, shown on this answer only; the old one stops signing at once."""
    admin_area(signed)
    services = services_from(request)
    secret = automation.new_secret()
    with services.store.write() as uow:
        automation.rotate_secret(
            uow, signed.actor, webhook_id, seal_secret(services.settings, secret)
        )
    return _endpoint(request, signed, webhook_id, secret=secret)


@router.post("/settings/webhooks/{webhook_id}/delete")
def remove(request: Request, webhook_id: PathId, signed: Signed) -> Response:
    admin_area(signed)
    with services_from(request).store.write() as uow:
        automation.delete_endpoint(uow, signed.actor, webhook_id)
    return RedirectResponse("/settings/webhooks?removed=1", status_code=303)


@router.post("/settings/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")
def redeliver(
    request: Request, webhook_id: PathId, delivery_id: PathId, signed: Signed
) -> Response:
    """Queue the delivery again: the same event id and body, a fresh set of attempts."""
    admin_area(signed)
    with services_from(request).store.write() as uow:
        if deliveries.get_delivery(uow, signed.actor, delivery_id).endpoint_id != webhook_id:
            raise NotFound("delivery_not_found", f"No delivery {delivery_id}")
        deliveries.redeliver(uow, signed.actor, delivery_id)
    return RedirectResponse(f"/settings/webhooks/{webhook_id}?redelivered=1", status_code=303)
