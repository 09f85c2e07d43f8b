"""The one typed configuration object. Nothing else in Frontdesk reads the environment."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIB = 1024 * 1024


class Settings(BaseSettings):
    """Read from `FRONTDESK_*` environment variables; every field has a working default."""

    model_config = SettingsConfigDict(env_prefix="FRONTDESK_", extra="ignore")

    data_dir: Path = Field(default=Path("frontdesk-data"))
    database_url: str = ""
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_base_url: str = ""
    secret_key: str = ""
    max_request_bytes: int = Field(default=1 * MIB, ge=1024)
    max_attachment_bytes: int = Field(default=25 * MIB, ge=1024)
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)
    db_pool_size: int = Field(default=10, ge=1)
    # PostgreSQL outages (docs/reliability.md): how long opening a connection may take, and
    # how long one statement may run (the server cancels it; the client gives up on an
    # answer a little later, for a server or network that has gone silent). Waiting for a
    # pooled connection is bounded by the connect timeout too.
    db_connect_timeout_seconds: int = Field(default=5, ge=2, le=600)
    db_statement_timeout_seconds: float = Field(default=30.0, gt=0, le=3600)
    # What a 503 tells clients (Retry-After) while the database is unreachable or busy.
    retry_after_seconds: int = Field(default=5, ge=1, le=3600)
    # /readyz reports the data directory's disk as full below this much free space.
    min_free_disk_bytes: int = Field(default=16 * MIB, ge=0)
    # Authentication-Results headers are trusted only from this authserv-id, the one the
    # operator's own MTA writes (docs/mail.md, "Forged senders"); empty trusts none.
    mail_authserv_id: str = ""
    # Fetching attachments by URL (ImBox insertTicket): private, loopback and link-local
    # addresses are refused unless the operator allows them (a lab, or tests).
    allow_private_fetch: bool = False
    fetch_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    # Webhooks (docs/webhooks.md): the same address rule for the URLs admins register;
    # each POST's time limit; the worker's polling; retries (doubling from base to max,
    # at most max_attempts); an endpoint failing for disable_after is switched off.
    allow_private_webhooks: bool = False
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    webhook_poll_seconds: float = Field(default=1.0, gt=0, le=600)
    webhook_retry_base_seconds: float = Field(default=10.0, gt=0, le=86_400)
    webhook_retry_max_seconds: float = Field(default=3600.0, gt=0, le=7 * 86_400)
    webhook_max_attempts: int = Field(default=40, ge=1, le=1000)
    webhook_disable_after_seconds: int = Field(default=86_400, ge=1, le=30 * 86_400)
    # How long the delivery log keeps a delivered delivery, and a failed one (longer, so
    # that an admin can still look and redeliver); the worker deletes older ones hourly.
    webhook_keep_delivered_days: int = Field(default=30, ge=1, le=3650)
    webhook_keep_failed_days: int = Field(default=90, ge=1, le=3650)
    # The scheduler inside `serve` (docs/automation.md): how often it tries to lead and
    # runs due jobs, and how often the time rules sweep the open tickets.
    scheduler_tick_seconds: float = Field(default=5.0, gt=0, le=3600)
    time_rules_every_seconds: float = Field(default=60.0, gt=0, le=86_400)
    # The v3 public contact form (POST /v3/tickets/contact): attempts per client address
    # within a sliding window, counted in each server process.
    contact_form_limit: int = Field(default=10, ge=1, le=100_000)
    contact_form_window_seconds: int = Field(default=3600, ge=1, le=7 * 86_400)
    # Failed authentications (every credential path), counted per client address and per
    # key id within the window; past either limit the answer is 429 until it slides.
    auth_failures_per_address: int = Field(default=30, ge=1, le=1_000_000)
    auth_failures_per_key: int = Field(default=10, ge=1, le=1_000_000)
    auth_failure_window_seconds: int = Field(default=900, ge=1, le=86_400)
    # Addresses (or networks, comma-separated) of the reverse proxies whose
    # X-Forwarded-For names the client; from any other peer the header is ignored.
    trusted_proxies: str = "127.0.0.1,::1"
    # The e-mail channel (docs/mail.md). The SMTP listener runs in the serving parent
    # process (or `frontdesk mail`); port 0 turns it off.
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=2525, ge=0, le=65535)
    smtp_hostname: str = ""  # the name it greets with; the machine's name when empty
    max_mail_bytes: int = Field(default=35 * MIB, ge=1024)  # 552 above
    # The relay outgoing mail goes through; no host means mail stays queued.
    relay_host: str = ""
    relay_port: int = Field(default=25, ge=1, le=65535)
    relay_starttls: bool = False
    relay_user: str = ""
    relay_password: str = Field(default="", repr=False)
    relay_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    # RFC 5321 4.5.3.2.6: wait 10 minutes for the answer to the end of DATA; a timeout
    # after it leaves the outcome unknown (docs/mail.md), so it must not be cut short.
    relay_data_timeout_seconds: float = Field(default=600.0, gt=0, le=3600)
    outbox_poll_seconds: float = Field(default=1.0, gt=0, le=600)
    mail_retry_base_seconds: float = Field(default=30.0, gt=0, le=86_400)
    mail_retry_max_seconds: float = Field(default=3600.0, gt=0, le=7 * 86_400)
    mail_max_attempts: int = Field(default=15, ge=1, le=1000)
    imap_poll_seconds: float = Field(default=60.0, gt=0, le=86_400)
    # At most this many auto replies to one address per window (two auto-responders).
    auto_reply_cap: int = Field(default=3, ge=1, le=1000)
    auto_reply_window_seconds: int = Field(default=3600, ge=1, le=7 * 86_400)
    # The cap counts only mail that looks automated or comes this soon after the last
    # auto reply to its sender (a loop answers in seconds; a person writes again later).
    auto_reply_repeat_seconds: int = Field(default=300, ge=0, le=86_400)
    # No auto reply to mail dated longer ago than this (an old unread mail polled late).
    auto_reply_max_age_seconds: int = Field(default=86_400, ge=60, le=365 * 86_400)
    # Live chat (docs/chat.md). With a Redis URL, chat events reach the sockets of every
    # server process through one pub/sub channel named `<prefix>:chat`.
    redis_url: str = ""
    chat_channel_prefix: str = "frontdesk"
    # Per websocket: the largest frame (closed with 1009 above) and the frame rate
    # (a bucket of `burst` frames refilled at `rate` a second; closed with 4429 when empty).
    chat_max_frame_bytes: int = Field(default=16 * 1024, ge=1024, le=MIB)
    chat_frame_rate: float = Field(default=5.0, gt=0, le=10_000)
    # How often `serve` hands the objects it froze back to the garbage collector for one
    # full look (http/gc_pauses.py); 0 leaves CPython's collector as it is (no freezing).
    gc_rescan_seconds: int = Field(default=600, ge=0, le=86_400)
    chat_frame_burst: int = Field(default=30, ge=1, le=100_000)
    # Flooding the agents' queue (docs/chat.md): within the window, at most this many new
    # conversations per client address, and new chats per address and per widget; and the
    # widget's proof of work (leading zero bits of a SHA-256; 0 asks none).
    chat_new_conversations_per_address: int = Field(default=30, ge=1, le=1_000_000)
    chat_new_chats_per_address: int = Field(default=10, ge=1, le=1_000_000)
    chat_new_chats_per_widget: int = Field(default=100, ge=1, le=1_000_000)
    chat_new_window_seconds: int = Field(default=600, ge=1, le=86_400)
    chat_proof_bits: int = Field(default=16, ge=0, le=28)

    # The web app's sign-in (docs/web.md). A session ends after `idle` without a request,
    # and after `absolute` whatever happens; both are checked on every request.
    session_idle_seconds: int = Field(default=8 * 3600, ge=60, le=30 * 86_400)
    session_absolute_seconds: int = Field(default=7 * 86_400, ge=300, le=365 * 86_400)
    # Failed sign-ins (and reset requests) counted in the database, so that the limits hold
    # across every server process: at most this many per address and per client IP within
    # the window, after which sign-in waits until the oldest attempt leaves the window.
    signin_failures_per_address: int = Field(default=5, ge=1, le=10_000)
    signin_failures_per_ip: int = Field(default=20, ge=1, le=100_000)
    signin_window_seconds: int = Field(default=900, ge=10, le=86_400)
    password_reset_seconds: int = Field(default=3600, ge=60, le=7 * 86_400)
    # The customer portal (docs/portal.md): how long a mailed sign-in link works, and how
    # many links an address, and a client IP, may ask for within the sign-in window.
    portal_link_seconds: int = Field(default=900, ge=60, le=86_400)
    portal_links_per_address: int = Field(default=3, ge=1, le=10_000)
    portal_links_per_ip: int = Field(default=20, ge=1, le=100_000)

    # Where attachment and raw-mail bytes live (docs/storage.md): the data directory's
    # `blobs/`, or an S3-compatible bucket. Empty credentials leave them to boto3's own
    # chain (AWS_* variables, an instance role). Parts of a multipart upload are at least
    # 5 MiB (S3's minimum). With presign on, a download is a redirect to a URL that works
    # for presign_seconds instead of bytes streamed through Frontdesk.
    blob_store: Literal["local", "s3"] = "local"
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_region: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = Field(default="", repr=False)
    s3_prefix: str = ""
    s3_multipart_bytes: int = Field(default=8 * MIB, ge=5 * MIB, le=5 * 1024 * MIB)
    s3_presign: bool = False
    s3_presign_seconds: int = Field(default=300, ge=1, le=7 * 86_400)

    @field_validator("public_base_url")
    @classmethod
    def _strip_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    def resolved(self) -> Settings:
        """Fill the defaults that depend on other fields or on the data directory.

        Kept out of validation so that building a Settings never touches the disk;
        only the server and the CLI, which own the data directory, call this.
        """
        data_dir = self.data_dir.expanduser().resolve()
        _writable_private_dir(data_dir)
        return self.model_copy(
            update={
                "data_dir": data_dir,
                "database_url": self.database_url or f"sqlite:///{data_dir / 'frontdesk.db'}",
                "public_base_url": self.public_base_url or f"http://{self.host}:{self.port}",
                "secret_key": self.secret_key or _stored_secret(data_dir),
            }
        )

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"


class DataDirError(Exception):
    """The data directory cannot be made or written: said in one line, not a traceback."""


def _writable_private_dir(path: Path) -> None:
    """Create the data directory readable by its owner only (0700, whatever the umask: a
    mode given to mkdir can only lose bits to it), and check that it can be written."""
    try:
        if not path.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.mkdir(mode=0o700)
        probe = path / f".write-probe-{os.getpid()}"
        probe.touch(mode=0o600)
        probe.unlink()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise DataDirError(f"the data directory {path} cannot be written: {reason}") from exc


def _stored_secret(data_dir: Path) -> str:
    """The secret kept in the data directory, generated on first use (mode 0600)."""
    path = data_dir / "secret_key"
    if not path.exists():
        token = secrets.token_urlsafe(48)
        path.touch(mode=0o600, exist_ok=True)
        path.write_text(token, encoding="ascii")
    return path.read_text(encoding="ascii").strip()
