"""Idempotency-Key on ImBox's one create, insertTicket: a retry is answered once, another
request under the key is ImBox's error envelope with a 409."""

from __future__ import annotations

from tests.dialects.imbox.conftest import ImBox


def test_a_retried_insert_is_one_ticket_and_another_body_is_a_409(imbox: ImBox) -> None:
    url = imbox.url("insertTicket")
    headers = {"Idempotency-Key": "insert-1"}
    first = imbox.client.post(url, json=imbox.body(), headers=headers)
    again = imbox.client.post(url, json=imbox.body(), headers=headers)
    assert first.status_code == again.status_code == 200, first.text
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert imbox.counts()["tickets"] == 1
    clash = imbox.client.post(url, json=imbox.body(subject="Other"), headers=headers)
    assert clash.status_code == 409
    assert clash.json() == {
        "result": "error",
        "message": "This Idempotency-Key was used for another request in the last 24 hours",
        "code": "idempotency_key_reused",
        "field": "Idempotency-Key",
    }
    assert imbox.counts()["tickets"] == 1
