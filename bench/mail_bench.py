"""Inbound SMTP ingest: messages per second into tickets, and the server's peak memory.

Starts `frontdesk mail` (SMTP listener only: no relay, IMAP idle) as a child process on a
fresh data directory, makes an account and an inbox with the CLI, then sends mail with
smtplib from several client threads, each mail from a new sender (so each opens a ticket
and is answered 250 only after its commit):

- 10 KB plain-text messages;
- messages with a 1 MB attachment (stored in the blob store, raw mail kept too);
- 10 KB replies as Gmail writes them: text and HTML, a signature and quoted history to
  mark (core/mail/quoting.py), and an inline image (`cid:`) to store and point at.

The same run measures a null SMTP sink (aiosmtpd answering 250 without doing anything) as
the ceiling: figures are reported as ratios to it, since the machine is shared and busy.
Peak memory is the server's VmHWM (Linux /proc), next to its resident size at start.

    .venv/bin/python -m bench.mail_bench [--database-url URL] [--small N] [--large N]
        [--reply N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from bench.harness import free_port, memory_kib

RESULTS = Path(__file__).parent / "results"
SINK = """
import sys, time
from aiosmtpd.controller import Controller
class Sink:
    async def handle_DATA(self, server, session, envelope):
        return "250 OK"
c = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]), data_size_limit=50_000_000)
c.start()
print("ready", flush=True)
sys.stdin.read()
c.stop()
"""


def small_mail(to: str, number: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Customer {number} <c{number}@example.org>"
    message["To"] = to
    message["Subject"] = f"Question {number}"
    message["Message-ID"] = f"<bench-small-{number}-{time.time_ns()}@example.org>"
    line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod.\n"
    message.set_content(line * (10_240 // len(line)))
    return message.as_bytes(policy=SMTP)


# A 1x1 PNG: the inline image of every reply (the blob store keeps it once).
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408"
    "d763f8cfc0000003010100c9fe92ef0000000049454e44ae426082"
)


def reply_mail(to: str, number: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Customer {number} <r{number}@example.org>"
    message["To"] = to
    message["Subject"] = f"Re: Question {number}"
    message["Message-ID"] = f"<bench-reply-{number}-{time.time_ns()}@example.org>"
    line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod."
    quoted = [line] * 60
    text = (
        f"Still broken, see the screenshot.\n\n-- \nCustomer {number}\n\n"
        f"On Tue, 3 Mar 2026 at 10:12, Support <{to}> wrote:\n\n"
        + "".join(f"> {q}\n" for q in quoted)
    )
    html = (
        '<div dir="ltr"><div>Still broken, see the screenshot: '
        '<img src="cid:shot@example.org" alt="screenshot"></div><br>'
        f'<div class="gmail_signature">Customer {number}</div></div>'
        '<div class="gmail_quote"><div class="gmail_attr">On Tue, 3 Mar 2026 at 10:12, '
        f"Support &lt;{to}&gt; wrote:</div>"
        '<blockquote class="gmail_quote">'
        + "".join(f"<div>{q}</div>" for q in quoted)
        + "</blockquote></div>"
    )
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    related = message.get_payload()[1]  # type: ignore[index]
    assert isinstance(related, EmailMessage)
    related.add_related(PIXEL, "image", "png", cid="<shot@example.org>", filename="shot.png")
    return message.as_bytes(policy=SMTP)


def large_mail(to: str, number: int) -> bytes:
    message = EmailMessage()
    message["From"] = f"Customer {number} <big{number}@example.org>"
    message["To"] = to
    message["Subject"] = f"Scan {number}"
    message["Message-ID"] = f"<bench-large-{number}-{time.time_ns()}@example.org>"
    message.set_content("The scan is attached.")
    data = os.urandom(1024 * 1024)  # incompressible, and unique: one blob per mail
    message.add_attachment(data, maintype="application", subtype="pdf", filename="scan.pdf")
    return message.as_bytes(policy=SMTP)


def blast(port: int, to: str, mails: list[bytes], clients: int) -> float:
    """Send every mail (each client keeps one connection); wall time in seconds."""
    chunks = [mails[index::clients] for index in range(clients)]
    errors: list[BaseException] = []

    def client(chunk: list[bytes]) -> None:
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=120) as conn:
                for raw in chunk:
                    conn.sendmail("sender@example.org", [to], raw)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(chunk,)) for chunk in chunks]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"sending failed: {errors[0]!r}")
    return took


def cli(env: dict[str, str], *args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "frontdesk.cli", "--json", *args],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def wait_for(port: int, alive: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError("the server exited")
        try:
            with smtplib.SMTP("127.0.0.1", port, timeout=5) as conn:
                conn.noop()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the SMTP listener did not come up")


def measure(port: int, to: str, counts: Counts, clients: int, pid: int | None) -> dict[str, float]:
    blast(port, to, [small_mail(to, -n - 1) for n in range(10)], clients)  # warm up
    small_mails = [small_mail(to, n) for n in range(counts.small)]
    large_mails = [large_mail(to, n) for n in range(counts.large)]
    reply_mails = [reply_mail(to, n) for n in range(counts.reply)]
    small_s = blast(port, to, small_mails, clients)
    large_s = blast(port, to, large_mails, clients)
    reply_s = blast(port, to, reply_mails, clients)
    result = {
        "small_per_s": counts.small / small_s,
        "large_per_s": counts.large / large_s,
        "reply_per_s": counts.reply / reply_s,
    }
    if pid is not None:
        result.update({f"{k}_kib": float(v) for k, v in memory_kib(pid).items()})
    return result


@dataclass(frozen=True)
class Counts:
    small: int
    large: int
    reply: int


def run_sink(counts: Counts, clients: int) -> dict[str, float]:
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK, str(port)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    try:
        assert sink.stdout is not None
        sink.stdout.readline()
        return measure(port, "sink@example.com", counts, clients, None)
    finally:
        assert sink.stdin is not None
        sink.stdin.close()
        sink.wait(10)


def run_frontdesk(database_url: str | None, counts: Counts, clients: int) -> dict[str, float]:
    data = Path(tempfile.mkdtemp(prefix="frontdesk-mail-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "FRONTDESK_DATA_DIR": str(data),
        "FRONTDESK_SMTP_PORT": str(port),
        "FRONTDESK_IMAP_POLL_SECONDS": "86400",
        "FRONTDESK_MAX_MAIL_BYTES": str(20 * 1024 * 1024),
    }
    if database_url:
        env["FRONTDESK_DATABASE_URL"] = database_url
    account = cli(env, "account", "create", "Bench")["id"]
    to = f"bench-{time.time_ns()}@example.com"
    cli(env, "inbox", "create", "--account", str(account), "--name", "Bench", "--email", to)
    server = subprocess.Popen(
        [sys.executable, "-m", "frontdesk.cli", "mail"],
        env=env, stdout=subprocess.DEVNULL, stderr=(data / "mail.log").open("w"),
    )  # fmt: skip
    try:
        wait_for(port, lambda: server.poll() is None)
        start_rss = memory_kib(server.pid)["VmRSS"]
        result = measure(port, to, counts, clients, server.pid)
        result["start_rss_kib"] = float(start_rss)
        return result
    finally:
        server.terminate()
        server.wait(30)
        shutil.rmtree(data, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temp dir")
    parser.add_argument("--small", type=int, default=400, help="10 KB messages")
    parser.add_argument("--large", type=int, default=30, help="messages with a 1 MB file")
    parser.add_argument("--reply", type=int, default=400, help="10 KB replies, quote and image")
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    backend = "postgresql" if args.database_url else "sqlite"
    counts = Counts(args.small, args.large, args.reply)
    sink = run_sink(counts, args.clients)
    desk = run_frontdesk(args.database_url, counts, args.clients)
    report = {
        "backend": backend,
        "clients": args.clients,
        "messages": {
            "small_10kb": args.small,
            "large_1mb": args.large,
            "reply_10kb_quote_image": args.reply,
        },
        "sink": sink,
        "frontdesk": desk,
        "ratio": {
            "small": desk["small_per_s"] / sink["small_per_s"],
            "large": desk["large_per_s"] / sink["large_per_s"],
            "reply": desk["reply_per_s"] / sink["reply_per_s"],
        },
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"mail-{backend}.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
