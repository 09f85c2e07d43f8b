"""Large uploads through a real `frontdesk serve`: the server's peak resident memory
(VmHWM, Linux /proc) grows far less than the file, on the local disk and on S3 (moto's
server), for the v3 API's upload and the customer portal's reply; a file over the limit is
refused with the dialect's own error and leaves no row and no file.

A real server process, because an in-process client builds the whole body in the test's
own memory and hands it to the app in one piece, which is not what a socket does.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from sqlalchemy import func, select

from bench.harness import Server, memory_kib
from frontdesk.core.contacts import ContactFields, find_or_create_contact
from frontdesk.core.identity import accounts, credentials
from frontdesk.core.shared.records import ALL_SCOPES, Actor
from frontdesk.core.tickets import NewMessage, NewTicket, open_ticket
from frontdesk.services import build_services
from frontdesk.services.blobstores import build_blob_store
from frontdesk.settings import Settings
from frontdesk.storage import tables as t
from frontdesk.storage.blobs import BlobBackend
from tests.s3 import location
from tests.web.helpers import csrf_of

pytestmark = pytest.mark.slow

MIB = 1024 * 1024
FILE_BYTES = 40 * MIB
LIMIT_BYTES = 48 * MIB
# The file may cost the server a few chunks (1 MiB each), S3's parts (5 MiB here) and the
# allocator's slack: a quarter of the file is far above that and far below holding it.
MAX_GROWTH_BYTES = FILE_BYTES // 4
BOUNDARY = "frontdesk-memory-test"
TMP = "tmp"
LINK = re.compile(r"(/portal/[A-Za-z0-9]+/signin/[0-9a-f]{16}\.[A-Za-z0-9_-]{43})")


@dataclass
class Served:
    server: Server
    settings: Settings  # the test's view of the same data directory and store
    token: str  # a v3 customer token
    email: str  # that customer's address: they have one ticket
    ticket_id: int
    portal: str  # /portal/<public id>

    def peak_kib(self) -> int:
        return memory_kib(self.server.process.pid)["VmHWM"]

    def blobs(self) -> BlobBackend:
        return build_blob_store(self.settings.resolved())

    def temporary_files(self) -> list[Path]:
        """What the server left in its own TMPDIR (S3 uploads are spooled there first)."""
        return list((self.settings.data_dir / TMP).iterdir())

    def attachment_rows(self) -> int:
        services = build_services(self.settings)
        try:
            with services.store.engine.connect() as conn:
                return int(
                    conn.execute(select(func.count()).select_from(t.attachments)).scalar_one()
                )
        finally:
            services.close()


def _store_env(kind: str, s3_server: str | None) -> dict[str, str]:
    if kind == "local":
        return {}
    assert s3_server is not None
    where = location(s3_server)
    return {
        "FRONTDESK_BLOB_STORE": "s3",
        "FRONTDESK_S3_BUCKET": where.bucket,
        "FRONTDESK_S3_ENDPOINT_URL": s3_server,
        "FRONTDESK_S3_REGION": "us-east-1",
        "FRONTDESK_S3_ACCESS_KEY_ID": "test-key",
        "FRONTDESK_S3_SECRET_ACCESS_KEY": "test-secret",
        "FRONTDESK_S3_MULTIPART_BYTES": str(5 * MIB),
    }


def _seed(settings: Settings) -> tuple[str, str, int, str]:
    """An account with an inbox, a customer with a v3 token and one ticket."""
    services = build_services(settings)
    try:
        with services.store.write() as uow:
            account = accounts.create_account(uow, "Memory")
            actor = Actor(account_id=account.id, label="test", scopes=ALL_SCOPES)
            inbox = accounts.create_inbox(uow, actor, "Support", "support@memory.example")
            email = "cora@memory.example"
            contact = find_or_create_contact(uow, actor, ContactFields(email=email, name="Cora"))
            token = credentials.issue_customer_token(uow, actor, contact.id).token
            ticket = open_ticket(
                uow,
                actor,
                NewTicket(
                    subject="Invoice is wrong",
                    message=NewMessage(body_text="The total is twice what it should be."),
                    requester_email=email,
                    inbox_id=inbox.id,
                ),
            ).ticket
        return token, email, ticket.id, f"/portal/{account.public_id}"
    finally:
        services.close()


@pytest.fixture(params=["local", "s3"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Served]:
    s3_server = request.getfixturevalue("s3_server") if request.param == "s3" else None
    env = {
        "FRONTDESK_MAX_ATTACHMENT_BYTES": str(LIMIT_BYTES),
        **_store_env(request.param, s3_server),
    }
    fields: dict[str, Any] = {k.removeprefix("FRONTDESK_").lower(): v for k, v in env.items()}
    settings = Settings(data_dir=tmp_path, **fields)
    token, email, ticket_id, portal = _seed(settings)
    (tmp_path / TMP).mkdir()
    env["TMPDIR"] = str(tmp_path / TMP)
    server = Server(tmp_path, settings.resolved().database_url, extra_env=env)
    try:
        server.wait(120)
        yield Served(server, settings, token, email, ticket_id, portal)
    finally:
        server.stop()


def _body(field: str, size: int, **fields: str) -> tuple[Iterator[bytes], dict[str, str]]:
    """A multipart body sent as it is made, 1 MiB at a time: the test holds no more either."""
    head = (
        b"".join(_field(name, value) for name, value in fields.items())
        + (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; '
            'filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
    )
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def chunks() -> Iterator[bytes]:
        yield head
        for offset in range(0, size, MIB):
            yield os.urandom(min(MIB, size - offset))
        yield tail

    headers = {
        "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        "Content-Length": str(len(head) + size + len(tail)),
    }
    return chunks(), headers


def _field(name: str, value: str) -> bytes:
    disposition = f'Content-Disposition: form-data; name="{name}"'
    return f"--{BOUNDARY}\r\n{disposition}\r\n\r\n{value}\r\n".encode()


def _v3_upload(served: Served, size: int) -> httpx2.Response:
    content, headers = _body("attachment", size)
    return httpx2.post(
        f"{served.server.base}/v3/tickets/attachment",
        content=content,
        headers={**headers, "PRIVATE-TOKEN": served.token},
        timeout=300,
    )


def test_a_large_v3_upload_is_streamed_into_the_store(served: Served) -> None:
    warm = _v3_upload(served, MIB)  # imports, pools and caches: not the file's cost
    assert warm.status_code == 200, warm.text
    before = served.peak_kib()
    answer = _v3_upload(served, FILE_BYTES)
    assert answer.status_code == 200, answer.text
    growth = (served.peak_kib() - before) * 1024
    assert growth < MAX_GROWTH_BYTES, f"peak memory grew {growth / MIB:.1f} MiB"
    sizes = sorted(found.size for found in served.blobs().listing())
    assert sizes == [MIB, FILE_BYTES]


def test_a_v3_upload_over_the_limit_leaves_no_row_and_no_file(served: Served) -> None:
    answer = _v3_upload(served, LIMIT_BYTES + 1)
    assert answer.status_code == 413, answer.text
    body = answer.json()
    assert body["code"] == 413 and body["error"] == "file_too_large"
    assert served.attachment_rows() == 0
    assert list(served.blobs().listing()) == []
    assert served.temporary_files() == []


def _portal_client(served: Served) -> httpx2.Client:
    """Signed in to the portal through the mailed link, as a customer's browser is."""
    client = httpx2.Client(base_url=served.server.base, timeout=300)
    page = client.get(served.portal + "/signin")
    asked = client.post(
        served.portal + "/signin", data={"email": served.email, "csrf_token": csrf_of(page.text)}
    )
    assert asked.status_code == 200, asked.text
    services = build_services(served.settings)
    try:
        with services.store.engine.connect() as conn:
            body = conn.execute(select(t.outbox.c.body).where(t.outbox.c.kind == "portal_link"))
            [link] = [found.group(1) for (text,) in body if (found := LINK.search(text))]
    finally:
        services.close()
    page = client.get(link)
    done = client.post(link, data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert done.status_code == 303, done.text
    return client


def test_a_large_portal_reply_file_is_streamed_into_the_store(served: Served) -> None:
    client = _portal_client(served)
    url = f"{served.portal}/tickets/{served.ticket_id}"
    token = csrf_of(client.get(url).text)

    def reply(size: int, text: str) -> httpx2.Response:
        content, headers = _body("files", size, content=text, csrf_token=token)
        return client.post(url + "/reply", content=content, headers=headers)

    assert reply(MIB, "warm-up").status_code == 303
    before = served.peak_kib()
    answer = reply(FILE_BYTES, "the whole log")
    assert answer.status_code == 303, answer.text
    growth = (served.peak_kib() - before) * 1024
    assert growth < MAX_GROWTH_BYTES, f"peak memory grew {growth / MIB:.1f} MiB"
    assert sorted(found.size for found in served.blobs().listing()) == [MIB, FILE_BYTES]
    refused = reply(LIMIT_BYTES + 1, "too big")
    assert refused.status_code == 413 and "too large" in refused.text
    assert served.attachment_rows() == 2
    assert served.temporary_files() == []
    assert sorted(found.size for found in served.blobs().listing()) == [MIB, FILE_BYTES]
