"""winmail.dat (TNEF): unpacked into the files it carries; what cannot be read is kept."""

from __future__ import annotations

import struct
from email.message import EmailMessage
from pathlib import Path

import pytest

from frontdesk.mail import tnef
from frontdesk.mail.parse import parse
from frontdesk.mail.runtime import MailRuntime
from tests.mail.conftest import MailDesk, mail, smtp_send
from tests.mail.tnef_writer import ATTACH_DATA, ATTACHMENT, attribute, winmail

CORPUS = Path(__file__).parent / "corpus" / "replies"


def test_the_outlook_corpus_mail_is_delivered_with_the_files_inside_its_winmail_dat(
    runtime: MailRuntime, desk: MailDesk
) -> None:
    raw = (CORPUS / "outlook_tnef.eml").read_bytes()
    raw = raw.replace(b"support@example.com", desk.support.email.encode()).replace(b"\n", b"\r\n")
    assert runtime.smtp_port is not None
    smtp_send(runtime.smtp_port, raw, "jan@example.org", [desk.support.email])
    (ticket,) = desk.tickets()
    (message,) = desk.messages(ticket.id)
    with desk.services.store.read() as uow:
        files = uow.attachments.attachments_of_messages([message.id])[message.id]
    found = {item.original_name: item for item in files}
    assert set(found) == {"Quarterly report.pdf", "notes.txt"}  # and no winmail.dat
    assert desk.services.blobs.open(found["notes.txt"].sha256) == b"Notes on the report.\n"
    assert found["Quarterly report.pdf"].content_type == "application/pdf"
    assert message.body_text.startswith("Here is the corrected report")


def _with_part(data: bytes, **kind: str) -> bytes:
    message: EmailMessage = mail()
    message.add_attachment(data, **kind)  # type: ignore[arg-type]
    return message.as_bytes()


def test_a_winmail_dat_named_by_its_file_name_alone_is_unpacked() -> None:
    data = winmail([("a.txt", b"alpha")])
    parsed = parse(
        _with_part(data, maintype="application", subtype="octet-stream", filename="WINMAIL.DAT")
    )
    assert [(p.filename, p.data) for p in parsed.attachments] == [("a.txt", b"alpha")]


BROKEN = {
    "not tnef at all": b"just bytes that claim to be winmail.dat",
    "signature then garbage": struct.pack("<IH", 0x223E9F78, 1) + b"\xff" * 40,
    "truncated attribute": winmail([("a.txt", b"alpha")])[:-9],
    # an attachment attribute before any attachment started: tnefparse itself fails here
    "attachment data first": struct.pack("<IH", 0x223E9F78, 1)
    + attribute(ATTACHMENT, ATTACH_DATA, b"orphan" * 4),
    "no files inside": winmail([]),
    "too many attributes": struct.pack("<IH", 0x223E9F78, 1)
    + attribute(1, (0x9006, 0x0008), b"\x00\x00\x01\x00") * (tnef.MAX_OBJECTS + 1),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_winmail_dat_that_cannot_be_read_is_kept_as_it_came(case: str) -> None:
    data = BROKEN[case]
    parsed = parse(
        _with_part(data, maintype="application", subtype="ms-tnef", filename="winmail.dat")
    )
    assert [(p.filename, p.content_type, p.data) for p in parsed.attachments] == [
        ("winmail.dat", "application/ms-tnef", data)
    ]
