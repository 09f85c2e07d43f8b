"""Messages and attachments: replies e-mailed through the outbox, notes never, uploads
checked, and only this ticket's uploads attachable."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from frontdesk.storage import tables as t
from tests.conftest import Tenant
from tests.core.helpers import status_changes, ticket_id_of
from tests.dialects.inboxops.conftest import PNG, Ops, error_of

# The spec's example of POST .../messages, verbatim.
SPEC_REPLY = {"body": "Thanks for reaching out.", "isInternal": False, "sendEmail": True}


def _outbox(ops: Ops) -> list[Any]:
    with ops.services.store.read() as uow:
        return list(
            uow.conn.execute(
                select(t.outbox)
                .where(t.outbox.c.account_id == ops.tenant.id)
                .order_by(t.outbox.c.id)
            ).all()
        )


def _customer_ticket(ops: Ops) -> dict[str, Any]:
    return ops.create(requesterEmail=ops.tenant.address("jane"), requesterName="Jane")


def test_reply_as_in_the_spec_queues_one_mail_to_the_requester(ops: Ops) -> None:
    ticket = _customer_ticket(ops)
    response = ops.post(
        f"/{ticket['id']}/messages",
        SPEC_REPLY,
    )
    assert response.status_code == 201, response.text
    message = response.json()
    assert message["body"] == "Thanks for reaching out." and message["type"] == "reply"
    assert message["isInternal"] is False and message["authorType"] == "agent"
    assert message["toAddresses"] == [ops.tenant.address("jane")]
    (mail,) = _outbox(ops)
    assert mail.to_addr == ops.tenant.address("jane") and mail.kind == "agent_reply"
    assert mail.body == "Thanks for reaching out." and mail.from_addr == ops.inbox.email
    assert ops.ticket(ticket["id"])["status"] == "pending"  # awaiting the customer now


def test_a_reply_that_sets_pending_records_the_status_change_once(ops: Ops) -> None:
    ticket = _customer_ticket(ops)
    for text in ("First answer", "Second answer"):
        assert ops.post(f"/{ticket['id']}/messages", {"body": text}).status_code == 201
    changes = status_changes(ops.tenant, ticket_id_of(ops.tenant, ticket["id"]))
    assert changes == [("new", "pending")]


def test_reply_to_given_addresses_with_copies(ops: Ops) -> None:
    ticket = _customer_ticket(ops)
    ops.message(
        ticket["id"],
        body="See attached.",
        sendEmail=True,
        toAddresses=["Boss@Example.ORG"],
        ccAddresses=["team@example.org"],
    )
    (mail,) = _outbox(ops)
    assert mail.to_addrs == "Boss@example.org" and mail.cc_addrs == "team@example.org"


def test_internal_notes_are_never_mailed(ops: Ops) -> None:
    ticket = _customer_ticket(ops)
    note = ops.message(
        ticket["id"],
        body="Customer is on the old plan.",
        isInternal=True,
        sendEmail=True,
        toAddresses=["boss@example.org"],
    )
    assert note["type"] == "note" and note["isInternal"] is True
    assert note["toAddresses"] == []
    ops.message(ticket["id"], body="Reply without e-mail.", sendEmail=False)
    assert _outbox(ops) == []
    assert ops.ticket(ticket["id"])["messages"][1]["isInternal"] is True


def test_the_spec_s_own_create_then_reply_stores_the_reply_and_says_it_was_not_sent(
    ops: Ops,
) -> None:
    """The spec's examples, verbatim: a ticket with no requester, then a reply with
    sendEmail true. It was a 400 `no_recipient` that dropped the reply."""
    created = ops.post("", {"subject": "Support request", "body": "Initial message text."})
    assert created.status_code == 201, created.text
    ticket = created.json()
    reply = ops.post(
        f"/{ticket['id']}/messages",
        SPEC_REPLY,
    )
    assert reply.status_code == 201, reply.text
    shown = reply.json()
    assert shown["type"] == "reply" and shown["body"] == "Thanks for reaching out."
    assert shown["emailSent"] is False and shown["emailNotSentReason"] == "no_recipient"
    assert shown["toAddresses"] == []
    stored = ops.ticket(ticket["id"])["messages"]
    assert [m["body"] for m in stored] == ["Initial message text.", "Thanks for reaching out."]
    assert "emailSent" not in stored[1]  # only the answer to the POST says it
    assert _outbox(ops) == []


def test_the_answer_says_whether_the_reply_went_out(ops: Ops) -> None:
    ticket = _customer_ticket(ops)
    sent = ops.message(ticket["id"], body="On its way.", sendEmail=True)
    # Queued, not yet sent: the relay takes it after the commit.
    assert (sent["emailSent"], sent["emailNotSentReason"], sent["emailStatus"]) == (
        True,
        None,
        "queued",
    )
    plain = ops.message(ticket["id"], body="Not mailed.", sendEmail=False)
    assert (plain["emailSent"], plain["emailNotSentReason"], plain["emailStatus"]) == (
        False,
        None,
        None,
    )
    note = ops.message(ticket["id"], body="Note.", isInternal=True, sendEmail=True)
    assert (note["emailSent"], note["emailNotSentReason"], note["emailStatus"]) == (
        False,
        "internal_note",
        None,
    )
    assert len(_outbox(ops)) == 1


def test_body_html_is_sanitised(ops: Ops) -> None:
    ticket = ops.create()
    message = ops.message(
        ticket["id"],
        body="Hello",
        bodyHtml='<p onclick="x()">Hello <script>alert(1)</script><a href="javascript:x">l</a></p>',
    )
    assert "script" not in message["bodyHtml"] and "onclick" not in message["bodyHtml"]
    assert "javascript" not in message["bodyHtml"] and "Hello" in message["bodyHtml"]


def test_bad_message_bodies(ops: Ops) -> None:
    ticket = ops.create()
    path = f"/{ticket['id']}/messages"
    assert error_of(ops.post(path, {"bodyHtml": "<p>x</p>"}), 400)["field"] == "body"
    assert error_of(ops.post(path, {"body": "  "}), 400)["field"] == "body"
    assert (
        error_of(ops.post(path, {"body": "x", "toAddresses": ["nope"], "sendEmail": True}), 400)[
            "field"
        ]
        == "toAddresses"
    )
    assert error_of(ops.post(path, {"body": "x", "isInternal": "maybe"}), 400)["field"] == (
        "isInternal"
    )
    found = error_of(ops.post(path, {"body": "x", "attachmentIds": ["attachment-uuid-1"]}), 400)
    assert found["field"].startswith("attachmentIds")
    assert len(ops.ticket(ticket["id"])["messages"]) == 1


def test_upload_attach_and_download(ops: Ops) -> None:
    ticket = ops.create()
    upload = ops.upload(ticket["id"], PNG, "../../etc/..screen shot.png")
    assert upload["fileName"] == "screen shot.png"
    assert upload["contentType"] == "image/png" and upload["size"] == len(PNG)
    assert upload["messageId"] is None and upload["ticketId"] == ticket["id"]
    message = ops.message(ticket["id"], body="See the screenshot", attachmentIds=[upload["id"]])
    (carried,) = message["attachments"]
    assert carried["id"] == upload["id"] and carried["messageId"] == message["id"]
    download = ops.client.get(
        carried["url"].removeprefix("http://frontdesk.test"), headers=ops.headers()
    )
    assert download.status_code == 200 and download.content == PNG
    assert download.headers["content-type"] == "image/png"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert "attachment" in download.headers["content-disposition"]
    # an upload is attached once
    again = ops.post(
        f"/{ticket['id']}/messages", {"body": "again", "attachmentIds": [upload["id"]]}
    )
    error_of(again, 409, "attachment_in_use")


def test_type_comes_from_the_content_not_the_name(ops: Ops) -> None:
    ticket = ops.create()
    upload = ops.upload(ticket["id"], b"just text, honest", "invoice.exe")
    assert upload["contentType"] == "text/plain"
    binary = ops.upload(ticket["id"], bytes(range(256)) * 4, "photo.png")
    assert binary["contentType"] == "application/octet-stream"


def test_upload_limits(ops: Ops) -> None:
    ticket = ops.create()
    path = f"{ops.base}/{ticket['id']}/attachments"
    empty = ops.client.post(
        path, files={"file": ("a.txt", b"", "text/plain")}, headers=ops.headers()
    )
    error_of(empty, 400, "empty_file")
    limit = ops.services.settings.max_attachment_bytes
    big = ops.client.post(
        path, files={"file": ("a.bin", b"x" * (limit + 1), "text/plain")}, headers=ops.headers()
    )
    error_of(big, 413)
    nothing = ops.client.post(path, data={"other": "x"}, headers=ops.headers())
    error_of(nothing, 400, "file_required")


def test_only_this_tickets_uploads_can_be_attached(ops: Ops, other_tenant: Tenant) -> None:
    ticket, other = ops.create(), ops.create()
    elsewhere = ops.upload(other["id"])
    found = error_of(
        ops.post(f"/{ticket['id']}/messages", {"body": "x", "attachmentIds": [elsewhere["id"]]}),
        404,
        "attachment_not_found",
    )
    assert found["field"] == "attachmentIds"
    # nor downloaded through another ticket's path
    error_of(ops.get(f"/{ticket['id']}/attachments/{elsewhere['id']}"), 404)
    error_of(ops.get(f"/{ticket['id']}/attachments/not-a-uuid"), 400, "invalid_id")
    assert len(ops.ticket(ticket["id"])["messages"]) == 1
    assert ops.ticket(other["id"])["messages"][0]["attachments"] == []


def test_a_tickets_messages_show_their_senders_times_and_own_attachments(ops: Ops) -> None:
    ticket = _customer_ticket(ops)
    assert ticket["requesterEmail"] == ops.tenant.address("jane")
    assert ticket["requesterName"] == "Jane"
    upload = ops.upload(ticket["id"], PNG, "shot.png")
    reply = ops.message(ticket["id"], body="See the screenshot", attachmentIds=[upload["id"]])
    ops.message(ticket["id"], body="And nothing attached")
    shown = ops.ticket(ticket["id"])
    assert shown["requesterEmail"] == ops.tenant.address("jane")
    for stamp in ("createdAt", "updatedAt", "lastActivityAt"):
        assert shown[stamp].endswith("Z") and shown[stamp][:2] == "20", stamp
    first, with_file, without = shown["messages"]
    assert (first["fromAddress"], first["fromName"]) == (ops.tenant.address("jane"), "Jane")
    assert first["createdAt"].endswith("Z") and first["createdAt"][:2] == "20"
    (carried,) = with_file["attachments"]
    assert carried["id"] == upload["id"] and with_file["id"] == reply["id"]
    assert carried["createdAt"].endswith("Z") and carried["createdAt"][:2] == "20"
    assert without["attachments"] == []
    listed = ops.get("").json()
    (row,) = [item for item in listed if item["id"] == ticket["id"]]
    assert (row["requesterEmail"], row["requesterName"]) == (ops.tenant.address("jane"), "Jane")
