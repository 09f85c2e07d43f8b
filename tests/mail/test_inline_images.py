"""Inline images: `cid:` sources in a mail's HTML point at the stored attachments, which
the web app serves in place to the account's agents only."""

from __future__ import annotations

import struct
import zlib
from email.message import EmailMessage

from fastapi.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.core.mail.inline import content_key, rewrite
from frontdesk.mail.runtime import MailRuntime
from frontdesk.services import Services
from frontdesk.storage import tables as t
from frontdesk.web import mailview
from tests.conftest import Tenant
from tests.mail.conftest import smtp_send
from tests.web.helpers import make_desk, signed_in


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xff\x00\x00")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


PNG = _png()


def _mail(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Ann Lee <ann@example.org>"
    message["To"] = to
    message["Subject"] = "Screenshot of the error"
    message.set_content("See the screenshot.")
    message.add_alternative(
        '<p>See <img src="cid:shot%2E1@example.org" alt="screenshot">, '
        '<img src="cid:gone@example.org" alt="lost"> and '
        '<img src="https://tracker.example/pixel.png" alt="pixel"></p>',
        subtype="html",
    )
    html_part = message.get_payload()[1]  # type: ignore[index]
    html_part.add_related(PNG, "image", "png", cid="<shot.1@example.org>", filename="shot.png")
    return message


def _stored(services: Services, tenant: Tenant) -> tuple[object, list[object]]:
    with services.store.engine.connect() as conn:
        (message,) = conn.execute(
            t.messages.select()
            .join(t.tickets, t.tickets.c.id == t.messages.c.ticket_id)
            .where(t.tickets.c.account_id == tenant.id)
        )
        files = list(
            conn.execute(t.attachments.select().where(t.attachments.c.message_id == message.id))
        )
    return message, files


def test_cid_images_point_at_the_stored_attachment_and_show_in_place(
    runtime: MailRuntime, services: Services, tenant: Tenant, other_tenant: Tenant
) -> None:
    desk = make_desk(services, tenant)
    assert runtime.smtp_port is not None
    smtp_send(runtime.smtp_port, _mail(desk.inbox.email), "ann@example.org", [desk.inbox.email])
    message, files = _stored(services, tenant)
    (shot,) = files
    body = message.body_html  # type: ignore[attr-defined]
    # The stored reference is the web app's inline address of exactly that attachment.
    assert f'<img src="/tickets/inline/{shot.id}" alt="screenshot">' in body  # type: ignore[attr-defined]
    # A part that is not there leaves an image without a source; no cid: survives.
    assert "cid:" not in body and '<img alt="lost">' in body
    # Remote images are kept in the body but never load by themselves on the page.
    shown = str(mailview.display(body))
    assert f'src="/tickets/inline/{shot.id}"' in shown  # type: ignore[attr-defined]
    assert 'src="https://tracker.example' not in shown and "Blocked image: pixel" in shown

    app = create_app(services=services)
    agent = signed_in(app, desk.agent.email)
    answer = agent.get(f"/tickets/inline/{shot.id}")  # type: ignore[attr-defined]
    assert answer.status_code == 200 and answer.content == PNG
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["content-disposition"].startswith("inline;")
    assert answer.headers["x-content-type-options"] == "nosniff"
    page = agent.get(f"/tickets/{message.ticket_id}")  # type: ignore[attr-defined]
    assert f'<img src="/tickets/inline/{shot.id}" alt="screenshot">' in page.text  # type: ignore[attr-defined]

    # Another account's agent gets the web app's 404, not the image.
    stranger = signed_in(app, make_desk(services, other_tenant).agent.email)
    refused = stranger.get(f"/tickets/inline/{shot.id}")  # type: ignore[attr-defined]
    assert refused.status_code == 404 and PNG not in refused.content
    # Signed out: no image either.
    anonymous = TestClient(app).get(f"/tickets/inline/{shot.id}", follow_redirects=False)  # type: ignore[attr-defined]
    assert anonymous.status_code in (303, 401) and PNG not in anonymous.content


def test_content_ids_compare_with_and_without_brackets_and_encoding() -> None:
    assert content_key("<Shot.1@Example.org>") == content_key("shot%2E1@example.org")
    stored = {"a@b": 7}
    assert rewrite('<img src="cid:a@b">', stored) == '<img src="/tickets/inline/7">'
    # Only image sources are rewritten: a link to cid: is left for the sanitiser to drop.
    assert rewrite('<a href="cid:a@b">x</a>', stored) == '<a href="cid:a@b">x</a>'
