"""Idempotency-Key on InboxOps' creates: a retried upload or ticket is answered once, and
another request under the key is InboxOps' 409."""

from __future__ import annotations

import httpx2
from sqlalchemy import Table, func, select

from frontdesk.storage import tables as t
from tests.dialects.inboxops.conftest import PNG, Ops, error_of
from tests.multipart import form


def _upload(ops: Ops, ticket_id: str, boundary: str, data: bytes, key: str) -> httpx2.Response:
    body, headers = form(boundary, "file", "shot.png", data)
    return ops.client.post(
        f"{ops.base}/{ticket_id}/attachments",
        content=body,
        headers={**ops.headers(), **headers, "Idempotency-Key": key},
    )


def _count(ops: Ops, table: Table) -> int:
    with ops.services.store.read() as uow:
        return int(
            uow.conn.execute(
                select(func.count()).select_from(table).where(table.c.account_id == ops.tenant.id)
            ).scalar_one()
        )


def test_a_retried_upload_is_one_attachment_and_another_file_is_a_409(ops: Ops) -> None:
    ticket = ops.create()
    first = _upload(ops, ticket["id"], "one", PNG, "up-1")
    again = _upload(ops, ticket["id"], "two", PNG, "up-1")
    assert first.status_code == again.status_code == 201, first.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert _count(ops, t.attachments) == 1
    error_of(_upload(ops, ticket["id"], "three", b"other", "up-1"), 409, "idempotency_key_reused")
    assert _count(ops, t.attachments) == 1


def test_a_retried_ticket_create_is_one_ticket(ops: Ops) -> None:
    headers = {**ops.headers(), "Idempotency-Key": "t-1"}
    body = {"subject": "Support request", "body": "Initial message text."}
    first = ops.client.post(ops.base, json=body, headers=headers)
    again = ops.client.post(ops.base, json=body, headers=headers)
    assert first.status_code == again.status_code == 201, first.text
    assert again.json()["id"] == first.json()["id"]
    assert _count(ops, t.tickets) == 1
    other = ops.client.post(ops.base, json={**body, "subject": "Else"}, headers=headers)
    error_of(other, 409, "idempotency_key_reused")
