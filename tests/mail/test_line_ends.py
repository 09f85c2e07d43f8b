"""Line ends: mail travels with CR LF; stored bodies and the HTML made from them have none."""

from __future__ import annotations

import base64

import pytest

from frontdesk.mail.runtime import MailRuntime
from tests.mail.conftest import MailDesk, smtp_send

HEAD = "From: Ann <ann@example.org>\r\nTo: {to}\r\nSubject: Line ends\r\nMIME-Version: 1.0\r\n"


def _raw(to: str, content_type: str, encoding: str, body: bytes) -> bytes:
    head = HEAD.format(to=to) + (
        f"Content-Type: {content_type}; charset=utf-8\r\nContent-Transfer-Encoding: {encoding}\r\n"
    )
    return head.encode() + b"\r\n" + body


def _base64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


CASES = {
    # 8bit text as every SMTP client sends it: CR LF between lines.
    "plain_8bit": ("text/plain", "8bit", b"First line\r\nsecond line\r\n\r\nNext paragraph\r\n"),
    # quoted-printable with the CR LF encoded inside the lines, and a lone CR (old Mac).
    "plain_qp": (
        "text/plain",
        "quoted-printable",
        b"First line=0D=0Asecond line=0D=0A=0D=0ANext paragraph=0Dlast\r\n",
    ),
    # base64 keeps whatever the sender's file had.
    "plain_base64": (
        "text/plain",
        "base64",
        _base64(b"First line\r\nsecond line\r\n\r\nNext paragraph\r\n"),
    ),
    "html_base64": (
        "text/html",
        "base64",
        _base64(b"<p>First line<br>\r\nsecond line</p>\r\n<pre>a\r\nb\rc</pre>\r\n"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_crlf_mail_is_stored_without_carriage_returns(
    runtime: MailRuntime, desk: MailDesk, case: str
) -> None:
    content_type, encoding, body = CASES[case]
    assert runtime.smtp_port is not None
    raw = _raw(desk.support.email, content_type, encoding, body)
    smtp_send(runtime.smtp_port, raw, "ann@example.org", [desk.support.email])
    (ticket,) = desk.tickets()
    (message,) = desk.messages(ticket.id)
    assert "\r" not in message.body_text
    assert "\r" not in message.body_html
    assert "First line" in message.body_text and "second line" in message.body_text
    if content_type == "text/plain":
        # The lines and paragraphs survive as \n: the HTML keeps them as <br> and <p>.
        assert message.body_text.startswith("First line\nsecond line\n\nNext paragraph")
        assert message.body_html.startswith("<p>First line<br>second line</p><p>Next paragraph")
    else:
        assert "<pre>a\nb\nc</pre>" in message.body_html
