"""Malformed and hostile mail over SMTP: never a crash, never a lost mail, never a forged header.

Mail that cannot become a ticket is quarantined and shown to admins with its raw bytes.
"""

from __future__ import annotations

import base64

import pytest
from fastapi.testclient import TestClient

from frontdesk.core.shared.records import Scope
from frontdesk.mail.runtime import MailRuntime
from tests.conftest import Tenant
from tests.mail.conftest import MailDesk, smtp_send


def _head(desk: MailDesk, extra: bytes = b"") -> bytes:
    return b"From: Ann <ann@example.org>\r\nTo: " + desk.support.email.encode() + b"\r\n" + extra


def _deep(levels: int) -> bytes:
    inner = b"Content-Type: text/plain\r\n\r\ndeep text\r\n"
    for level in range(levels):
        boundary = f"b{level}".encode()
        head = b"Content-Type: multipart/mixed; boundary=" + boundary + b"\r\n\r\n"
        inner = head + b"--" + boundary + b"\r\n" + inner + b"\r\n--" + boundary + b"--\r\n"
    return inner


HOSTILE = {
    "deep nesting": b"Subject: deep\r\n" + _deep(150),
    "wrong boundaries": (
        b'Subject: boundaries\r\nContent-Type: multipart/mixed; boundary="AAA"\r\n\r\n'
        b"--BBB\r\nContent-Type: text/plain\r\n\r\nlost part\r\n--BBB--\r\n"
    ),
    "bad base64": (
        b"Subject: b64\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"!!!not base64@@@===\r\n"
    ),
    "unknown charset": (
        b"Subject: =?x-klingon?q?qapla?=\r\nContent-Type: text/plain; charset=x-klingon\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode("Grüße".encode()) + b"\r\n"
    ),
    "header injection": (
        b"Subject: =?utf-8?q?Hi=0D=0ABcc=3A_victim=40example=2Eorg?=\r\n\r\nbody\r\n"
    ),
    "nul bytes": b"Subject: nul\x00here\r\n\r\nbody with \x00 a nul\r\n",
    "binary junk": (
        b"Subject: junk\r\nContent-Type: text/html\r\n\r\n\xff\xfe<script>x</script>\r\n"
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_mail_is_accepted_and_kept(runtime: MailRuntime, desk: MailDesk, name: str) -> None:
    raw = _head(desk) + HOSTILE[name]
    assert runtime.smtp_port is not None
    smtp_send(runtime.smtp_port, raw, "ann@example.org", [desk.support.email])
    (receipt,) = desk.receipts()
    assert receipt.status == "delivered", receipt.error
    assert desk.services.blobs.open(receipt.raw_sha256) == raw  # kept byte for byte
    (ticket,) = desk.tickets()
    assert "\n" not in ticket.subject and "\r" not in ticket.subject
    (message,) = desk.messages(ticket.id)
    assert "\x00" not in message.body_text and "<script" not in message.body_html


def test_mail_without_a_sender_is_quarantined_and_shown_to_admins(
    runtime: MailRuntime, desk: MailDesk, client: TestClient
) -> None:
    raw = b"To: " + desk.support.email.encode() + b"\r\nSubject: who?\r\n\r\nanonymous\r\n"
    assert runtime.smtp_port is not None
    # The envelope sender is empty too (a bounce): nobody to open a ticket for.
    smtp_send(runtime.smtp_port, raw, "", [desk.support.email])
    assert desk.tickets() == []
    (receipt,) = desk.receipts()
    assert receipt.status == "quarantined" and "sender" in receipt.error
    headers = desk.tenant.headers()
    listed = client.get("/api/v1/mail/receipts", params={"status": "quarantined"}, headers=headers)
    assert listed.status_code == 200
    (row,) = listed.json()
    assert (row["id"], row["subject"], row["ticket_id"]) == (receipt.id, "who?", None)
    download = client.get(f"/api/v1/mail/receipts/{receipt.id}/raw", headers=headers)
    assert download.status_code == 200 and b"anonymous" in download.content
    assert download.headers["content-type"] == "message/rfc822"
    assert "attachment" in download.headers["content-disposition"]


def test_receipts_are_admin_only_and_per_account(
    runtime: MailRuntime, desk: MailDesk, client: TestClient, other_tenant: Tenant
) -> None:
    raw = b"To: " + desk.support.email.encode() + b"\r\nSubject: q\r\n\r\nx\r\n"
    assert runtime.smtp_port is not None
    smtp_send(runtime.smtp_port, raw, "", [desk.support.email])
    (receipt,) = desk.receipts()
    reader = desk.tenant.headers(desk.tenant.key(Scope.TICKETS_READ))
    assert client.get("/api/v1/mail/receipts", headers=reader).status_code == 403
    foreign = other_tenant.headers()
    assert client.get(f"/api/v1/mail/receipts/{receipt.id}/raw", headers=foreign).status_code == 404
    assert client.get("/api/v1/mail/receipts", headers=foreign).json() == []
    bad = client.get("/api/v1/mail/receipts?status=lost", headers=desk.tenant.headers())
    assert bad.status_code == 422 and "status" in bad.text
