"""A mail as an agent reads it in a real browser: its own text first, the signature and
the quoted history folded, an inline (`cid:`) image shown in place; axe; screenshots."""

from __future__ import annotations

import struct
import zlib
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any

import pytest

from frontdesk.mail.inbound import SMTP as SOURCE_SMTP
from frontdesk.mail.inbound import Inbound
from tests.conftest import Tenant
from tests.web.browser import assert_accessible, screenshot
from tests.web.helpers import PASSWORD, Desk, make_desk

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def _png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(row * height)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def _reply(to: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Ann Lee <ann@example.org>"
    message["To"] = to
    message["Subject"] = "Error on the checkout page"
    message.set_content("The checkout still fails, see the screenshot.")
    message.add_alternative(
        '<div dir="ltr"><div>The checkout still fails, see the screenshot:</div>'
        '<div><img src="cid:shot@example.org" alt="Screenshot of the error" width="160"'
        ' height="48"></div><br><div class="gmail_signature">Ann Lee<br>Facilities, Example'
        ' Ltd<br>+46 8 123 45 67</div></div><div class="gmail_quote"><div class="gmail_attr">'
        "On Tue, 3 Mar 2026 at 10:12, Support &lt;support@example.com&gt; wrote:</div>"
        '<blockquote class="gmail_quote">Could you send us a screenshot of the error?'
        "</blockquote></div>",
        subtype="html",
    )
    html_part = message.get_payload()[1]  # type: ignore[index]
    html_part.add_related(
        _png(160, 48, (0xC0, 0x39, 0x2B)), "image", "png", cid="<shot@example.org>",
        filename="shot.png",
    )  # fmt: skip
    return message.as_bytes(policy=SMTP)


@pytest.fixture
def desk(services: Any, tenant: Tenant) -> Desk:
    return make_desk(services, tenant)


def test_a_mail_with_signature_quote_and_inline_image(page: Any, desk: Desk) -> None:
    from playwright.sync_api import expect

    inbound = Inbound(desk.services.store, desk.services.blobs, desk.services.settings)
    (outcome,) = inbound.deliver(
        _reply(desk.inbox.email), [desk.inbox.email], source=SOURCE_SMTP,
        envelope_from="ann@example.org",
    )  # fmt: skip
    page.goto("/login")
    page.get_by_label("E-mail address").fill(desk.agent.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/tickets/{outcome.ticket_id}")
    body = page.locator(".message__body").first
    expect(body).to_contain_text("The checkout still fails, see the screenshot:")
    # Folded: the signature's and the quote's text are there but not shown.
    expect(body.get_by_text("Facilities, Example Ltd")).to_be_hidden()
    expect(body.get_by_text("Could you send us a screenshot")).to_be_hidden()
    image = body.get_by_role("img", name="Screenshot of the error")
    expect(image).to_be_visible()
    assert image.evaluate("(img) => img.complete && img.naturalWidth") == 160
    assert_accessible(page)
    screenshot(page, "ticket-mail-content")
    body.get_by_text("Show quoted text").click()
    expect(body.get_by_text("Could you send us a screenshot")).to_be_visible()
    body.get_by_text("Show signature").click()
    expect(body.get_by_text("Facilities, Example Ltd")).to_be_visible()
    assert_accessible(page)
