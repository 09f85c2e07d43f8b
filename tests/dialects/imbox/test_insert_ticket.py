"""insertTicket: the spec's example, every body field, the auto reply outbox, bad input."""

from __future__ import annotations

from typing import Any

import pytest

from frontdesk.core import tickets
from frontdesk.core.mail import outbox
from frontdesk.core.shared.html import html_to_text, text_to_html
from frontdesk.core.shared.records import Scope
from tests.conftest import Tenant
from tests.core.helpers import status_changes
from tests.dialects.imbox.conftest import AUTO_REPLY, ImBox, payload

BASE = "http://frontdesk.test"


def _inserted(imbox: ImBox, **extra: Any) -> int:
    response = imbox.insert(imbox.body(**extra))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body == {"result": "success", "json": {"ticketID": body["json"]["ticketID"]}}
    assert isinstance(body["json"]["ticketID"], int)
    return int(body["json"]["ticketID"])


def _grab(imbox: ImBox, ticket_id: int) -> dict[str, Any]:
    response = imbox.get("grabTicket", ticket_id)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _row(imbox: ImBox, ticket_id: int) -> dict[str, Any]:
    rows = imbox.get("listTickets").json()["json"]
    return next(row for row in rows if row["ticketID"] == ticket_id)


def test_the_spec_example_opens_a_ticket_in_that_inbox(imbox: ImBox) -> None:
    ticket_id = _inserted(imbox)
    row = _row(imbox, ticket_id)
    assert row["inboxName"] == "Support"
    assert row["fromEmail"] == "john.doe@example.com"
    assert row["subject"] == "My subject"
    assert row["status"] == "new"
    message = _grab(imbox, ticket_id)["json"][0]
    assert message["messageType"] == "external"
    assert message["from"] == "john.doe@example.com"
    assert message["messagePlain"] == "My message"
    assert message["agentID"] is None


def test_append_open_ticket_defaults_to_true(imbox: ImBox) -> None:
    first = _inserted(imbox)
    assert _inserted(imbox, message="Second") == first
    assert _inserted(imbox, message="Third", appendOpenTicket=True) == first
    separate = _inserted(imbox, message="Fourth", appendOpenTicket=False)
    assert separate != first
    elsewhere = _inserted(imbox, toEmail=imbox.info.email)
    assert elsewhere not in (first, separate)
    assert len(_grab(imbox, first)["json"]) == 3


def test_fields_from_name_labels_status_type_and_html(imbox: ImBox) -> None:
    ticket_id = _inserted(
        imbox,
        fromName="John",
        labels=["Support", "vip"],
        status="on-hold",
        message="<p>Hi <b>there</b><script>x()</script></p>",
    )
    grabbed = _grab(imbox, ticket_id)
    assert grabbed["meta"]["ticketStatus"] == "on-hold"
    assert grabbed["meta"]["labels"] == [{"label": "Support"}, {"label": "vip"}]
    first = grabbed["json"][0]
    assert first["fromName"] == "John"
    assert first["messageHtml"] == "<p>Hi <b>there</b></p>"
    assert first["messagePlain"] == "Hi there"

    _inserted(imbox, ticketId=str(ticket_id), message="private", messageType="internal")
    note = _grab(imbox, ticket_id)["json"][-1]
    assert note["messageType"] == "internal"
    assert note["messagePlain"] == "private"


@pytest.mark.parametrize(
    "text",
    [
        "Order ref <Order 123> is missing",  # was stored as "Order ref  is missing"
        "a <b and c> d",
        "Write to <john.doe@example.org> & <info@example.org>",
        "if x<y and y>z then <3",
        "<p>unclosed, so not HTML",
        "Tabs\tand\n\nparagraphs kept",
    ],
)
def test_plain_text_with_angle_brackets_is_kept_exactly(imbox: ImBox, text: str) -> None:
    grabbed = _grab(imbox, _inserted(imbox, message=text, appendOpenTicket=False))
    first = grabbed["json"][0]
    assert first["messagePlain"] == text
    # Its HTML is the text escaped, so nothing of it is lost there either.
    assert html_to_text(first["messageHtml"]) == html_to_text(text_to_html(text))
    assert "&lt;" in first["messageHtml"] or "<" not in text


def test_real_html_is_still_html(imbox: ImBox) -> None:
    for message, plain in [
        ("Hello<br>there", "Hello\nthere"),
        ("<div class='x'>Order <b>123</b></div>", "Order 123"),
        ("<!-- from Outlook -->Thanks", "Thanks"),
    ]:
        ticket = _inserted(imbox, message=message, appendOpenTicket=False)
        first = _grab(imbox, ticket)["json"][0]
        assert first["messagePlain"] == plain, message


def test_ticket_id_appends_to_that_ticket(imbox: ImBox) -> None:
    ticket_id = _inserted(imbox, appendOpenTicket=False)
    other = _inserted(imbox, appendOpenTicket=False)
    assert _inserted(imbox, ticketId=ticket_id, subject="ignored", message="more") == ticket_id
    assert _inserted(imbox, ticketId=str(other), message="more") == other
    assert [m["messagePlain"] for m in _grab(imbox, ticket_id)["json"]] == ["My message", "more"]
    assert _row(imbox, ticket_id)["subject"] == "My subject"


def test_a_status_given_with_a_message_is_a_recorded_status_change(imbox: ImBox) -> None:
    ticket_id = _inserted(imbox, status="on-hold", appendOpenTicket=False)
    assert status_changes(imbox.tenant, ticket_id) == [("new", "on-hold")]
    _inserted(imbox, ticketId=ticket_id, message="Solved on the phone", status="solved")
    _inserted(imbox, ticketId=ticket_id, message="Noted", status="solved")  # solved already
    assert status_changes(imbox.tenant, ticket_id) == [("new", "on-hold"), ("on-hold", "solved")]


def test_assign_agents_needs_inbox_access(imbox: ImBox) -> None:
    ticket_id = _inserted(imbox, assignAgents=[imbox.agent.email.upper()])
    agents = _grab(imbox, ticket_id)["meta"]["assignedAgents"]
    assert agents == [
        {"id": imbox.agent.id, "agentName": "Agent1 Name", "agentEmail": imbox.agent.email}
    ]

    before = imbox.counts()
    response = imbox.insert(imbox.body(toEmail=imbox.info.email, assignAgents=[imbox.agent.email]))
    assert response.status_code == 400
    assert response.json()["code"] == "agent_without_inbox"
    response = imbox.insert(imbox.body(assignAgents=["nobody@example.org"]))
    assert response.status_code == 404
    assert response.json()["code"] == "agent_not_found"
    assert imbox.counts() == before


def test_auto_reply_is_queued_once_per_new_ticket(imbox: ImBox) -> None:
    first = _inserted(imbox, fromName="John")
    _inserted(imbox, message="appended")  # joins the open ticket: no second auto reply
    rows = imbox.outbox()
    assert len(rows) == 1
    row = rows[0]
    assert (row.kind, row.status, row.attempts) == ("auto_reply", "queued", 0)
    assert (row.ticket_id, row.to_addr, row.from_addr) == (
        first,
        "john.doe@example.com",
        imbox.support.email,
    )
    assert row.body == AUTO_REPLY
    assert row.subject == "Re: My subject"
    assert row.dedupe_key == f"auto_reply:{first}"

    _inserted(imbox, appendOpenTicket=False, autoReply=False)
    _inserted(imbox, appendOpenTicket=False, messageType="internal")
    _inserted(imbox, toEmail=imbox.info.email)  # Info has no auto-reply text
    assert len(imbox.outbox()) == 1


def test_an_auto_reply_can_never_be_queued_twice(imbox: ImBox) -> None:
    ticket_id = _inserted(imbox)
    with imbox.services.store.write() as uow:
        ticket = tickets.get_ticket(uow, imbox.tenant.actor, ticket_id)
        again = outbox.queue_auto_reply(
            uow, imbox.tenant.actor, ticket, imbox.support, "x@example.org"
        )
    assert again is False
    assert len(imbox.outbox()) == 1


def test_attachments_are_fetched_and_served(
    imbox: ImBox, file_server: str, allow_private: None
) -> None:
    ticket_id = _inserted(
        imbox,
        attachments=[
            f"{file_server}/file/report.pdf?size=2000",
            f"{file_server}/chunked?size=9000",
            f"{file_server}/redirect?to=/file/moved.txt%3Fsize%3D10",
        ],
    )
    urls = _grab(imbox, ticket_id)["json"][0]["attachments"]
    assert len(urls) == 3
    bodies = [imbox.client.get(url.removeprefix(BASE)).content for url in urls]
    assert bodies == [payload(2000), payload(9000), payload(10)]
    disposition = imbox.client.get(urls[0].removeprefix(BASE)).headers["content-disposition"]
    assert 'filename="report.pdf"' in disposition


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/file/big?size=300000", 413, "attachments_too_large"),  # over the 256 KiB file limit
        ("/chunked?size=300000", 413, "attachments_too_large"),  # no Content-Length to trust
        ("/missing", 400, "attachment_unavailable"),
    ],
)
def test_bad_attachments_write_nothing(
    imbox: ImBox, file_server: str, allow_private: None, path: str, status: int, code: str
) -> None:
    before = imbox.counts()
    response = imbox.insert(
        imbox.body(attachments=[f"{file_server}/file/ok?size=10", file_server + path])
    )
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert "attachments[1]" in response.json()["message"]
    assert imbox.counts() == before


def test_loopback_is_refused_unless_the_operator_allows_it(imbox: ImBox, file_server: str) -> None:
    assert imbox.services.settings.allow_private_fetch is False
    before = imbox.counts()
    for url in (
        f"{file_server}/file/a?size=10",
        "http://localhost:9/x",
        "http://[::1]:9/x",
        "ftp://example.org/x",
    ):
        response = imbox.insert(imbox.body(attachments=[url]))
        assert response.status_code == 400, response.text
        assert response.json()["code"] in {"address_not_allowed", "invalid_url"}
    assert imbox.counts() == before


def test_a_redirect_to_a_private_address_is_refused(
    imbox: ImBox, file_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """127.0.0.1 stands in for a public server here; 127.0.0.2 for a private one."""
    from frontdesk.services import fetch

    real = fetch.permitted
    monkeypatch.setattr(
        fetch,
        "permitted",
        lambda address, allow_private: address == "127.0.0.1" or real(address, allow_private=False),
    )
    port = file_server.rsplit(":", 1)[1]
    response = imbox.insert(
        imbox.body(
            attachments=[f"{file_server}/redirect?to=http://127.0.0.2:{port}/file/x%3Fsize%3D5"]
        )
    )
    assert response.status_code == 400
    assert response.json()["code"] == "address_not_allowed"
    assert response.json()["field"] == "attachments"


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"fromEmail": None}, 400, "invalid"),
        ({"message": "   "}, 400, "invalid"),
        ({"subject": ""}, 400, "invalid"),
        ({"toEmail": "nobody@example.org"}, 404, "inbox_not_found"),
        ({"fromEmail": "not-an-address"}, 400, "invalid_email"),
        ({"status": "open"}, 400, "invalid"),
        ({"messageType": "log"}, 400, "invalid"),
        ({"ticketId": "abc"}, 400, "invalid"),
        ({"ticketId": 2_000_000_000}, 404, "ticket_not_found"),
        ({"appendOpenTicket": "maybe"}, 400, "invalid"),
        ({"labels": "Support"}, 400, "invalid"),
        ({"labels": [""]}, 400, "required"),
        ({"attachments": ["x"] * 21}, 400, "invalid"),
        ({"colour": "red"}, 400, "invalid"),
        ({"message": "a\x00b"}, 400, "invalid_text"),
        ({"subject": "a\x00b"}, 400, "invalid_text"),
    ],
)
def test_bad_bodies_are_refused_and_nothing_is_written(
    imbox: ImBox, change: dict[str, Any], status: int, code: str
) -> None:
    body = imbox.body(**change)
    body = {key: value for key, value in body.items() if value is not None}
    before = imbox.counts()
    response = imbox.insert(body)
    assert response.status_code == status, response.text
    assert response.json()["result"] == "error"
    assert response.json()["code"] == code
    assert imbox.counts() == before


def test_another_accounts_ticket_id_is_a_404_and_nothing_is_written(
    imbox: ImBox, other_tenant: Tenant
) -> None:
    from tests.core.helpers import open_ticket

    theirs = open_ticket(other_tenant).id
    before = imbox.counts()
    response = imbox.insert(imbox.body(ticketId=str(theirs)))
    assert response.status_code == 404
    assert response.json()["code"] == "ticket_not_found"
    assert imbox.counts() == before


def test_keys_scopes_and_malformed_bodies(imbox: ImBox, other_tenant: Tenant) -> None:
    before = imbox.counts()
    read_only = imbox.insert(imbox.body(), key=imbox.read_key)
    assert read_only.status_code == 403
    assert read_only.json()["code"] == "missing_scope"
    foreign = other_tenant.key(Scope.TICKETS_WRITE)
    assert imbox.insert(imbox.body(), key=foreign).status_code == 403
    malformed = imbox.client.post(
        imbox.url("insertTicket"),
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    assert malformed.status_code == 400
    assert malformed.json()["result"] == "error"
    huge = imbox.insert(imbox.body(message="x" * 70_000))  # over the 64 KiB request limit
    assert huge.status_code == 413
    assert huge.json()["result"] == "error"
    assert imbox.counts() == before
    assert _inserted(imbox)  # the write key works
