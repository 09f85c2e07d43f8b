"""core/people on a real unit of work: a contact's tickets and chats, linking a chat, merging,
and what the GDPR export and erasure record and refuse. The native API's own tests
(tests/api/test_contacts.py, tests/api/test_gdpr.py) cover the routes; these pin what the
routes do not show (the refusals' fields and messages, the events' data, the limits)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from frontdesk.core import chat
from frontdesk.core.chat.records import VisitorInfo
from frontdesk.core.contacts import ContactFields, find_or_create_contact
from frontdesk.core.contacts.records import Contact
from frontdesk.core.people import contacts as people
from frontdesk.core.people import gdpr
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.core.shared.errors import Forbidden, Invalid
from frontdesk.core.shared.records import Actor
from tests.conftest import Tenant
from tests.core.helpers import open_ticket


def _contact(tenant: Tenant, local: str, **fields: str) -> Contact:
    with tenant.services.store.write() as uow:
        return find_or_create_contact(
            uow, tenant.actor, ContactFields(email=tenant.address(local), **fields)
        )


def _events(tenant: Tenant, kind: str) -> list[dict[str, Any]]:
    with tenant.services.store.read() as uow:
        rows = uow.conn.execute(
            text("SELECT data FROM events WHERE account_id = :a AND kind = :k ORDER BY id"),
            {"a": tenant.id, "k": kind},
        ).all()
    return [json.loads(row[0]) for row in rows]


def _chats(tenant: Tenant, contact: Contact, count: int) -> list[str]:
    """`count` conversations linked to the contact, in one transaction."""
    made = []
    with tenant.services.store.write() as uow:
        for _ in range(count):
            opened = chat.open_conversation(uow, tenant.id, VisitorInfo(), None)
            uow.people.link_conversation(opened.conversation.id, contact.id)
            made.append(opened.conversation.public_id)
    return made


@pytest.mark.parametrize(("limit", "taken"), [(0, False), (1, True), (100, True), (101, False)])
def test_a_contacts_ticket_page_takes_1_to_100(tenant: Tenant, limit: int, taken: bool) -> None:
    # kills contact_tickets' bounds (1 < limit, limit < 100, 2 <= limit) and its error's parts
    ann = _contact(tenant, "ann")
    ticket = open_ticket(tenant, requester_email=ann.email)
    with tenant.services.store.read() as uow:
        if taken:
            found, details = people.contact_tickets(
                uow, tenant.actor, ann.id, after_id=0, limit=limit
            )
            assert [t.id for t in found] == [ticket.id]
            assert set(details) == {ticket.id}
            return
        with pytest.raises(Invalid) as refused:
            people.contact_tickets(uow, tenant.actor, ann.id, after_id=0, limit=limit)
    assert (refused.value.code, refused.value.field) == ("invalid_limit", "limit")
    assert refused.value.message == "limit must be between 1 and 100"


def test_a_contacts_chats_are_the_newest_500(tenant: Tenant) -> None:
    # kills contact_chats' limit=None (every chat)
    ann = _contact(tenant, "ann")
    made = _chats(tenant, ann, 501)
    with tenant.services.store.read() as uow:
        found = people.contact_chats(uow, tenant.actor, ann.id)
    assert len(found) == 500
    assert made[0] not in {c.public_id for c in found}  # the oldest is the one left out


def test_linking_and_unlinking_a_chat_records_both_ids(tenant: Tenant) -> None:
    # kills link_chat's `contact_id is not None or True`, `contact or True`, and the event's
    # conversation_id and contact_id dropped or None
    ann = _contact(tenant, "ann")
    with tenant.services.store.write() as uow:
        opened = chat.open_conversation(uow, tenant.id, VisitorInfo(), None)
    public_id = opened.conversation.public_id
    with tenant.services.store.write() as uow:
        people.link_chat(uow, tenant.actor, public_id, ann.id)
    with tenant.services.store.read() as uow:
        assert [c.public_id for c in people.contact_chats(uow, tenant.actor, ann.id)] == [public_id]
    with tenant.services.store.write() as uow:
        people.link_chat(uow, tenant.actor, public_id, None)
    with tenant.services.store.read() as uow:
        assert people.contact_chats(uow, tenant.actor, ann.id) == []
    assert _events(tenant, people.CHAT_CONTACT_SET) == [
        {"conversation_id": public_id, "contact_id": ann.id},
        {"conversation_id": public_id, "contact_id": None},
    ]


def test_merging_into_itself_is_refused_on_the_into_field(tenant: Tenant) -> None:
    # kills merge_contacts' same_contact message and field mutants
    ann = _contact(tenant, "ann")
    with pytest.raises(Invalid) as refused, tenant.services.store.write() as uow:
        people.merge_contacts(uow, tenant.actor, ann.id, ann.id)
    assert (refused.value.code, refused.value.field) == ("same_contact", "into_id")
    assert refused.value.message == "A contact cannot be merged into itself"


def test_a_merge_keeps_the_targets_own_fields_and_records_both_ids(tenant: Tenant) -> None:
    # kills `getattr(source, key) or not getattr(target, key)` (the source's name would
    # overwrite the target's) and the event's source_id/target_id dropped or None
    keep = _contact(tenant, "ann", name="Ann Lee", company="Acme")
    dupe = _contact(tenant, "ann.work", name="A. Lee", phone="555")
    with tenant.services.store.write() as uow:
        merged = people.merge_contacts(uow, tenant.actor, dupe.id, keep.id)
    assert (merged.name, merged.company, merged.phone) == ("Ann Lee", "Acme", "555")
    with tenant.services.store.read() as uow:
        stored = uow.contacts.get_contact(tenant.id, keep.id)
    assert stored is not None
    assert (stored.name, stored.company, stored.phone) == ("Ann Lee", "Acme", "555")
    # nothing to fill: the target comes back as it was
    full = _contact(tenant, "bob", name="Bob", phone="1", company="Zeta", external_id="b1")
    other = _contact(tenant, "bob.work", name="Robert", phone="2")
    with tenant.services.store.write() as uow:
        again = people.merge_contacts(uow, tenant.actor, other.id, full.id)
    assert (again.name, again.phone, again.company, again.external_id) == ("Bob", "1", "Zeta", "b1")
    assert _events(tenant, people.CONTACT_MERGED) == [
        {"source_id": dupe.id, "target_id": keep.id},
        {"source_id": other.id, "target_id": full.id},
    ]


def test_a_customer_token_can_neither_export_nor_erase(tenant: Tenant) -> None:
    # kills _admin_only's Forbidden code and message mutants
    ann = _contact(tenant, "ann")
    customer = Actor(account_id=tenant.id, label="customer", contact_id=ann.id)
    for call in (
        lambda uow: gdpr.gather(uow, customer, ann.id),
        lambda uow: gdpr.erase(uow, customer, ann.id, gdpr.ErasureMode.DELETE),
    ):
        with pytest.raises(Forbidden) as refused, tenant.services.store.write() as uow:
            call(uow)
        assert refused.value.code == "customer_token"
        assert refused.value.message == "A customer token cannot do this"
    with tenant.services.store.read() as uow:
        assert uow.contacts.get_contact(tenant.id, ann.id) is not None


def test_the_export_cuts_other_tickets_to_their_messages_and_files_and_is_recorded(
    client: TestClient, tenant: Tenant
) -> None:
    # kills _elsewhere's `key not in ids` and the replace() without messages or attachments,
    # and gather's CONTACT_EXPORTED event without its contact_id
    h = tenant.headers()
    ann = _contact(tenant, "ann")

    def upload(name: str) -> int:
        made = client.post("/api/v1/attachments", files={"attachment": (name, b"bytes")}, headers=h)
        assert made.status_code == 201, made.text
        return int(made.json()["id"])

    bobs = client.post(
        "/api/v1/tickets",
        json={"subject": "Bob's", "message": {"body": "Bob writes", "attachment_ids": [
            upload("bob.txt")]}, "requester_email": tenant.address("bob")},
        headers=h,
    )  # fmt: skip
    assert bobs.status_code == 201, bobs.text
    bobs_id = bobs.json()["id"]
    hers = client.post(
        f"/api/v1/tickets/{bobs_id}/messages",
        json={"body": "Ann adds", "from_email": ann.email, "attachment_ids": [upload("ann.txt")]},
        headers=h,
    )
    assert hers.status_code == 201, hers.text
    with tenant.services.store.write() as uow:
        dossier = gdpr.gather(uow, tenant.actor, ann.id)
    (thread,) = dossier.elsewhere
    assert [m.body_text for m in thread.messages] == ["Ann adds"]
    assert [m.id for m in thread.messages] == list(thread.attachments)
    assert [a.original_name for a in thread.attachments[thread.messages[0].id]] == ["ann.txt"]
    assert _events(tenant, gdpr.CONTACT_EXPORTED) == [{"contact_id": ann.id}]


def test_erasure_empties_the_data_of_their_tickets_events(tenant: Tenant) -> None:
    # kills erase's forget_ticket_events(None)
    ann = _contact(tenant, "ann")
    ticket = open_ticket(tenant, requester_email=ann.email)
    with tenant.services.store.write() as uow:
        events.record(uow, tenant.actor, "test.note", now_ms(), ticket_id=ticket.id, why="hers")
    with tenant.services.store.write() as uow:
        gdpr.erase(uow, tenant.actor, ann.id, gdpr.ErasureMode.ANONYMISE)
    with tenant.services.store.read() as uow:
        kept = [data for kind, _actor, data in uow.events.list_events(tenant.id, ticket.id)]
    assert kept
    assert all(data == {} for data in kept), kept
