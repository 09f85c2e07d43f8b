"""The data directory on a real disk that fills up, cannot be written, or is shared.

A full disk is a small tmpfs the test mounts and fills to the last byte (root can; without
root these tests are skipped, or fail in strict mode). A read-only data directory is a
read-only tmpfs (root) or a directory without write permission (anyone else).
"""

from __future__ import annotations

import json
import os
import secrets
import smtplib
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.core.identity import accounts, credentials
from frontdesk.core.shared.records import ALL_SCOPES, Actor
from frontdesk.mail.runtime import MailRuntime
from frontdesk.services import Services, build_services
from frontdesk.settings import Settings
from frontdesk.storage.sweep import sweep_blobs
from tests.conftest import Tenant
from tests.faults import fill, read_only_directory, small_filesystem
from tests.mail.conftest import free_port, mail

FRONTDESK = Path(sys.executable).with_name("frontdesk")


class FullDesk:
    """Services whose data directory (and SQLite file, if SQLite) is on a small tmpfs."""

    def __init__(self, settings: Settings) -> None:
        self.services = build_services(settings)
        self.client = TestClient(create_app(services=self.services))
        with self.services.store.write() as uow:
            account = accounts.create_account(uow, "Disk")
            actor = Actor(account_id=account.id, label="test", scopes=ALL_SCOPES)
            self.key = credentials.issue_api_key(uow, actor, "admin", ALL_SCOPES).token
            address = f"disk-{secrets.token_hex(4)}@example.com"
            self.inbox = accounts.create_inbox(uow, actor, "Support", address)
        self.account_id = account.id

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}

    def create(self) -> Any:
        body = {"subject": "Hi", "message": {"body": "x" * 2000}, "requester_email": "a@b.org"}
        return self.client.post("/api/v1/tickets", json=body, headers=self.headers)

    def count(self, table: str) -> int:
        from sqlalchemy import text  # the raw count: whatever got half-written shows

        with self.services.store.read() as uow:
            query = text(f"SELECT count(*) FROM {table} WHERE account_id = :a")  # noqa: S608
            return int(uow.conn.execute(query, {"a": self.account_id}).scalar_one())

    def blob_files(self) -> list[Path]:
        root = self.services.settings.blob_dir
        return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def full_desk(tmp_path: Path, database_url: str) -> Iterator[FullDesk]:
    with small_filesystem(tmp_path / "small", "3m") as small:
        url = database_url
        if database_url.startswith("sqlite"):
            url = f"sqlite:///{small / 'frontdesk.db'}"
        desk = FullDesk(Settings(data_dir=small / "data", database_url=url, min_free_disk_bytes=0))
        try:
            yield desk
        finally:
            desk.services.close()


def _truncate_wal(desk: FullDesk) -> None:
    """SQLite rewrites a checkpointed WAL in place, needing no new space: truncate it, so
    that the next write must grow the file as it would once the disk filled up for real."""
    url = desk.services.settings.database_url
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def test_a_full_disk_is_a_clear_507_and_leaves_nothing_half_written(full_desk: FullDesk) -> None:
    assert full_desk.create().status_code == 201
    tickets, attachments = full_desk.count("tickets"), full_desk.count("attachments")
    blobs = full_desk.blob_files()
    _truncate_wal(full_desk)
    filler = fill(full_desk.services.settings.data_dir)
    upload = full_desk.client.post(
        "/api/v1/attachments",
        files={"attachment": ("a.bin", os.urandom(20_000))},
        headers=full_desk.headers,
    )
    assert upload.status_code == 507, upload.text
    assert upload.json()["error"]["code"] == "insufficient_storage"
    assert full_desk.blob_files() == blobs  # no file, and no temporary file, left
    assert full_desk.count("attachments") == attachments  # and no row
    created = full_desk.create()
    if full_desk.services.settings.database_url.startswith("sqlite"):
        assert created.status_code == 507, created.text
        assert created.headers["retry-after"] == "5"
        assert full_desk.count("tickets") == tickets
    else:  # the database lives elsewhere: only the blob store is full
        assert created.status_code == 201
        tickets += 1
    ready = full_desk.client.get("/readyz")
    assert (ready.status_code, ready.json()["disk"]) == (503, "full")
    filler.unlink()
    assert full_desk.create().status_code == 201  # space again: it recovers by itself
    assert full_desk.count("tickets") == tickets + 1
    assert full_desk.client.get("/readyz").status_code == 200


def test_mail_on_a_full_disk_is_deferred_with_452(full_desk: FullDesk) -> None:
    runtime = MailRuntime(
        _with(full_desk.services, smtp_port=free_port()), outbox=False, imap=False
    ).start()
    try:
        filler = fill(full_desk.services.settings.data_dir)
        assert runtime.smtp_port is not None
        with smtplib.SMTP("127.0.0.1", runtime.smtp_port, timeout=30) as client:
            message = mail(sender="ann@example.org", to=full_desk.inbox.email)
            with pytest.raises(smtplib.SMTPDataError) as deferred:
                client.sendmail("ann@example.org", [full_desk.inbox.email], message.as_bytes())
        assert deferred.value.smtp_code == 452
        assert full_desk.count("mail_receipts") == 0
        filler.unlink()
        with smtplib.SMTP("127.0.0.1", runtime.smtp_port, timeout=30) as client:
            client.sendmail("ann@example.org", [full_desk.inbox.email], message.as_bytes())
        assert full_desk.count("mail_receipts") == 1 and full_desk.count("tickets") == 1
    finally:
        runtime.stop()


def _with(services: Services, **changes: Any) -> Services:
    import dataclasses

    return dataclasses.replace(services, settings=services.settings.model_copy(update=changes))


# -- a read-only data directory at start ---------------------------------------------------


@pytest.mark.parametrize("where", ["the directory itself", "a directory to create in it"])
def test_a_read_only_data_directory_is_one_line_and_a_failing_exit(
    tmp_path: Path, where: str
) -> None:
    with read_only_directory(tmp_path / "ro") as read_only:
        data_dir = read_only if where == "the directory itself" else read_only / "data"
        port = str(free_port())
        env = {**os.environ, "FRONTDESK_DATA_DIR": str(data_dir), "FRONTDESK_PORT": port}
        env.pop("FRONTDESK_DATABASE_URL", None)
        done = subprocess.run(
            [str(FRONTDESK), "serve"], env=env, capture_output=True, timeout=60, check=False
        )
    stderr = done.stderr.decode()
    assert done.returncode == 1
    assert stderr.splitlines() == [
        f"Error: the data directory {data_dir} cannot be written: "
        + ("Read-only file system" if os.geteuid() == 0 else "Permission denied")
    ]
    assert "Traceback" not in stderr and done.stdout == b""


# -- permissions, whatever the umask -------------------------------------------------------

# Run with umask 000 in a process of its own; prints every path's mode while the database
# is still open (SQLite removes its -wal and -shm files when the last connection closes).
_MAKE_EVERYTHING = """
import json, os, stat, sys
from pathlib import Path
os.umask(0)
from frontdesk.core.identity import accounts
from frontdesk.services import build_services
from frontdesk.settings import Settings
services = build_services(Settings(data_dir=sys.argv[1]))
services.blobs.put(b"a file's bytes")
with services.store.write() as uow:
    accounts.create_account(uow, "Umask")
with services.store.read():
    root = Path(sys.argv[1])
    print(json.dumps({
        str(p.relative_to(root)) + ("/" if p.is_dir() else ""): stat.S_IMODE(p.stat().st_mode)
        for p in [root, *root.rglob("*")]
    }))
"""


def test_data_directory_0700_and_files_0600_under_umask_000(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "data"
    made = subprocess.run(
        [sys.executable, "-c", _MAKE_EVERYTHING, str(data_dir)], check=True, capture_output=True
    )
    modes: dict[str, int] = json.loads(made.stdout)
    directories = {name: mode for name, mode in modes.items() if name.endswith("/")}
    files = {name: mode for name, mode in modes.items() if name not in directories}
    assert set(directories.values()) == {0o700}, directories
    assert {"frontdesk.db", "frontdesk.db-wal", "frontdesk.db-shm", "secret_key"} <= set(files)
    assert set(files.values()) == {0o600}, files
    assert len(directories) == 4  # the data directory, blobs/, blobs/ab/, blobs/ab/cd/


# -- sweeping files no row names ----------------------------------------------------------


def test_the_sweep_removes_old_files_no_row_names(services: Services, tenant: Tenant) -> None:
    blobs = services.blobs
    named = blobs.put(b"named by an attachment " + os.urandom(8))
    from frontdesk.core.tickets import attachments

    with services.store.write() as uow:
        attachments.upload(
            uow, blobs, tenant.actor, attachments.Upload("a.txt", blobs.open(named)), 10_000
        )
    orphan = blobs.put(b"left by a failed write " + os.urandom(8))
    young = blobs.put(b"still being written " + os.urandom(8))
    paths = {name: blobs.path(name) for name in (named, orphan, young)}
    tmp = paths[orphan].with_name(".tmp-crashed")
    tmp.write_bytes(b"half")
    old = time.time() - 2 * 86_400
    for path in (paths[named], paths[orphan], tmp):
        os.utime(path, (old, old))
    dry = sweep_blobs(services.store, blobs, grace_seconds=86_400, dry_run=True)
    assert sorted(dry.removed) == sorted([orphan, ".tmp-crashed"]) and paths[orphan].exists()
    swept = sweep_blobs(services.store, blobs, grace_seconds=86_400)
    assert orphan in swept.removed and ".tmp-crashed" in swept.removed
    assert not paths[orphan].exists() and not tmp.exists()
    assert paths[named].exists() and paths[young].exists()
    assert blobs.open(named)
