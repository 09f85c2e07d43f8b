"""`frontdesk mail` (the mail side alone) and `frontdesk import mbox|maildir`."""

from __future__ import annotations

import json
import mailbox
import signal
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import click

from frontdesk.mail.inbound import IMPORT, Inbound
from frontdesk.mail.runtime import MailRuntime
from frontdesk.services import Services, build_services
from frontdesk.settings import Settings


def start_for_serve(services: Services) -> MailRuntime | None:
    """The mail runtime beside `frontdesk serve`; a listener that cannot bind is reported
    and HTTP is served all the same (FRONTDESK_SMTP_PORT=0 turns it off)."""
    try:
        runtime = MailRuntime(services).start()
    except OSError as exc:
        click.echo(
            f"frontdesk: mail not started: {exc} (FRONTDESK_SMTP_PORT=0 turns the listener off)",
            err=True,
        )
        return None
    for part in runtime.running:
        click.echo(f"frontdesk: mail: {part}")
    return runtime


def exit_cleanly_on_signals() -> None:
    """SIGTERM / SIGINT end the process through SystemExit, so `finally` blocks run.

    uvicorn handles both while it serves, then restores the handlers it found and raises
    the signal again: with Python's default handler the process would die right there,
    before the mail runtime could stop; with this one, shutdown goes on through `finally`.
    """

    def _exit(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, _exit)


@click.command("mail")
def mail_command() -> None:
    """Run only the mail side: SMTP listener, outbox worker and IMAP poller."""
    services = build_services(Settings())
    stopping = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runtime = MailRuntime(services).start()
    try:
        for part in runtime.running:
            click.echo(f"frontdesk: mail: {part}")
        stopping.wait()
    finally:
        runtime.stop()
        services.close()


@click.group("import")
def import_group() -> None:
    """Import archived mail into tickets."""


@import_group.command("mbox")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--inbox", "address", required=True, help="The inbox address the mail was sent to.")
@click.pass_context
def import_mbox(ctx: click.Context, path: Path, address: str) -> None:
    """Import every message of an mbox file."""
    _import(ctx, mailbox.mbox(str(path), create=False), address)


@import_group.command("maildir")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--inbox", "address", required=True, help="The inbox address the mail was sent to.")
@click.pass_context
def import_maildir(ctx: click.Context, path: Path, address: str) -> None:
    """Import every message of a Maildir (new/ and cur/)."""
    _import(ctx, mailbox.Maildir(str(path), factory=None, create=False), address)


def _import(ctx: click.Context, box: mailbox.Mailbox[mailbox.Message], address: str) -> None:
    services = build_services(Settings())
    try:
        inbound = Inbound(services.store, services.blobs, services.settings)
        route = inbound.route(address)
        if route is None:
            raise click.ClickException(f"no inbox has the address {address!r}")
        counts: Counter[str] = Counter()
        keys = list(box.keys())
        with click.progressbar(
            _raw_messages(box, keys),
            length=len(keys),
            label="importing",
            file=sys.stderr,
        ) as messages:
            for raw in messages:
                for outcome in inbound.deliver(raw, [route.inbox.email], source=IMPORT):
                    counts[outcome.status] += 1
    finally:
        services.close()
    as_json = bool(getattr(ctx.obj, "as_json", False))
    summary = {"messages": len(keys), **{status: counts[status] for status in sorted(counts)}}
    if as_json:
        click.echo(json.dumps(summary, indent=2, sort_keys=True))
    else:
        click.echo(", ".join(f"{value} {name}" for name, value in summary.items()))


def _raw_messages(box: mailbox.Mailbox[mailbox.Message], keys: list[str]) -> Iterator[bytes]:
    for key in keys:
        yield box.get_bytes(key)
