"""A private Postfix instance for tests: its own config directory, queue and log in a
temporary directory, smtpd on a free loopback port, run in the foreground (`postfix
start-fg`) as a child of the test so that stopping it stops exactly it.

Debian's `postfix` package provides the programs (./dev installs it, unconfigured); the
package's own instance is never touched.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from tests.conftest import unavailable
from tests.mail.conftest import free_port

POSTFIX = "/usr/sbin/postfix"
START_SECONDS = 20.0

# The services a relaying instance needs; chroot off, so nothing is copied into the queue.
MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


class Postfix:
    """One instance: `transports` maps a domain to a next hop (`smtp:[127.0.0.1]:2525`),
    `settings` adds or overrides main.cf lines."""

    def __init__(self, transports: Mapping[str, str], settings: Mapping[str, str]) -> None:
        if not os.path.exists(POSTFIX):
            unavailable("Debian's postfix is not installed (./dev install adds it)")
        if os.geteuid() != 0:
            unavailable("a private Postfix instance needs root (its daemons change user)")
        self.port = free_port()
        # Not under pytest's 0700 temporary directory: Postfix's daemons run as `postfix`.
        self.root = Path(tempfile.mkdtemp(prefix="frontdesk-postfix-"))
        self.root.chmod(0o755)
        self.process: subprocess.Popen[bytes] | None = None
        self._write(transports, settings)

    @property
    def config(self) -> Path:
        return self.root / "conf"

    def _write(self, transports: Mapping[str, str], settings: Mapping[str, str]) -> None:
        for name in ("conf", "queue", "data"):
            (self.root / name).mkdir()
        user = pwd.getpwnam("postfix")
        os.chown(self.root / "data", user.pw_uid, user.pw_gid)
        (self.config / "transport").write_text(
            "".join(f"{domain} {hop}\n" for domain, hop in transports.items())
        )
        main = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.root / "queue"),
            "data_directory": str(self.root / "data"),
            "maillog_file": str(self.root / "maillog"),
            "maillog_file_prefixes": str(self.root),
            "myhostname": "mx.frontdesk.test",
            "mydomain": "frontdesk.test",
            "myorigin": "$myhostname",
            "mydestination": "",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "relay_domains": " ".join(transports),
            "transport_maps": f"texthash:{self.config / 'transport'}",
            "smtp_dns_support_level": "disabled",
            "smtp_host_lookup": "native",
            "alias_maps": "",
            "alias_database": "",
            "notify_classes": "",
            "smtpd_recipient_restrictions": "permit_mynetworks, reject_unauth_destination",
            **settings,
        }
        (self.config / "main.cf").write_text("".join(f"{k} = {v}\n" for k, v in main.items()))
        (self.config / "master.cf").write_text(MASTER_CF.format(port=self.port))

    def start(self) -> Postfix:
        # A session of its own: `postfix start-fg` runs postfix-script, which runs master;
        # stopping signals that whole group (master then stops its daemons).
        self.process = subprocess.Popen(
            [POSTFIX, "-c", str(self.config), "start-fg"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"postfix did not start:\n{self.log()}")
            if "daemon started" in self.log() and self._listening():
                return self
            time.sleep(0.1)
        raise RuntimeError(f"postfix did not start in time:\n{self.log()}")

    def _listening(self) -> bool:
        import socket

        with socket.socket() as probe:
            probe.settimeout(0.5)
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def log(self) -> str:
        with contextlib.suppress(FileNotFoundError):
            return (self.root / "maillog").read_text(errors="replace")
        return ""

    def queue_is_empty(self) -> bool:
        shown = subprocess.run(
            ["/usr/sbin/postqueue", "-c", str(self.config), "-j"],
            capture_output=True,
            check=False,
            timeout=30,
        )
        return shown.returncode == 0 and not shown.stdout.strip()

    def stop(self) -> None:
        """Stop this instance: master (found by its pid file) and the group it started in."""
        if self.process is not None:
            master = self._master_pid()
            with contextlib.suppress(ProcessLookupError):
                if master is not None:
                    os.kill(master, signal.SIGTERM)  # master stops its daemons and exits
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            self._wait_gone(master)
        shutil.rmtree(self.root, ignore_errors=True)

    def _master_pid(self) -> int | None:
        with contextlib.suppress(FileNotFoundError, ValueError):
            return int((self.root / "queue" / "pid" / "master.pid").read_text().strip())
        return None

    @staticmethod
    def _wait_gone(pid: int | None, seconds: float = 20.0) -> None:
        deadline = time.monotonic() + seconds
        while pid is not None and time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)


def wait_for(check: object, seconds: float = 30.0) -> bool:
    """Poll `check()` until it is true or the time is up (real servers take their time)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False
