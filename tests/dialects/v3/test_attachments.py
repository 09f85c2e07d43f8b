"""v3 uploads and downloads: limits, names, types, ownership, and deleting uncoupled files."""

from __future__ import annotations

import base64
import hashlib

import pytest

from frontdesk.core.tickets import attachments
from frontdesk.core.tickets.attachments import Upload
from frontdesk.core.tickets.records import Attachment, MessageKind
from tests.dialects.v3.conftest import PNG, V3, error_of


def _stored(v3: V3, attachment_id: int) -> Attachment:
    with v3.services.store.read() as uow:
        record = uow.attachments.get_attachment(v3.tenant.id, attachment_id)
    assert record is not None
    return record


def test_upload_couple_and_download(v3: V3) -> None:
    attachment_id = v3.upload(PNG, "screen shot.txt")
    record = _stored(v3, attachment_id)
    assert record.content_type == "image/png"  # from the bytes, not the name or the claim
    assert record.stored_name == hashlib.sha256(PNG).hexdigest()
    assert record.original_name == "screen shot.txt" and record.message_id is None
    ticket = v3.ticket(attachmentIds=[attachment_id])
    response = v3.get(f"/v3/tickets/{ticket['id']}/attachment/{attachment_id}")
    assert response.status_code == 200 and response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-disposition"].startswith('attachment; filename="screen shot')
    replies = v3.get(f"/v3/tickets/{ticket['id']}").json()["replies"]
    assert replies[0]["attachments"] == [
        {"id": attachment_id, "fileName": "screen shot.txt", "contentType": "image/png", "size": 72}
    ]


@pytest.mark.parametrize(
    "accept",
    ["application/json", "application/json, text/plain, */*", "text/html;q=0.9, application/json"],
)
def test_a_client_that_asks_for_json_gets_the_spec_s_json_string(v3: V3, accept: str) -> None:
    """The spec documents the answer as an `application/json` string: base64 of the bytes."""
    attachment_id = v3.upload(PNG, "shot.png")
    ticket = v3.ticket(attachmentIds=[attachment_id])
    response = v3.get(f"/v3/tickets/{ticket['id']}/attachment/{attachment_id}", Accept=accept)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["vary"] == "Accept"
    assert base64.b64decode(response.json(), validate=True) == PNG


@pytest.mark.parametrize(
    "accept", [None, "*/*", "image/png", "application/json;q=0", "application/octet-stream"]
)
def test_every_other_client_keeps_the_raw_download(v3: V3, accept: str | None) -> None:
    attachment_id = v3.upload(PNG, "shot.png")
    ticket = v3.ticket(attachmentIds=[attachment_id])
    extra = {"Accept": accept} if accept else {}
    response = v3.get(f"/v3/tickets/{ticket['id']}/attachment/{attachment_id}", **extra)
    assert response.status_code == 200 and response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["content-disposition"].startswith("attachment;")


def test_reply_with_an_attachment(v3: V3) -> None:
    ticket = v3.ticket()
    attachment_id = v3.upload(b"plain text file\n", "notes.txt")
    response = v3.client.post(
        f"/v3/tickets/{ticket['id']}/reply",
        json={"title": "Re", "content": "see file", "attachmentIds": [attachment_id]},
        headers=v3.headers(),
    )
    assert response.status_code == 200, response.text
    download = v3.get(f"/v3/tickets/{ticket['id']}/attachment/{attachment_id}")
    assert download.content == b"plain text file\n"
    assert download.headers["content-type"].startswith("text/plain")


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ("/abs/path/.hidden", "hidden"),
        ("bell\x07tab\tesc\x1b.txt", "belltabesc.txt"),
        ("nul\x00.txt", "nul.txt"),
        ("bidi\u202egnp.exe", "bidignp.exe"),
        ("...", "attachment"),
    ],
)
def test_file_names_never_carry_paths_or_control_characters(v3: V3, name: str, shown: str) -> None:
    # Written by hand: HTTP clients escape control characters in file names, attackers don't.
    boundary = "v3-test-boundary"
    raw = (
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="attachment"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
        f"data\r\n--{boundary}--\r\n"
    ).encode()
    response = v3.client.post(
        "/v3/tickets/attachment",
        content=raw,
        headers=v3.headers(**{"Content-Type": f"multipart/form-data; boundary={boundary}"}),
    )
    assert response.status_code == 200, response.text
    attachment_id = response.json()["attachmentId"]
    record = _stored(v3, attachment_id)
    assert record.original_name == shown
    assert record.stored_name == hashlib.sha256(b"data").hexdigest()
    ticket = v3.ticket(attachmentIds=[attachment_id])
    response = v3.get(f"/v3/tickets/{ticket['id']}/attachment/{attachment_id}")
    assert f'filename="{shown}"' in response.headers["content-disposition"]


def test_empty_and_oversize_uploads_are_refused(v3: V3) -> None:
    empty = v3.client.post(
        "/v3/tickets/attachment", files={"attachment": ("e.txt", b"")}, headers=v3.headers()
    )
    assert error_of(empty, 400)["error"] == "empty_file"
    limit = v3.services.settings.max_attachment_bytes
    just_over = v3.client.post(
        "/v3/tickets/attachment",
        files={"attachment": ("big.bin", b"x" * (limit + 1))},
        headers=v3.headers(),
    )
    assert error_of(just_over, 413)["error"] == "file_too_large"
    way_over = v3.client.post(
        "/v3/tickets/attachment",
        files={"attachment": ("huge.bin", b"x" * (limit * 2))},
        headers=v3.headers(),
    )
    assert error_of(way_over, 413)["error"] == "too_large"
    assert v3.upload(b"x" * limit, "exactly.bin") > 0
    missing = v3.client.post(
        "/v3/tickets/attachment", files={"other": ("a.txt", b"a")}, headers=v3.headers()
    )
    assert error_of(missing, 400)["field"] == "attachment"


def test_another_customers_upload_is_invisible_and_unusable(v3: V3) -> None:
    theirs = v3.upload(PNG, token=v3.other.token)
    their_ticket = v3.ticket(token=v3.other.token, attachmentIds=[theirs])
    my_ticket = v3.ticket()
    error_of(v3.get(f"/v3/tickets/{their_ticket['id']}/attachment/{theirs}"), 404)
    error_of(v3.get(f"/v3/tickets/{my_ticket['id']}/attachment/{theirs}"), 404)
    refused = v3.create(attachmentIds=[v3.upload(PNG, token=v3.other.token)])
    assert error_of(refused, 404)["error"] == "attachment_not_found"
    deleting = v3.client.delete(f"/v3/tickets/attachment/{theirs}", headers=v3.headers())
    assert error_of(deleting, 404)["error"] == "attachment_not_found"


def test_an_attachment_is_named_through_its_own_ticket(v3: V3) -> None:
    attachment_id = v3.upload()
    first = v3.ticket(attachmentIds=[attachment_id])
    second = v3.ticket()
    assert v3.get(f"/v3/tickets/{first['id']}/attachment/{attachment_id}").status_code == 200
    error_of(v3.get(f"/v3/tickets/{second['id']}/attachment/{attachment_id}"), 404)
    reused = v3.create(attachmentIds=[attachment_id])  # it is on another ticket now
    assert error_of(reused, 404)["error"] == "attachment_not_found"


def test_files_on_internal_notes_are_never_shown(v3: V3) -> None:
    ticket = v3.ticket()
    with v3.services.store.write() as uow:
        note_file = attachments.upload(
            uow, v3.services.blobs, v3.tenant.actor, Upload("internal.txt", b"secret"), 1000
        ).id
        answer_file = attachments.upload(
            uow, v3.services.blobs, v3.tenant.actor, Upload("answer.txt", b"public"), 1000
        ).id
    v3.agent_writes(ticket["id"], "note", kind=MessageKind.INTERNAL, attachment_ids=(note_file,))
    v3.agent_writes(ticket["id"], "here you go", attachment_ids=(answer_file,))
    error_of(v3.get(f"/v3/tickets/{ticket['id']}/attachment/{note_file}"), 404)
    assert v3.get(f"/v3/tickets/{ticket['id']}/attachment/{answer_file}").content == b"public"
    body = v3.get(f"/v3/tickets/{ticket['id']}").text
    assert "internal.txt" not in body and "answer.txt" in body


def test_delete_an_uncoupled_upload(v3: V3) -> None:
    attachment_id = v3.upload()
    response = v3.client.delete(f"/v3/tickets/attachment/{attachment_id}", headers=v3.headers())
    assert response.status_code == 204 and response.content == b""
    with v3.services.store.read() as uow:
        assert uow.attachments.get_attachment(v3.tenant.id, attachment_id) is None
    again = v3.client.delete(f"/v3/tickets/attachment/{attachment_id}", headers=v3.headers())
    error_of(again, 404)
    refused = v3.create(attachmentIds=[attachment_id])
    assert error_of(refused, 404)["error"] == "attachment_not_found"


def test_deleting_a_coupled_attachment_is_refused_and_the_file_kept(v3: V3) -> None:
    attachment_id = v3.upload()
    ticket = v3.ticket(attachmentIds=[attachment_id])
    response = v3.client.delete(f"/v3/tickets/attachment/{attachment_id}", headers=v3.headers())
    assert error_of(response, 409)["error"] == "attachment_in_use"
    assert _stored(v3, attachment_id).message_id is not None
    download = v3.get(f"/v3/tickets/{ticket['id']}/attachment/{attachment_id}")
    assert download.status_code == 200 and download.content == PNG


@pytest.mark.parametrize("bad", ["0", "-1", "abc", "2147483648"])
def test_bad_attachment_ids_are_400(v3: V3, bad: str) -> None:
    error_of(v3.client.delete(f"/v3/tickets/attachment/{bad}", headers=v3.headers()), 400)
    error_of(v3.get(f"/v3/tickets/1/attachment/{bad}"), 400)
