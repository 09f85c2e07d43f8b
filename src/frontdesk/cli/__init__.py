"""`frontdesk ...`: serve, init, demo and the admin commands. `--json` for scripts."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from frontdesk.api.native import hook_payloads
from frontdesk.core import contacts
from frontdesk.core.contacts import ContactFields
from frontdesk.core.identity import accounts, credentials
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.records import CredentialKind, Role
from frontdesk.core.shared.errors import DomainError
from frontdesk.core.shared.records import ALL_SCOPES, Actor, Scope
from frontdesk.http.serving import uvicorn_options
from frontdesk.mail.commands import (
    exit_cleanly_on_signals,
    import_group,
    mail_command,
    start_for_serve,
)
from frontdesk.services import Services, build_services
from frontdesk.services.blobstores import BlobStoreConfigError, build_s3_store
from frontdesk.services.rules import SlaSweepJob, TimeRulesJob
from frontdesk.services.scheduler import Scheduler
from frontdesk.services.webhooks import WebhookWorker
from frontdesk.settings import DataDirError, Settings
from frontdesk.storage.blobcopy import Copied, blobs_to_copy, copy_blobs
from frontdesk.storage.blobs import LocalBlobStore
from frontdesk.storage.faults import classify, describe
from frontdesk.storage.sweep import DEFAULT_GRACE_SECONDS, sweep_blobs
from frontdesk.storage.uow import SqlUnitOfWork

PROGRESS_EVERY = 100  # files between two lines of counts when not on a terminal


@dataclass
class Context:
    as_json: bool

    def emit(self, data: dict[str, Any], lines: list[str]) -> None:
        if self.as_json:
            click.echo(json.dumps(data, indent=2, sort_keys=True))
        else:
            for line in lines:
                click.echo(line)


def cli_actor(account_id: int) -> Actor:
    return Actor(account_id=account_id, label="cli", scopes=ALL_SCOPES)


@contextmanager
def writing() -> Iterator[tuple[Services, SqlUnitOfWork]]:
    """Services and one write transaction; domain errors become a clean exit code 2."""
    services = build_services(Settings())
    try:
        with services.store.write() as uow:
            yield services, uow
    except DomainError as exc:
        raise click.ClickException(f"{exc.code}: {exc.message}") from exc
    finally:
        services.close()


class _Frontdesk(click.Group):
    """The command group: a data directory or database that cannot be used is one line on
    stderr and exit status 1, never a traceback (docs/reliability.md)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ValidationError as exc:  # a FRONTDESK_* variable with a wrong value
            wrong = "; ".join(
                f"FRONTDESK_{'_'.join(map(str, e['loc'])).upper()}: {e['msg']}"
                for e in exc.errors()
            )
            raise click.ClickException(f"invalid setting {wrong}") from exc
        except (DataDirError, BlobStoreConfigError) as exc:
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:
            if classify(exc) is None:
                raise
            raise click.ClickException(f"the data directory cannot be written: {exc}") from exc
        except SQLAlchemyError as exc:
            if classify(exc) is None:
                raise
            raise click.ClickException(f"the database cannot be used: {describe(exc)}") from exc


@click.group(cls=_Frontdesk)
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")
@click.pass_context
def main(ctx: click.Context, as_json: bool) -> None:
    """Frontdesk: e-mail tickets and live chat behind several vendor-compatible APIs."""
    ctx.obj = Context(as_json=as_json)


@main.command()
@click.option("--host", default=None, help="Address to listen on [FRONTDESK_HOST, 127.0.0.1].")
@click.option("--port", type=int, default=None, help="Port [FRONTDESK_PORT, 8000].")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True)
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Apply migrations, then serve HTTP."""
    import uvicorn

    if host:
        os.environ["FRONTDESK_HOST"] = host
    if port:
        os.environ["FRONTDESK_PORT"] = str(port)
    started = time.perf_counter()
    settings = Settings().resolved()
    # Resolved once here so that every worker finds the same data directory and secret.
    os.environ.setdefault("FRONTDESK_DATA_DIR", str(settings.data_dir))
    services = build_services(settings)
    took = time.perf_counter() - started
    click.echo(f"frontdesk: migrated in {took:.2f}s; listening on {settings.public_base_url}")
    # The mail side runs here, in the serving parent: HTTP workers may be many, but the
    # SMTP port can be bound once (docs/mail.md).
    mail = start_for_serve(services)
    hooks = WebhookWorker(
        services.store, settings, hook_payloads.renderer(settings.public_base_url)
    ).start()
    scheduler = Scheduler(
        services.store,
        [TimeRulesJob(every_seconds=settings.time_rules_every_seconds), SlaSweepJob()],
        tick_seconds=settings.scheduler_tick_seconds,
    ).start()
    exit_cleanly_on_signals()
    try:
        uvicorn.run("frontdesk.app:factory", factory=True, **uvicorn_options(settings, workers))
    finally:
        scheduler.stop()
        hooks.stop()
        if mail is not None:
            mail.stop()
        services.close()


@main.command()
@click.option("--account-name", default="My company", show_default=True)
@click.option("--owner-name", default="Owner", show_default=True)
@click.option("--owner-email", default="owner@example.com", show_default=True)
@click.option("--owner-password", default=None, help="Password for the web UI (optional).")
@click.pass_obj
def init(
    obj: Context, account_name: str, owner_name: str, owner_email: str, owner_password: str | None
) -> None:
    """Create the database, a first account, its owner and an admin API key."""
    with writing() as (services, uow):
        account = accounts.create_account(uow, account_name)
        actor = cli_actor(account.id)
        owner = accounts.create_agent(
            uow,
            actor,
            AgentFields(
                name=owner_name, email=owner_email, role=Role.OWNER, password=owner_password
            ),
        )
        issued = credentials.issue_api_key(uow, actor, "admin (frontdesk init)", ALL_SCOPES)
        base = services.settings.public_base_url
    obj.emit(
        {"account_id": account.id, "owner_id": owner.id, "api_key": issued.token, "base_url": base},
        [
            f"account {account.id} {account.name!r}, owner {owner.email}",
            f"admin API key (shown once): {issued.token}",
            f"try: curl -H 'Authorization: Bearer {issued.token}' {base}/api/v1/agents",
        ],
    )


@main.command()
@click.option(
    "--tickets", "ticket_count", default=200, show_default=True, type=click.IntRange(1, 100_000)
)
@click.pass_obj
def demo(obj: Context, ticket_count: int) -> None:
    """Load a realistic demo account (or find the one loaded before) and print fresh keys."""
    from frontdesk.cli.demo import load_demo

    with writing() as (services, uow):
        result = load_demo(uow, services.blobs, ticket_count)
        base = services.settings.public_base_url
    data = {**result.as_dict(), "base_url": base}
    obj.emit(
        data,
        [
            f"demo account {result.account_id} ({'new' if result.created else 'already there'}),"
            f" {result.ticket_count} tickets",
            f"admin API key (all scopes, shown once): {result.admin_key}",
            f"customer token for {result.customer_email}: {result.customer_token}",
            f"try: curl -H 'Authorization: Bearer {result.admin_key}' {base}/api/v1/agents",
            f"web app: {base}/ (sign in as {result.agent_email}, password {result.agent_password})",
        ],
    )


@main.group()
def account() -> None:
    """Accounts (tenants)."""


@account.command("create")
@click.argument("name")
@click.pass_obj
def account_create(obj: Context, name: str) -> None:
    with writing() as (_services, uow):
        created = accounts.create_account(uow, name)
    portal = f"/portal/{created.public_id}"  # the customer portal's address (docs/portal.md)
    obj.emit(
        {"id": created.id, "name": created.name, "public_id": created.public_id, "portal": portal},
        [f"account {created.id} {created.name!r}", f"customer portal: {portal}"],
    )


@main.group()
def agent() -> None:
    """Agents of an account."""


@agent.command("create")
@click.option("--account", "account_id", required=True, type=int)
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([role.value for role in Role]), default=Role.AGENT.value)
@click.option("--password", default=None)
@click.option(
    "--inbox", "inbox_ids", multiple=True, type=int, help="Inbox id the agent may work in."
)
@click.pass_obj
def agent_create(
    obj: Context,
    account_id: int,
    name: str,
    email: str,
    role: str,
    password: str | None,
    inbox_ids: tuple[int, ...],
) -> None:
    fields = AgentFields(
        name=name, email=email, role=Role(role), password=password, inbox_ids=inbox_ids or None
    )
    with writing() as (_services, uow):
        accounts.get_account(uow, account_id)
        created = accounts.create_agent(uow, cli_actor(account_id), fields)
    obj.emit({"id": created.id, "email": created.email}, [f"agent {created.id} {created.email}"])


@main.group()
def inbox() -> None:
    """Inboxes (e-mail addresses) of an account."""


@inbox.command("create")
@click.option("--account", "account_id", required=True, type=int)
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--auto-reply", default=None)
@click.pass_obj
def inbox_create(
    obj: Context, account_id: int, name: str, email: str, auto_reply: str | None
) -> None:
    with writing() as (_services, uow):
        accounts.get_account(uow, account_id)
        created = accounts.create_inbox(uow, cli_actor(account_id), name, email, auto_reply)
    obj.emit({"id": created.id, "email": created.email}, [f"inbox {created.id} {created.email}"])


@main.group()
def apikey() -> None:
    """API keys: scoped, shown once, stored hashed."""


@apikey.command("create")
@click.option("--account", "account_id", required=True, type=int)
@click.option(
    "--scopes", required=True, help=f"Comma-separated: {', '.join(s.value for s in Scope)}"
)
@click.option("--name", default="")
@click.pass_obj
def apikey_create(obj: Context, account_id: int, scopes: str, name: str) -> None:
    try:
        chosen = [Scope(word.strip()) for word in scopes.split(",") if word.strip()]
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--scopes") from exc
    with writing() as (_services, uow):
        accounts.get_account(uow, account_id)
        issued = credentials.issue_api_key(uow, cli_actor(account_id), name, chosen)
    obj.emit(
        {
            "id": issued.credential.id,
            "token": issued.token,
            "scopes": sorted(s.value for s in chosen),
        },
        [f"API key {issued.credential.id} (shown once): {issued.token}"],
    )


@apikey.command("revoke")
@click.option("--account", "account_id", required=True, type=int)
@click.argument("key_id", type=int)
@click.pass_obj
def apikey_revoke(obj: Context, account_id: int, key_id: int) -> None:
    with writing() as (_services, uow):
        revoked = credentials.revoke(uow, cli_actor(account_id), CredentialKind.API_KEY, key_id)
    obj.emit({"id": revoked.id, "revoked": revoked.revoked}, [f"API key {revoked.id} revoked"])


@main.group()
def token() -> None:
    """Customer tokens, each bound to one contact (for the customer-facing v3 API)."""


@token.command("create")
@click.option("--account", "account_id", required=True, type=int)
@click.option("--email", required=True, help="The contact's address; created if new.")
@click.option("--name", default=None)
@click.pass_obj
def token_create(obj: Context, account_id: int, email: str, name: str | None) -> None:
    with writing() as (_services, uow):
        accounts.get_account(uow, account_id)
        actor = cli_actor(account_id)
        contact = contacts.find_or_create_contact(uow, actor, ContactFields(email=email, name=name))
        issued = credentials.issue_customer_token(uow, actor, contact.id)
    obj.emit(
        {"id": issued.credential.id, "contact_id": contact.id, "token": issued.token},
        [f"customer token {issued.credential.id} for {contact.email} (shown once): {issued.token}"],
    )


@main.group()
def blobs() -> None:
    """The attachment and raw-mail store."""


@blobs.command("gc")
@click.option(
    "--grace-hours",
    type=click.FloatRange(0, 24 * 365),
    default=DEFAULT_GRACE_SECONDS / 3600,
    show_default=True,
    help="Leave files younger than this alone (an upload may not have committed its row yet).",
)
@click.option("--dry-run", is_flag=True, help="Only list what would go.")
@click.pass_obj
def blobs_gc(obj: Context, grace_hours: float, dry_run: bool) -> None:
    """Remove stored files that no row names (left by failed writes); run it daily."""
    services = build_services(Settings())
    try:
        swept = sweep_blobs(
            services.store, services.blobs, grace_seconds=grace_hours * 3600, dry_run=dry_run
        )
    finally:
        services.close()
    verb = "would remove" if dry_run else "removed"
    obj.emit(
        {"kept": swept.kept, "removed": swept.removed, "dry_run": dry_run},
        [f"{verb} {len(swept.removed)} file(s), kept {swept.kept}"],
    )


blobs.add_command(blobs_gc, "sweep")  # its first name, kept for existing cron jobs


@blobs.command("migrate")
@click.option("--no-verify", is_flag=True, help="Do not read each copied object back.")
@click.pass_obj
def blobs_migrate(obj: Context, no_verify: bool) -> None:
    """Copy the data directory's blobs to the S3 bucket of FRONTDESK_S3_*; resumable.

    Run it, switch FRONTDESK_BLOB_STORE to s3, restart, and run it once more for what
    was stored meanwhile."""
    settings = Settings().resolved()
    target = build_s3_store(settings)
    source = LocalBlobStore(settings.blob_dir)
    files = blobs_to_copy(source)
    with _progress(len(files)) as advance:
        copied = copy_blobs(source, target, files, verify=not no_verify, advance=advance)
    obj.emit(
        {"copied": copied.copied, "skipped": copied.skipped, "failed": copied.failed},
        [
            f"copied {copied.copied}, skipped {copied.skipped} already there, "
            f"failed {len(copied.failed)}"
        ]
        + [f"failed (hash differs when read back): {name}" for name in copied.failed],
    )
    if copied.failed:
        raise SystemExit(1)


@contextmanager
def _progress(total: int) -> Iterator[Callable[[Copied], None]]:
    """A progress bar on a terminal; elsewhere (a log, cron) a line of counts every
    PROGRESS_EVERY files and at the end."""
    if sys.stderr.isatty():
        with click.progressbar(length=total, label="copying", file=sys.stderr) as bar:
            yield lambda _copied: bar.update(1)
        return
    done = [0]

    def count(copied: Copied) -> None:
        done[0] += 1
        if done[0] % PROGRESS_EVERY == 0 or done[0] == total:
            click.echo(
                f"{done[0]}/{total}: copied {copied.copied}, skipped {copied.skipped}, "
                f"failed {len(copied.failed)}",
                err=True,
            )

    yield count


@main.command()
@click.argument("dest", type=click.Path(path_type=Path))
@click.pass_obj
def backup(obj: Context, dest: Path) -> None:
    """Copy the SQLite database (online, while serving), its files and the secret key into
    DEST: a new directory, or a .tar.gz file (docs/deploy.md)."""
    from frontdesk.cli.backup import make_backup

    summary = make_backup(Settings(), dest)
    obj.emit(asdict(summary), [f"backup in {dest}: {summary.describe()}"])


@main.command()
@click.argument("src", type=click.Path(exists=True, path_type=Path))
@click.option("--force", is_flag=True, help="Replace the database, files and key there.")
@click.pass_obj
def restore(obj: Context, src: Path, force: bool) -> None:
    """Restore a backup (directory or .tar.gz) into the data directory, which must be empty
    unless --force. Stop the server first; `serve` migrates the data on start."""
    from frontdesk.cli.backup import restore_backup

    summary = restore_backup(Settings(), src, force=force)
    obj.emit(asdict(summary), [f"restored {src} into {summary.path}: {summary.describe()}"])


main.add_command(mail_command)
main.add_command(import_group)
