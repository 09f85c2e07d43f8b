"""Uploads: limits, safe names, sniffed types, and who may see them."""

from __future__ import annotations

import pytest

from frontdesk.core import tickets
from frontdesk.core.shared.errors import Conflict, Invalid, NotFound, TooLarge
from frontdesk.core.shared.records import Actor
from frontdesk.core.tickets import NewMessage, attachments
from frontdesk.core.tickets.attachments import Upload
from tests.conftest import Tenant
from tests.core.helpers import open_ticket

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100


def _upload(
    tenant: Tenant, data: bytes, name: str = "x.png", actor: Actor | None = None, limit: int = 1000
) -> int:
    with tenant.services.store.write() as uow:
        return attachments.upload(
            uow, tenant.services.blobs, actor or tenant.actor, Upload(name, data), limit
        ).id


def test_upload_then_couple_to_a_message(tenant: Tenant) -> None:
    ticket = open_ticket(tenant)
    attachment_id = _upload(tenant, PNG, "../../evil.exe")
    with tenant.services.store.write() as uow:
        message = tickets.add_message(
            uow,
            tenant.actor,
            ticket.id,
            NewMessage(body_text="see file", attachment_ids=(attachment_id,)),
        )
        record, data = attachments.read(uow, tenant.services.blobs, tenant.actor, attachment_id)
        thread = tickets.load_thread(uow, tenant.actor, ticket.id)
    assert data == PNG
    assert record.original_name == "evil.exe" and record.content_type == "image/png"
    assert record.stored_name == record.sha256 and record.message_id == message.id
    assert [a.id for a in thread.attachments[message.id]] == [attachment_id]


def test_empty_and_oversize_uploads_are_refused(tenant: Tenant) -> None:
    with pytest.raises(Invalid):
        _upload(tenant, b"")
    with pytest.raises(TooLarge):
        _upload(tenant, b"x" * 1001)


def test_coupled_attachment_cannot_be_deleted_or_reused(tenant: Tenant) -> None:
    ticket = open_ticket(tenant)
    attachment_id = _upload(tenant, PNG)
    with tenant.services.store.write() as uow:
        tickets.add_message(
            uow,
            tenant.actor,
            ticket.id,
            NewMessage(body_text="a", attachment_ids=(attachment_id,)),
        )
    with pytest.raises(Conflict), tenant.services.store.write() as uow:
        attachments.delete_uncoupled(uow, tenant.actor, attachment_id)
    with pytest.raises(Conflict), tenant.services.store.write() as uow:
        tickets.add_message(
            uow,
            tenant.actor,
            ticket.id,
            NewMessage(body_text="b", attachment_ids=(attachment_id,)),
        )
    with tenant.services.store.read() as uow:
        assert attachments.read(uow, tenant.services.blobs, tenant.actor, attachment_id)[1] == PNG


def test_uncoupled_attachment_can_be_deleted(tenant: Tenant) -> None:
    attachment_id = _upload(tenant, PNG)
    with tenant.services.store.write() as uow:
        attachments.delete_uncoupled(uow, tenant.actor, attachment_id)
    with pytest.raises(NotFound), tenant.services.store.read() as uow:
        attachments.get_attachment(uow, tenant.actor, attachment_id)


def test_other_accounts_and_other_customers_cannot_see_or_use_it(
    tenant: Tenant, other_tenant: Tenant
) -> None:
    mine = open_ticket(tenant, requester_email=tenant.address("me"))
    theirs = open_ticket(tenant, requester_email=tenant.address("them"))
    me = Actor(account_id=tenant.id, label="me", contact_id=mine.requester_id)
    them = Actor(account_id=tenant.id, label="them", contact_id=theirs.requester_id)
    upload_id = _upload(tenant, PNG, actor=me)
    with pytest.raises(NotFound), other_tenant.services.store.read() as uow:
        attachments.get_attachment(uow, other_tenant.actor, upload_id)
    with pytest.raises(NotFound), tenant.services.store.read() as uow:
        attachments.get_attachment(uow, them, upload_id)
    with pytest.raises(NotFound), tenant.services.store.write() as uow:
        tickets.add_message(
            uow, them, theirs.id, NewMessage(body_text="x", attachment_ids=(upload_id,))
        )
    with tenant.services.store.write() as uow:
        tickets.add_message(
            uow, me, mine.id, NewMessage(body_text="mine", attachment_ids=(upload_id,))
        )
        assert attachments.get_attachment(uow, me, upload_id).ticket_id == mine.id
