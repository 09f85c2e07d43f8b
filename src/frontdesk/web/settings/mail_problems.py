"""Settings, Mail problems: the inbound mail that could not become a ticket (quarantined
receipts, kept with the reason by mail/inbound.py), and each one's raw message to download.

An admin may **discard** one (`core.mail.discard_receipt`): it leaves the list and stays
stored. The core has no retry: importing the same mail again is a no-op (its receipt key
is taken), so none is offered.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from frontdesk.core import mail
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.mail.records import QUARANTINED
from frontdesk.core.shared.records import MAX_ROW_ID
from frontdesk.http.deps import PathId, services_from
from frontdesk.web import session
from frontdesk.web.security import web_router
from frontdesk.web.settings.area import admin_area
from frontdesk.web.templating import render

router = web_router()
Signed = Annotated[SignedIn, Depends(session.signed_in)]
PAGE = 50


@router.get("/settings/mail-problems", response_class=HTMLResponse)
def problems_page(
    request: Request, signed: Signed, after: Annotated[int, Query(ge=0, le=MAX_ROW_ID)] = 0
) -> Response:
    """Oldest first, a page at a time by receipt id (keyset), so a deep page costs what
    the first one does; one more row than shown tells whether a next page exists."""
    context = admin_area(signed)
    with services_from(request).store.read() as uow:
        found = mail.list_receipts(uow, signed.actor, QUARANTINED, after_id=after, limit=PAGE + 1)
    shown = found[:PAGE]
    context.update(
        receipts=shown,
        next_after=shown[-1].id if len(found) > PAGE else None,
        first_page=after == 0,
    )
    return render(request, "settings/mail_problems.html", context)


@router.get("/settings/mail-problems/{receipt_id}.eml")
def raw_message(request: Request, signed: Signed, receipt_id: PathId) -> Response:
    """The mail exactly as it arrived, always as a download: a browser must never render
    what may be a hostile message (hence the attachment, the type and nosniff)."""
    admin_area(signed)
    services = services_from(request)
    with services.store.read() as uow:
        receipt = mail.get_receipt(uow, signed.actor, receipt_id)
    return Response(
        content=services.blobs.open(receipt.raw_sha256),
        media_type="message/rfc822",
        headers={
            "Content-Disposition": f'attachment; filename="mail-{receipt.id}.eml"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        },
    )


@router.post("/settings/mail-problems/{receipt_id}/discard")
def discard(request: Request, signed: Signed, receipt_id: PathId) -> Response:
    admin_area(signed)
    with services_from(request).store.write() as uow:
        mail.discard_receipt(uow, signed.actor, receipt_id)
    return RedirectResponse("/settings/mail-problems?discarded=1", status_code=303)
