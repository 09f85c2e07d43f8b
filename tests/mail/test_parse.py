"""The parser against ordinary, malformed and hostile mail: it never raises, never loses text."""

from __future__ import annotations

import base64
from email.message import EmailMessage

import pytest

from frontdesk.mail.loops import why_no_auto_reply
from frontdesk.mail.parse import parse


def _mail(**headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Ann Lee <ann@example.org>")
    message["To"] = headers.pop("To", "support@example.com")
    message["Subject"] = headers.pop("Subject", "Hello")
    message["Message-ID"] = headers.pop("Message_ID", "<abc@example.org>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message


def test_plain_text_mail() -> None:
    message = _mail(
        Cc="Bo <bo@example.org>, bad-address", In_Reply_To="<x@y>", References="<w@y> <x@y>"
    )
    message.set_content("Hi there\n")
    parsed = parse(message.as_bytes())
    assert parsed.from_address == "ann@example.org" and parsed.from_name == "Ann Lee"
    assert parsed.to == ("support@example.com",) and parsed.cc == ("bo@example.org",)
    assert parsed.subject == "Hello" and parsed.message_id == "<abc@example.org>"
    assert parsed.in_reply_to == ("<x@y>",) and parsed.references == ("<w@y>", "<x@y>")
    assert parsed.text == "Hi there" and parsed.html is None


def test_html_only_mail_is_sanitised_and_gets_text() -> None:
    message = _mail()
    message.set_content("<p>Hi <b>you</b></p><script>steal()</script>", subtype="html")
    parsed = parse(message.as_bytes())
    assert parsed.html is not None and "script" not in parsed.html and "<b>you</b>" in parsed.html
    assert parsed.text == "Hi you"


def test_alternative_with_attachment_and_inline_image() -> None:
    message = _mail()
    message.set_content("plain body")
    message.add_alternative("<p>html body</p>", subtype="html")
    message.add_attachment(
        b"%PDF-1.4 data", maintype="application", subtype="pdf", filename="../../bill.pdf"
    )
    png = b"\x89PNG\r\n\x1a\nxx"
    message.add_attachment(
        png,
        maintype="image",
        subtype="png",
        filename="logo.png",
        disposition="inline",
        cid="<logo@x>",
    )
    parsed = parse(message.as_bytes())
    assert parsed.text == "plain body" and parsed.html == "<p>html body</p>"
    names = [(p.filename, p.content_type, p.inline) for p in parsed.attachments]
    assert names == [("../../bill.pdf", "application/pdf", False), ("logo.png", "image/png", True)]
    assert parsed.attachments[0].data == b"%PDF-1.4 data"


@pytest.mark.parametrize("charset", ["iso-8859-1", "windows-1252", "koi8-r", "x-unknown-charset"])
def test_charsets_including_unknown_ones(charset: str) -> None:
    body = "Grüße" if charset != "koi8-r" else "привет"
    encoded = body.encode(charset if charset != "x-unknown-charset" else "utf-8")
    raw = (
        b"From: a@example.org\r\nTo: s@example.com\r\nSubject: =?"
        + charset.encode()
        + b"?q?x?=\r\n"
        b"Content-Type: text/plain; charset=" + charset.encode() + b"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.b64encode(encoded) + b"\r\n"
    )
    parsed = parse(raw)
    assert parsed.text == body


def test_bad_base64_and_wrong_boundaries_do_not_raise() -> None:
    raw = (
        b"From: a@example.org\r\nTo: s@example.com\r\nSubject: broken\r\n"
        b'Content-Type: multipart/mixed; boundary="AAA"\r\n\r\n'
        b"--BBB\r\nContent-Type: text/plain\r\n\r\nlost part\r\n"
        b"--AAA\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"!!!not base64@@@\r\n--AAA\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename=x.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"JVBER===broken\r\n"
    )
    parsed = parse(raw)
    assert parsed.subject == "broken"
    assert parsed.defects  # the parser noticed, and said so


def test_deep_nesting_is_bounded() -> None:
    inner = b"Content-Type: text/plain\r\n\r\ndeep text\r\n"
    for level in range(200):
        boundary = f"b{level}".encode()
        head = b"Content-Type: multipart/mixed; boundary=" + boundary + b"\r\n\r\n"
        inner = head + b"--" + boundary + b"\r\n" + inner + b"\r\n--" + boundary + b"--\r\n"
    raw = b"From: a@example.org\r\nTo: s@example.com\r\nSubject: deep\r\n" + inner
    parsed = parse(raw)
    assert parsed.subject == "deep"
    assert any("deep" in note for note in parsed.defects)


def test_header_injection_in_names_and_subjects_is_flattened() -> None:
    raw = (
        b"From: =?utf-8?q?Evil=0D=0ABcc=3A_victim=40example=2Eorg?= <evil@example.org>\r\n"
        b"To: s@example.com\r\nSubject: =?utf-8?q?Hi=0D=0ABcc=3A_x=40y=2Ecom?=\r\n\r\nbody\r\n"
    )
    parsed = parse(raw)
    assert "\r" not in parsed.subject and "\n" not in parsed.subject
    assert (
        parsed.from_name is not None
        and "\n" not in parsed.from_name
        and "\r" not in parsed.from_name
    )
    assert parsed.from_address == "evil@example.org"


def test_garbage_bytes_give_an_empty_record_not_an_exception() -> None:
    parsed = parse(b"\x00\xff\xfe garbage without headers \r\n\r\n\x00")
    assert parsed.from_address is None and parsed.message_id is None


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted"),
        ({"Auto_Submitted": "auto-generated; foo"}, "Auto-Submitted"),
        ({"Precedence": "bulk"}, "Precedence"),
        ({"Precedence": "list"}, "Precedence"),
        ({"List_Id": "<news.example.org>"}, "mailing list"),
        ({"X_Loop": "support@example.com"}, "X-Loop"),
        ({"Return_Path": "<>"}, "Return-Path"),
        ({"From": "MAILER-DAEMON@example.org"}, "robot"),
        ({"From": "no-reply@shop.example"}, "robot"),
    ],
)
def test_no_auto_reply_to_automatic_mail(headers: dict[str, str], reason: str) -> None:
    message = _mail(**headers)
    message.set_content("x")
    found = why_no_auto_reply(parse(message.as_bytes()))
    assert found is not None and reason in found


def test_auto_reply_allowed_for_a_person() -> None:
    message = _mail(Auto_Submitted="no")
    message.set_content("x")
    assert why_no_auto_reply(parse(message.as_bytes())) is None
