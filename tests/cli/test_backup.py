"""`frontdesk backup` / `restore` on SQLite: taken while a real `frontdesk serve` writes,
restored into an empty data directory, and served again by a second real server."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2
from click.testing import CliRunner

from frontdesk.cli import main
from tests.cli.conftest import run_json
from tests.live import free_port


@dataclass(frozen=True)
class Written:
    """One ticket the writer created, and when its request was sent and answered."""

    ticket_id: int
    attachment_id: int
    subject: str
    content: bytes
    sent: float
    answered: float


class Writer(threading.Thread):
    """Creates tickets, each with its own file, through the API until told to stop."""

    def __init__(self, base: str, key: str) -> None:
        super().__init__(daemon=True)
        self.client = httpx2.Client(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30
        )
        self.written: list[Written] = []
        self.failures: list[str] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        number = 0
        while not self.stopping.is_set():
            number += 1
            try:
                self.written.append(self._one(number))
            except (AssertionError, httpx2.HTTPError) as exc:
                self.failures.append(repr(exc))

    def _one(self, number: int) -> Written:
        content = f"file {number} written at {time.time_ns()}".encode()
        sent = time.monotonic()
        upload = self.client.post(
            "/api/v1/attachments", files={"attachment": (f"f{number}.txt", content)}
        )
        assert upload.status_code == 201, upload.text
        subject = f"Ticket {number}"
        made = self.client.post(
            "/api/v1/tickets",
            json={
                "subject": subject,
                "requester_email": f"customer{number}@example.com",
                "message": {"body": "See the file", "attachment_ids": [upload.json()["id"]]},
            },
        )
        assert made.status_code == 201, made.text
        answered = time.monotonic()
        return Written(made.json()["id"], upload.json()["id"], subject, content, sent, answered)

    def stop(self) -> list[Written]:
        self.stopping.set()
        self.join(timeout=30)
        self.client.close()
        return self.written


def _frontdesk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", *args],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _env(data_dir: Path, port: int) -> dict[str, str]:
    # SMTP off: two servers of this test (and other tests) would want the same port.
    return {
        **os.environ,
        "FRONTDESK_DATA_DIR": str(data_dir),
        "FRONTDESK_PORT": str(port),
        "FRONTDESK_SMTP_PORT": "0",
    }


@contextmanager
def serving(env: dict[str, str]) -> Iterator[str]:
    """A real `frontdesk serve` on the environment's data directory; its base URL."""
    base = f"http://127.0.0.1:{env['FRONTDESK_PORT']}"
    server = subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "serve"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx2.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            assert server.poll() is None, server.communicate()[1].decode()
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.05)
        yield base
    finally:
        server.terminate()
        server.communicate(timeout=15)


def _wait_for(condition: Callable[[], bool], writer: Writer) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert writer.is_alive() and not writer.failures, writer.failures
        assert time.monotonic() < deadline, "the writer made no progress"
        time.sleep(0.05)


def _assert_whole(client: httpx2.Client, ticket: Written) -> None:
    """The ticket is there as written, and so are its file's bytes."""
    shown = client.get(f"/api/v1/tickets/{ticket.ticket_id}")
    assert shown.status_code == 200, (ticket, shown.text)
    assert shown.json()["subject"] == ticket.subject
    (message,) = shown.json()["messages"]
    assert [a["id"] for a in message["attachments"]] == [ticket.attachment_id]
    file = client.get(f"/api/v1/attachments/{ticket.attachment_id}")
    assert (file.status_code, file.content) == (200, ticket.content)


def test_backup_while_serving_writes_restores_every_committed_ticket(tmp_path: Path) -> None:
    live = _env(tmp_path / "live", free_port())
    key = json.loads(_frontdesk(live, "--json", "init").stdout)["api_key"]
    archive = tmp_path / "backups" / "frontdesk.tar.gz"
    with serving(live) as base:
        writer = Writer(base, key)
        writer.start()
        _wait_for(lambda: len(writer.written) >= 5, writer)
        backup_started = time.monotonic()
        made = _frontdesk(live, "--json", "backup", str(archive))
        backup_ended = time.monotonic()
        _wait_for(lambda: sum(w.sent > backup_ended for w in writer.written) >= 3, writer)
        written = writer.stop()
    assert made.returncode == 0, made.stderr
    assert not writer.failures, writer.failures
    before = [w for w in written if w.answered < backup_started]
    after = [w for w in written if w.sent > backup_ended]
    during = [w for w in written if w not in before and w not in after]
    # The server really was writing while the backup ran, and after it.
    assert before and during and after, (len(before), len(during), len(after))
    summary = json.loads(made.stdout)
    assert summary["secret_key"] is True and summary["blobs"] >= len(before)
    assert archive.stat().st_mode & 0o077 == 0  # it holds the secret key

    restored = _env(tmp_path / "restored", free_port())
    put_back = _frontdesk(restored, "--json", "restore", str(archive))
    assert put_back.returncode == 0, put_back.stderr
    assert (tmp_path / "restored" / "secret_key").read_bytes() == (
        tmp_path / "live" / "secret_key"
    ).read_bytes()
    with (
        serving(restored) as base,
        httpx2.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client,
    ):
        for ticket in before:
            _assert_whole(client, ticket)
        # Those committed while it ran may be in it or not; if they are, with their files.
        restored_during = [
            ticket
            for ticket in during
            if client.get(f"/api/v1/tickets/{ticket.ticket_id}").status_code == 200
        ]
        for ticket in restored_during:
            _assert_whole(client, ticket)
        print(
            f"tickets before the backup {len(before)}, during {len(during)}"
            f" ({len(restored_during)} in it), after {len(after)}"
        )
        # A snapshot: nothing asked for after the backup had finished is in it.
        for ticket in after:
            assert client.get(f"/api/v1/tickets/{ticket.ticket_id}").status_code == 404
        # The restored instance takes writes of its own.
        again = Writer(base, key)
        again.start()
        _wait_for(lambda: len(again.written) >= 1, again)
        assert again.stop() and not again.failures, again.failures


def _invoke(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def _account_names(database: Path) -> list[str]:
    with closing(sqlite3.connect(database)) as conn:
        return [name for (name,) in conn.execute("SELECT name FROM accounts ORDER BY id")]


def test_restore_refuses_a_data_directory_in_use_unless_forced(tmp_path: Path) -> None:
    first = {"FRONTDESK_DATA_DIR": str(tmp_path / "first")}
    second = {"FRONTDESK_DATA_DIR": str(tmp_path / "second")}
    run_json(first, "account", "create", "First")
    run_json(first, "backup", str(tmp_path / "first-backup"))
    run_json(second, "account", "create", "Second")
    kept = (tmp_path / "second" / "frontdesk.db").read_bytes()

    code, output = _invoke(second, "restore", str(tmp_path / "first-backup"))
    assert code == 1 and "is not empty" in output and "--force" in output
    assert (tmp_path / "second" / "frontdesk.db").read_bytes() == kept  # untouched

    forced = run_json(second, "restore", "--force", str(tmp_path / "first-backup"))
    assert forced["path"] == str((tmp_path / "second").resolve())
    # The second directory now holds the first one's account, and not its own.
    assert _account_names(tmp_path / "second" / "frontdesk.db") == ["First"]
    run_json(second, "account", "create", "Third")
    assert _account_names(tmp_path / "second" / "frontdesk.db") == ["First", "Third"]


def test_a_backup_never_overwrites_and_a_restore_refuses_what_is_not_a_backup(
    tmp_path: Path,
) -> None:
    env = {"FRONTDESK_DATA_DIR": str(tmp_path / "data")}
    run_json(env, "account", "create", "One")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    code, output = _invoke(env, "backup", str(tmp_path / "taken"))
    assert code == 1 and "already exists" in output
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]

    empty = {"FRONTDESK_DATA_DIR": str(tmp_path / "empty")}
    code, output = _invoke(empty, "restore", str(tmp_path / "taken"))
    assert code == 1 and "not a frontdesk backup" in output
    assert not (tmp_path / "empty" / "frontdesk.db").exists()

    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not gzip at all")
    code, output = _invoke(empty, "restore", str(broken))
    assert code == 1 and "cannot be unpacked" in output

    # An archive whose database names a file the archive lacks is refused before any change.
    run_json(env, "backup", str(tmp_path / "whole"))
    run_json(env, "demo", "--tickets", "3")
    run_json(env, "backup", str(tmp_path / "with-files"))
    stored = sorted((tmp_path / "with-files" / "blobs").glob("??/??/*"))
    assert stored
    stored[0].unlink()
    code, output = _invoke(empty, "restore", str(tmp_path / "with-files"))
    assert code == 1 and "not in the backup" in output
    assert not (tmp_path / "empty" / "frontdesk.db").exists()


def test_a_backup_missing_a_named_file_fails_and_leaves_nothing(tmp_path: Path) -> None:
    env = {"FRONTDESK_DATA_DIR": str(tmp_path / "data")}
    run_json(env, "demo", "--tickets", "3")
    stored = sorted((tmp_path / "data" / "blobs").glob("??/??/*"))
    stored[0].unlink()  # what no backup can repair: a file a row still names is gone
    code, output = _invoke(env, "backup", str(tmp_path / "b.tar.gz"))
    assert code == 1 and "the database names are not in the blob store" in output
    assert stored[0].name in output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]  # no archive, no staging


def test_postgresql_is_pointed_to_pg_dump(tmp_path: Path) -> None:
    env = {
        "FRONTDESK_DATA_DIR": str(tmp_path / "data"),
        "FRONTDESK_DATABASE_URL": "postgresql+psycopg://frontdesk:secret@db.example/frontdesk",
    }
    code, output = _invoke(env, "backup", str(tmp_path / "out.tar.gz"))
    assert code == 1 and "pg_dump" in output and "docs/deploy.md" in output
    assert "secret" not in output.replace("secret key", "")
    assert not (tmp_path / "out.tar.gz").exists()
    code, output = _invoke(env, "restore", str(tmp_path))
    assert code == 1 and "pg_dump" in output
    garbled = {**env, "FRONTDESK_DATABASE_URL": "not a url"}
    code, output = _invoke(garbled, "backup", str(tmp_path / "out.tar.gz"))
    assert code == 1 and "FRONTDESK_DATABASE_URL cannot be read" in output


def test_a_bucket_store_is_pointed_to_its_own_backup(tmp_path: Path) -> None:
    env = {
        "FRONTDESK_DATA_DIR": str(tmp_path / "data"),
        "FRONTDESK_BLOB_STORE": "s3",
        "FRONTDESK_S3_BUCKET": "frontdesk-files",
    }
    code, output = _invoke(env, "backup", str(tmp_path / "out"))
    assert code == 1 and "FRONTDESK_BLOB_STORE is s3" in output and "docs/deploy.md" in output
    assert not (tmp_path / "out").exists()


def test_an_archive_holds_the_database_files_key_and_manifest(tmp_path: Path) -> None:
    env = {"FRONTDESK_DATA_DIR": str(tmp_path / "data")}
    run_json(env, "demo", "--tickets", "3")
    summary = run_json(env, "backup", str(tmp_path / "b.tgz"))
    with tarfile.open(tmp_path / "b.tgz") as archive:
        names = set(archive.getnames())
        manifest = json.load(archive.extractfile("frontdesk-backup.json"))  # type: ignore[arg-type]
    assert {"frontdesk.db", "secret_key", "blobs", "frontdesk-backup.json"} <= names
    stored = {name.rsplit("/", 1)[1] for name in names if name.count("/") == 3}
    assert len(stored) == summary["blobs"] > 0
    assert manifest["revision"] == summary["revision"] and manifest["blobs"] == summary["blobs"]
    assert not list(tmp_path.glob(".frontdesk-backup-*"))  # no staging left behind
