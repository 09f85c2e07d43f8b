"""Tickets and replies made through the other dialects, as ImBox lists them: inboxName and
fromEmail filled for tickets made through InboxOps and v3 (both null before), and a team
reply mailed through InboxOps listed with the address it was sent from (before:
`from: {null, null}`)."""

from __future__ import annotations

from typing import Any

from frontdesk.core.contacts import ContactFields, find_or_create_contact
from frontdesk.core.identity import credentials
from frontdesk.core.tickets import taxonomy
from tests.dialects.imbox.conftest import ImBox
from tests.mail.conftest import RelayPeer, drain, relay, worker_for

__all__ = ["relay"]  # the fixture, shared with the mail tests


def _listed(imbox: ImBox) -> dict[int, dict[str, Any]]:
    rows = imbox.get("listTickets").json()["json"]
    return {row["ticketID"]: row for row in rows}


def _ops(imbox: ImBox) -> tuple[str, dict[str, str]]:
    workspace = imbox.tenant.account.public_id
    headers = {"Authorization": f"Bearer {imbox.key}", "x-workspace-id": workspace}
    return f"/v1/workspaces/{workspace}/tickets", headers


def _native_id(imbox: ImBox, uuid: str) -> int:
    with imbox.services.store.read() as uow:
        found = uow.tickets.get_ticket_by_uuid(imbox.tenant.id, uuid)
    assert found is not None
    return found.id


def test_inboxops_tickets_list_with_an_inbox_and_their_requester(imbox: ImBox) -> None:
    base, headers = _ops(imbox)
    spec = imbox.client.post(
        base, json={"subject": "Support request", "body": "Initial message text."}, headers=headers
    )
    asked = imbox.client.post(
        base,
        json={"subject": "Login", "body": "Help", "requesterEmail": "jane@example.org"},
        headers=headers,
    )
    assert spec.status_code == asked.status_code == 201
    listed = _listed(imbox)
    bare, jane = (
        listed[_native_id(imbox, spec.json()["id"])],
        listed[_native_id(imbox, asked.json()["id"])],
    )
    # Filed in the workspace's first inbox, where replies to it are mailed from.
    assert bare["inboxName"] == jane["inboxName"] == "Support"
    assert jane["fromEmail"] == "jane@example.org"
    assert bare["fromEmail"] is None  # the spec's example names no customer: there is none


def test_v3_tickets_list_with_an_inbox_and_their_requester(imbox: ImBox) -> None:
    actor = imbox.tenant.actor
    with imbox.services.store.write() as uow:
        taxonomy.create_named(uow, actor, "category", "Billing")
        taxonomy.create_named(uow, actor, "department", "Desk")
        contact = find_or_create_contact(uow, actor, ContactFields(email="kim@example.org"))
        token = credentials.issue_customer_token(uow, actor, contact.id).token
    body = {"title": "Invoice", "content": "Wrong sum", "category": "Billing",
            "department": "Desk", "emailCc": "", "emailTo": ""}  # fmt: skip
    made = imbox.client.post("/v3/tickets", json=body, headers={"PRIVATE-TOKEN": token})
    assert made.status_code == 200, made.text
    row = _listed(imbox)[made.json()["id"]]
    assert (row["inboxName"], row["fromEmail"]) == ("Support", "kim@example.org")
    to_info = {**body, "emailTo": imbox.info.email}
    other = imbox.client.post("/v3/tickets", json=to_info, headers={"PRIVATE-TOKEN": token})
    assert _listed(imbox)[other.json()["id"]]["inboxName"] == "Info"  # as before: named


def test_a_reply_mailed_through_inboxops_lists_the_address_it_was_sent_from(
    imbox: ImBox, relay: RelayPeer
) -> None:
    base, headers = _ops(imbox)
    ticket = imbox.client.post(
        base,
        json={"subject": "Login", "body": "Help", "requesterEmail": "jane@example.org"},
        headers=headers,
    ).json()
    reply = imbox.client.post(
        f"{base}/{ticket['id']}/messages",
        json={"body": "Fixed.", "sendEmail": True},
        headers=headers,
    )
    assert reply.status_code == 201 and reply.json()["emailSent"] is True
    (mail,) = imbox.outbox()

    def to_jane() -> list[dict[str, Any]]:
        rows = imbox.get("listTicketsEmails", startTime="2000-01-01", endTime="2100-01-01")
        return [
            row for row in rows.json()["json"] if row["to"] == [{"address": "jane@example.org"}]
        ]

    assert to_jane() == []  # queued, not sent: not listed among the mails yet
    drain(worker_for(imbox.services, relay))
    sent = to_jane()
    assert len(sent) == 1
    assert sent[0]["from"] == {"address": mail.from_addr, "name": "Support"}
    assert mail.from_addr == imbox.support.email
    assert sent[0]["agentID"] is None  # a workspace key wrote it, no agent
    assert sent[0]["inboxName"] == "Support"
