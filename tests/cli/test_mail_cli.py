"""`frontdesk import mbox|maildir` and the mail side of a real `frontdesk serve`."""

from __future__ import annotations

import mailbox
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select

from frontdesk.cli import main
from frontdesk.storage import tables as t
from frontdesk.storage.db import normalise_url
from tests.cli.conftest import run_json
from tests.mail.conftest import RelayPeer, free_port, mail, smtp_send


def _inbox(env: dict[str, str], tmp_path: Path, auto_reply: str | None = None) -> tuple[int, str]:
    account = run_json(env, "account", "create", "Importers")["id"]
    address = f"archive-{tmp_path.name}@example.com".lower()
    extra = ["--auto-reply", auto_reply] if auto_reply else []
    run_json(env, "inbox", "create", "--account", str(account), "--name", "Archive", "--email",
         address, *extra)  # fmt: skip
    return int(str(account)), address


def _counts(database_url: str, account_id: int) -> tuple[int, int, int]:
    engine = create_engine(normalise_url(database_url))
    try:
        with engine.connect() as conn:
            return tuple(  # type: ignore[return-value]
                conn.execute(
                    select(func.count()).select_from(table).where(table.c.account_id == account_id)
                ).scalar_one()
                for table in (t.tickets, t.messages, t.outbox)
            )
    finally:
        engine.dispose()


def test_import_mbox_threads_keeps_dates_and_sends_no_auto_replies(
    env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    account, address = _inbox(env, tmp_path, auto_reply="We got it")
    box = mailbox.mbox(str(tmp_path / "archive.mbox"))
    box.add(mail(to=address, Message_ID="<m1@x.org>", Date="Tue, 01 Mar 2022 10:00:00 +0000"))
    box.add(mail(to=address, Message_ID="<m2@x.org>", In_Reply_To="<m1@x.org>", subject="Re"))
    box.add(mail(sender="bo@example.org", to=address, Message_ID="<m3@x.org>", subject="Other"))
    box.add(b"garbage with no headers at all\n")
    box.flush()
    box.close()
    summary = run_json(env, "import", "mbox", str(tmp_path / "archive.mbox"), "--inbox", address)
    assert summary == {"messages": 4, "delivered": 3, "quarantined": 1}
    assert _counts(database_url, account) == (2, 3, 0)
    again = run_json(env, "import", "mbox", str(tmp_path / "archive.mbox"), "--inbox", address)
    assert again == {"messages": 4, "duplicate": 4}
    assert _counts(database_url, account) == (2, 3, 0)


def test_import_maildir_and_unknown_inbox(
    env: dict[str, str], tmp_path: Path, database_url: str
) -> None:
    account, address = _inbox(env, tmp_path)
    box = mailbox.Maildir(str(tmp_path / "Maildir"))
    for number in range(3):
        box.add(mail(sender=f"c{number}@example.org", to=address, subject=f"n{number}"))
    summary = run_json(env, "import", "maildir", str(tmp_path / "Maildir"), "--inbox", address)
    assert summary == {"messages": 3, "delivered": 3}
    assert _counts(database_url, account)[:2] == (3, 3)
    missing = CliRunner().invoke(
        main, ["import", "maildir", str(tmp_path / "Maildir"), "--inbox", "no@example.com"], env=env
    )
    assert missing.exit_code == 1 and "no inbox" in missing.output


def _answers(url: str) -> bool:
    try:
        return httpx2.get(url, timeout=1).status_code == 200
    except httpx2.TransportError:
        return False


@pytest.fixture
def relay() -> Iterator[RelayPeer]:
    peer = RelayPeer(free_port())
    peer.start()
    yield peer
    peer.stop()


def test_serve_receives_mail_and_sends_the_auto_reply(tmp_path: Path, relay: RelayPeer) -> None:
    smtp_port, http_port = free_port(), free_port()
    env = {
        **os.environ,
        "FRONTDESK_DATA_DIR": str(tmp_path / "serve"),
        "FRONTDESK_PORT": str(http_port),
        "FRONTDESK_SMTP_PORT": str(smtp_port),
        "FRONTDESK_RELAY_HOST": "127.0.0.1",
        "FRONTDESK_RELAY_PORT": str(relay.port),
        "FRONTDESK_OUTBOX_POLL_SECONDS": "0.2",
    }
    cli_env = {key: env[key] for key in ("FRONTDESK_DATA_DIR",)}
    _account, address = _inbox(cli_env, tmp_path, auto_reply="Thanks, we are on it")
    server = subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, "server exited"
            try:
                smtp_send(smtp_port, mail(to=address), "ann@example.org", [address])
                break
            except OSError:
                assert time.monotonic() < deadline, "the SMTP listener did not come up"
                time.sleep(0.2)
        while not relay.to("ann@example.org", address):
            assert time.monotonic() < deadline, "no auto reply reached the relay"
            time.sleep(0.1)
        (sent,) = relay.to("ann@example.org", address)
        assert "Thanks, we are on it" in sent.message.get_content()  # type: ignore[attr-defined]
        while not _answers(f"http://127.0.0.1:{http_port}/readyz"):  # HTTP is up beside mail
            assert time.monotonic() < deadline, "HTTP did not come up"
            time.sleep(0.1)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert server.returncode == 0, output.decode(errors="replace")
    assert b"mail: smtp on 127.0.0.1:" in output
