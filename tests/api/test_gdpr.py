"""GDPR: a contact's export (one zip with a manifest) and erasure (anonymised or deleted).

What "no row holds" means here, and how the test checks it:
- every text column of every table, on both backends, is searched for the contact's
  address and for words only they wrote (PostgreSQL: information_schema's text, varchar
  and tsvector columns; SQLite: every column of every table, the full-text tables too);
- on SQLite the database file itself is read byte for byte, after the erasure's write-ahead
  log checkpoint: with `secure_delete` on (storage/db.py) a deleted row leaves no bytes
  behind in free space, and the full-text index is merged (`optimize`) so that no old
  segment keeps a word;
- the blob folder's files are read for the same bytes, and the erased files are gone.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from frontdesk.core import chat
from frontdesk.core.chat.records import VisitorInfo
from frontdesk.core.shared import events
from frontdesk.core.shared.clock import now_ms
from frontdesk.mail.inbound import SMTP, Inbound
from tests.conftest import Tenant


class Person:
    """Ann, her unique words, and everything she left in the account."""

    def __init__(self, client: TestClient, tenant: Tenant) -> None:
        self.client, self.tenant = client, tenant
        tag = tenant.tag
        self.email = tenant.address("ann")
        self.words = {
            "mail": f"xylophone{tag}",
            "api": f"zeppelin{tag}",
            "elsewhere": f"olivetree{tag}",
            "chat": f"kiwifruit{tag}",
            "file": f"filecontent{tag}",
        }
        self.h = tenant.headers()
        self.inbox = self._post("/api/v1/inboxes", name="Support",
                                email=tenant.address("support"), auto_reply="Thanks!")  # fmt: skip
        self.agent = self._post("/api/v1/agents", name="Agnes", email=tenant.address("agnes"))
        self.mailed = self._mail_in()
        upload = client.post(
            "/api/v1/attachments",
            files={"attachment": ("notes.txt", f"second {self.words['file']}2".encode())},
            headers=self.h,
        ).json()
        self.second = self._post(
            "/api/v1/tickets", subject=f"About {self.words['api']}",
            message={"body": f"I said {self.words['api']}", "attachment_ids": [upload["id"]]},
            requester_email=self.email,
        )  # fmt: skip
        self._post(f"/api/v1/tickets/{self.mailed}/messages",
                   body="We are on it", agent_id=self.agent["id"])  # fmt: skip
        self.bobs = self._post(
            "/api/v1/tickets", subject="Bob's order",
            message={"body": "Bob writes", "cc": [self.email]},
            requester_email=tenant.address("bob"),
        )  # fmt: skip
        self._post(f"/api/v1/tickets/{self.bobs['id']}/messages",
                   body=f"Ann adds {self.words['elsewhere']}", from_email=self.email)  # fmt: skip
        self.contact = client.get(
            "/api/v1/contacts", params={"q": self.email}, headers=self.h
        ).json()[0]
        self.chat = self._chat()
        self._post("/api/v1/customer-tokens", contact_id=self.contact["id"])

    def _post(self, path: str, **body: Any) -> Any:
        made = self.client.post(path, json=body, headers=self.h)
        assert made.status_code in (200, 201), made.text
        return made.json()

    def _mail_in(self) -> int:
        message = EmailMessage()
        message["From"] = f"Ann Lee <{self.email}>"
        message["To"] = self.tenant.address("support")
        message["Subject"] = "My order"
        message["Message-ID"] = f"<{self.tenant.tag}@mail.example.net>"
        message.set_content(f"Where is my {self.words['mail']}?")
        message.add_attachment(
            f"attached {self.words['file']}".encode(), maintype="application",
            subtype="octet-stream", filename="receipt.bin",
        )  # fmt: skip
        services = self.tenant.services
        inbound = Inbound(services.store, services.blobs, services.settings)
        (outcome,) = inbound.deliver(
            message.as_bytes(), [self.tenant.address("support")], source=SMTP,
            envelope_from=self.email,
        )  # fmt: skip
        assert outcome.ticket_id is not None
        return outcome.ticket_id

    def _chat(self) -> str:
        with self.tenant.services.store.write() as uow:
            opened = chat.open_conversation(uow, self.tenant.id, VisitorInfo(), None)
            public_id = opened.conversation.public_id
            visitor = chat.visitor_actor(opened.conversation)
            chat.post_visitor_message(uow, visitor, public_id, f"Hi {self.words['chat']}")
        self.client.put(
            f"/api/v1/chat/conversations/{public_id}/contact",
            json={"contact_id": self.contact["id"]},
            headers=self.h,
        ).raise_for_status()
        return public_id

    @property
    def needles(self) -> list[str]:
        return [self.email, *self.words.values()]


@pytest.fixture
def ann(client: TestClient, tenant: Tenant) -> Person:
    return Person(client, tenant)


def test_the_export_holds_every_ticket_message_file_and_chat(
    client: TestClient, ann: Person
) -> None:
    got = client.get(f"/api/v1/contacts/{ann.contact['id']}/export", headers=ann.h)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/zip"
    assert int(got.headers["content-length"]) == len(got.content)
    archive = zipfile.ZipFile(io.BytesIO(got.content))
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["format"] == "frontdesk-contact-export/1"
    assert manifest["contact"]["email"] == ann.email
    assert [t["id"] for t in manifest["tickets"]] == [ann.mailed, ann.second["id"]]
    bodies = " ".join(m["body"] for t in manifest["tickets"] for m in t["messages"])
    assert ann.words["mail"] in bodies and ann.words["api"] in bodies
    assert "We are on it" in bodies
    (conversation,) = manifest["chats"]
    assert conversation["conversation_id"] == ann.chat
    assert any(ann.words["chat"] in m["body"] for m in conversation["messages"])
    contents = sorted(archive.read(f["path"]) for f in manifest["files"])
    assert contents == sorted(
        [f"attached {ann.words['file']}".encode(), f"second {ann.words['file']}2".encode()]
    )
    assert all(f["path"].startswith("files/") for f in manifest["files"])


def _mail_from(tenant: Tenant, sender: str, body: str) -> None:
    message = EmailMessage()
    message["From"], message["To"] = sender, tenant.address("support")
    message["Subject"] = "Hello"
    message.set_content(body)
    services = tenant.services
    inbound = Inbound(services.store, services.blobs, services.settings)
    (outcome,) = inbound.deliver(
        message.as_bytes(), [tenant.address("support")], source=SMTP, envelope_from=sender
    )
    assert outcome.ticket_id is not None


def test_the_export_holds_their_messages_on_other_tickets_and_their_raw_mail(
    client: TestClient, ann: Person
) -> None:
    """Bob's ticket has Ann in Cc and a message from her; Joann (whose address holds Ann's)
    writes a ticket and a mail of her own: hers are not Ann's."""
    joann = ann.tenant.address("joann")
    assert ann.email in joann
    ann._post("/api/v1/tickets", subject="Joann's", message={"body": "Joann writes"},
              requester_email=joann)  # fmt: skip
    _mail_from(ann.tenant, joann, "Joann mails")

    got = client.get(f"/api/v1/contacts/{ann.contact['id']}/export", headers=ann.h)
    assert got.status_code == 200, got.text
    archive = zipfile.ZipFile(io.BytesIO(got.content))
    manifest = json.loads(archive.read("manifest.json"))

    elsewhere = manifest["messages_elsewhere"]
    assert {m["ticket_id"] for m in elsewhere} == {ann.bobs["id"]}
    said = [(m["body"], m["from_email"], m["cc"]) for m in elsewhere]
    assert said == [
        ("Bob writes", ann.tenant.address("bob"), [ann.email]),  # to her, in Cc
        (f"Ann adds {ann.words['elsewhere']}", ann.email, []),  # from her
    ]
    assert all(m["kind"] == "external" and "uuid" in m for m in elsewhere)  # as the API shows

    (mailed,) = manifest["mails"]
    assert mailed["ticket_id"] == ann.mailed and mailed["from_address"] == ann.email
    assert mailed["path"] == f"mail/{mailed['id']}.eml"
    raw = archive.read(mailed["path"])
    assert hashlib.sha256(raw).hexdigest() == mailed["sha256"]
    assert len(raw) == mailed["size"]
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert parsed["Message-ID"] == f"<{ann.tenant.tag}@mail.example.net>"
    assert ann.words["mail"].encode() in raw
    assert not [name for name in archive.namelist() if b"Joann" in archive.read(name)]


def _age_blobs(root: Path) -> None:
    for path in root.glob("??/??/*"):
        stamp = path.stat().st_mtime - 60
        os.utime(path, (stamp, stamp))


def _blob_hits(root: Path, needles: list[str]) -> list[str]:
    hits = []
    for path in root.glob("**/*"):
        if path.is_file():
            data = path.read_bytes().lower()
            hits += [f"{path.name}: {n}" for n in needles if n.lower().encode() in data]
    return hits


def _column_hits(tenant: Tenant, needles: list[str]) -> list[str]:
    """Every text column of every table that holds one of the needles (any case)."""
    engine = tenant.services.store.engine
    hits = []
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            columns = conn.execute(
                text(
                    "SELECT table_name, column_name FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND data_type IN "
                    "('text', 'character varying', 'tsvector')"
                )
            ).all()
        else:
            inspector = inspect(conn)
            columns = [
                (table, column["name"])
                for table in inspector.get_table_names()
                for column in inspector.get_columns(table)
            ]
        for table, column in columns:
            for needle in needles:
                # Names from the database's own catalog, not from input.
                query = f'SELECT count(*) FROM "{table}" WHERE lower(CAST("{column}" AS TEXT)) LIKE :needle'  # noqa: E501, S608
                found = conn.execute(
                    text(query),
                    {"needle": f"%{needle.lower()}%"},
                ).scalar_one()
                if found:
                    hits.append(f"{table}.{column}: {needle}")
    return hits


def _file_hits(tenant: Tenant, needles: list[str]) -> list[str]:
    """SQLite: the database file's bytes (and its log's, if any is left)."""
    engine = tenant.services.store.engine
    if engine.dialect.name != "sqlite":
        return []
    database = Path(str(engine.url.database))
    hits = []
    for path in (database, database.with_name(database.name + "-wal")):
        if path.exists():
            data = path.read_bytes().lower()
            hits += [f"{path.name}: {n}" for n in needles if n.lower().encode() in data]
    return hits


def test_the_needles_are_found_before_the_erasure(client: TestClient, ann: Person) -> None:
    """The checks can fail: before the erasure they find every needle."""
    tenant = ann.tenant
    columns = _column_hits(tenant, ann.needles)
    in_rows = [n for n in ann.needles if n != ann.words["file"]]  # a file's bytes are blobs
    for needle in in_rows:
        assert any(hit.endswith(needle) for hit in columns), needle
    assert _blob_hits(tenant.services.blobs.root, [ann.words["file"], ann.words["mail"]])
    tenant.services.store.checkpoint()
    if tenant.services.store.engine.dialect.name == "sqlite":
        assert len(_file_hits(tenant, [ann.email, ann.words["mail"]])) == 2


@pytest.mark.parametrize("mode", ["anonymise", "delete"])
def test_after_erasure_no_row_file_or_search_entry_holds_them(
    client: TestClient, ann: Person, mode: str
) -> None:
    tenant, h = ann.tenant, ann.h
    _age_blobs(tenant.services.blobs.root)
    erased = client.post(
        f"/api/v1/contacts/{ann.contact['id']}/erase", json={"mode": mode}, headers=h
    )
    assert erased.status_code == 200, erased.text
    body = erased.json()
    assert (body["tickets"], body["chats"]) == (2, 1)
    assert body["files_removed"] == 3  # two attachments and the raw mail

    assert _column_hits(tenant, ann.needles) == []
    assert _file_hits(tenant, ann.needles) == []
    assert _blob_hits(tenant.services.blobs.root, ann.needles) == []
    for word in ann.words.values():
        found = client.get("/api/v1/tickets", params={"q": word}, headers=h).json()
        assert found["tickets"] == [], word

    assert client.get(f"/api/v1/contacts/{ann.contact['id']}", headers=h).status_code == 404
    kept = client.get(f"/api/v1/tickets/{ann.mailed}", headers=h)
    if mode == "delete":
        assert kept.status_code == 404
    else:
        record = kept.json()
        assert record["subject"] == "[erased]" and record["requester_id"] is None
        assert {m["body"] for m in record["messages"] if m["kind"] != "log"} == {"[erased]"}
        assert [m["agent_id"] for m in record["messages"]].count(ann.agent["id"]) == 1
    bobs = client.get(f"/api/v1/tickets/{ann.bobs['id']}", headers=h).json()
    assert [m["body"] for m in bobs["messages"]] == ["Bob writes", "[erased]"]
    assert bobs["messages"][0]["cc"] == []
    with tenant.services.store.read() as uow:
        logged = uow.conn.execute(
            text("SELECT data FROM events WHERE account_id = :a AND kind = 'contact.erased'"),
            {"a": tenant.id},
        ).scalar_one()
    assert json.loads(logged) == {
        "contact_id": ann.contact["id"], "mode": mode, "tickets": 2, "chats": 1
    }  # fmt: skip


def _rows_naming(tenant: Tenant, address: str) -> dict[str, list[Any]]:
    """Every row of the account that holds `address`, by table (the substring match)."""
    like = {"a": tenant.id, "needle": f"%{address}%"}
    queries = {
        "messages": "SELECT id, contact_id, body_text FROM messages"
        " WHERE account_id = :a AND (from_email LIKE :needle OR cc_addrs LIKE :needle)",
        "outbox": "SELECT id, to_addr FROM outbox WHERE account_id = :a AND to_addr LIKE :needle",
        "mail_receipts": "SELECT id, raw_sha256 FROM mail_receipts"
        " WHERE account_id = :a AND from_addr LIKE :needle",
        "events": "SELECT id, data FROM events WHERE account_id = :a AND data LIKE :needle",
    }
    with tenant.services.store.read() as uow:
        return {
            table: [tuple(row) for row in uow.conn.execute(text(sql), like).all()]
            for table, sql in queries.items()
        }


@pytest.mark.parametrize("mode", ["anonymise", "delete"])
def test_erasing_them_leaves_an_address_that_holds_theirs(
    client: TestClient, ann: Person, mode: str
) -> None:
    """Joann's address contains Ann's: erasing Ann leaves every row of Joann's as it was."""
    joann = ann.tenant.address("joann")
    assert ann.email in joann
    ann._post("/api/v1/tickets", subject="Joann's", message={"body": "Joann writes"},
              requester_email=joann)  # fmt: skip
    _mail_from(ann.tenant, joann, "Joann mails")
    with ann.tenant.services.store.write() as uow:  # an event that quotes her address
        events.record(uow, ann.tenant.actor, "test.note", now_ms(), to=joann)
    before = _rows_naming(ann.tenant, joann)
    assert [t for t in ("messages", "outbox", "mail_receipts", "events") if not before[t]] == []

    _age_blobs(ann.tenant.services.blobs.root)
    erased = client.post(
        f"/api/v1/contacts/{ann.contact['id']}/erase", json={"mode": mode}, headers=ann.h
    )
    assert erased.status_code == 200, erased.text
    assert _rows_naming(ann.tenant, joann) == before
    # Ann is gone (her needles hide in Joann's address here: the test above greps for them)
    assert client.get(f"/api/v1/contacts/{ann.contact['id']}", headers=ann.h).status_code == 404
