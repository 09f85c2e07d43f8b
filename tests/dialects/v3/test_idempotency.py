"""Idempotency-Key on v3's creates: a retried upload or ticket is answered once, another
request under the key is v3's 409, and two customers' keys never meet."""

from __future__ import annotations

import httpx2
from sqlalchemy import Table, func, select

from frontdesk.storage import tables as t
from tests.dialects.v3.conftest import PNG, V3, error_of
from tests.multipart import form


def _upload(
    v3: V3, boundary: str, data: bytes, key: str, token: str | None = None
) -> httpx2.Response:
    body, headers = form(boundary, "attachment", "shot.png", data)
    return v3.client.post(
        "/v3/tickets/attachment",
        content=body,
        headers={**v3.headers(token), **headers, "Idempotency-Key": key},
    )


def _count(v3: V3, table: Table) -> int:
    with v3.services.store.read() as uow:
        return int(
            uow.conn.execute(
                select(func.count()).select_from(table).where(table.c.account_id == v3.tenant.id)
            ).scalar_one()
        )


def test_a_retried_upload_is_one_attachment_and_another_file_is_a_409(v3: V3) -> None:
    first = _upload(v3, "one", PNG, "up-1")
    again = _upload(v3, "two", PNG, "up-1")
    assert first.status_code == again.status_code == 200, first.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert _count(v3, t.attachments) == 1
    clash = error_of(_upload(v3, "three", PNG + b"more", "up-1"), 409)
    assert clash["error"] == "idempotency_key_reused"
    assert _count(v3, t.attachments) == 1


def test_two_customers_with_one_key_each_get_their_own_answer(v3: V3) -> None:
    mine = _upload(v3, "a", PNG, "same")
    theirs = _upload(v3, "b", PNG, "same", token=v3.other.token)
    assert mine.status_code == theirs.status_code == 200
    assert "idempotent-replayed" not in theirs.headers
    assert mine.json()["attachmentId"] != theirs.json()["attachmentId"]


def test_a_retried_ticket_create_is_one_ticket(v3: V3) -> None:
    headers = v3.headers(**{"Idempotency-Key": "ticket-1"})
    first = v3.client.post("/v3/tickets", json=v3.body(), headers=headers)
    again = v3.client.post("/v3/tickets", json=v3.body(), headers=headers)
    assert first.status_code == again.status_code == 200, first.text
    assert again.json()["id"] == first.json()["id"]
    assert _count(v3, t.tickets) == 1
    other = v3.client.post("/v3/tickets", json=v3.body(title="Other"), headers=headers)
    assert error_of(other, 409)["error"] == "idempotency_key_reused"
