"""Debian's dovecot, run privately on a free loopback port for the IMAP tests.

It runs from a config in a temporary directory (passwd-file auth, maildir, no TLS), and
optionally with the oauth2 passdb, which checks XOAUTH2 bearer tokens against a token
server's introspection URL. Without dovecot the tests that need it skip, except in strict
mode (tests/conftest.py), where that is a failure.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import unavailable
from tests.mail.conftest import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
PASSWORD = "imap-secret-1"


@dataclass
class Dovecot:
    port: int
    user: str

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        conn.login(self.user, PASSWORD)
        return conn

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        conn = self.client()
        try:
            assert conn.append(folder, None, None, raw)[0] == "OK"
        finally:
            conn.logout()

    def connect(self, client: TestClient, inbox_id: int, headers: dict[str, str], folder: str,
                **login: str) -> dict[str, Any]:  # fmt: skip
        """Make this mailbox the inbox's, through the API as an admin would (by default
        with the password; `auth="oauth2"` for XOAUTH2); the answer's JSON."""
        response = client.put(
            f"/api/v1/inboxes/{inbox_id}/imap",
            json={"host": "127.0.0.1", "port": self.port, "tls": False, "username": self.user,
                  "folder": folder, **(login or {"password": PASSWORD})},
            headers=headers,
        )  # fmt: skip
        assert response.status_code == 200, response.text
        shown: dict[str, Any] = response.json()
        return shown

    def create(self, folder: str) -> str:
        conn = self.client()
        try:
            assert conn.create(folder)[0] == "OK"
        finally:
            conn.logout()
        return folder

    def unseen(self, folder: str = "INBOX") -> int:
        conn = self.client()
        try:
            conn.select(folder)
            return len((conn.uid("SEARCH", "UNSEEN")[1][0] or b"").split())
        finally:
            conn.logout()


def _config(root: Path, port: int, introspection_url: str | None) -> Path:
    if os.getuid() == 0:
        # dovecot will not serve mail as root: the mailbox belongs to `nobody`.
        owner = pwd.getpwnam("nobody")
        users = ""
    else:
        owner = pwd.getpwuid(os.getuid())
        users = f"default_login_user = {owner.pw_name}\ndefault_internal_user = {owner.pw_name}\n"
    home = root / "home"
    home.mkdir()
    os.chown(home, owner.pw_uid, owner.pw_gid)
    (root / "passwd").write_text(f"support:{{PLAIN}}{PASSWORD}\n")
    mechanisms, oauth = "plain login", ""
    if introspection_url is not None:
        # dovecot's oauth2 passdb asks the token server whether a bearer token is active
        # and whose it is (RFC 7662 introspection, POSTed); passwords still log in, so the
        # tests can put mail in the mailbox.
        (root / "oauth2.conf.ext").write_text(
            f"introspection_url = {introspection_url}\nintrospection_mode = post\n"
            "username_attribute = username\nactive_attribute = active\nactive_value = true\n"
        )
        mechanisms = "plain login xoauth2 oauthbearer"
        oauth = (
            f"passdb {{\n  driver = oauth2\n  mechanisms = xoauth2 oauthbearer\n"
            f"  args = {root}/oauth2.conf.ext\n}}\n"
        )
    config = root / "dovecot.conf"
    config.write_text(
        f"""base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
{users}protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = {mechanisms}
auth_failure_delay = 0
first_valid_uid = 1
mail_location = maildir:~/Maildir
{oauth}passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={home}/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""
    )
    return config


@contextmanager
def running_dovecot(introspection_url: str | None = None) -> Iterator[Dovecot]:
    """A private dovecot on a free loopback port; with `introspection_url`, it also takes
    XOAUTH2 / OAUTHBEARER logins, checking the token there."""
    if not os.path.exists(DOVECOT):
        unavailable("dovecot is not installed (Debian package dovecot-imapd)")
    # Not under pytest's tmp directory: that is private (0700) to us, and dovecot's auth
    # and mail processes run as other users.
    root = Path(tempfile.mkdtemp(prefix="frontdesk-dovecot-"))
    root.chmod(0o755)
    port = free_port()
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(_config(root, port, introspection_url))],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = Dovecot(port, "support")
    try:
        _wait_until_up(server, process, root)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        shutil.rmtree(root, ignore_errors=True)


def _wait_until_up(server: Dovecot, process: subprocess.Popen[bytes], root: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
            pytest.fail(f"dovecot exited: {process.stderr.read() if process.stderr else ''}{log}")
        try:
            server.client().logout()
            return
        except (OSError, imaplib.IMAP4.error):
            time.sleep(0.1)
    pytest.fail("dovecot did not come up")
