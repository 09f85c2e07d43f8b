"""`frontdesk backup DEST` and `frontdesk restore SRC`: the embedded (SQLite) install.

A backup is the database, copied online, then the blob store, then the secret key file.
That order is what makes the pair consistent while the server runs (docs/deploy.md):
a file is always stored before the row that names it commits, so every file the copied
database names is already on disk when the blobs are copied. Files added afterwards come
along unnamed, which is harmless (`frontdesk blobs sweep`). Files are removed only when no
row names them any more (a deleted ticket's): if that happens between the two copies, the
check below finds the gap and the backup starts again from a fresh copy of the database.
"""

from __future__ import annotations

import json
import os
import shutil
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from frontdesk.settings import Settings
from frontdesk.storage.blobs import TMP_PREFIX
from frontdesk.storage.snapshot import (
    SnapshotError,
    online_copy,
    referenced_blobs,
    schema_revision,
)

DATABASE = "frontdesk.db"
BLOBS = "blobs"
KEY_FILE = "secret_key"  # the name settings.py gives it
MANIFEST = "frontdesk-backup.json"
ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
POSTGRESQL_WAY = (
    "FRONTDESK_DATABASE_URL is not SQLite: back up PostgreSQL with pg_dump "
    '(pg_dump --format=custom --file=frontdesk.dump "$URL") and the blob store or bucket '
    "beside it, as docs/deploy.md (Backups) describes"
)
S3_WAY = (
    "FRONTDESK_BLOB_STORE is s3: this command copies the local blob store only. Back up the "
    "database with `sqlite3 <file> .backup` and the bucket with its own tools (versioning or "
    "a replica), as docs/deploy.md (Backups) describes"
)
ATTEMPTS = 3  # fresh snapshots tried before a gap in the files is an error


class MissingFiles(SnapshotError):
    """The copied database names files that the copy of the blob store lacks."""


@dataclass(frozen=True)
class Summary:
    path: str
    revision: str
    database_bytes: int
    blobs: int
    secret_key: bool

    def describe(self) -> str:
        secret = "with" if self.secret_key else "without"
        return (
            f"schema {self.revision}, {self.database_bytes} bytes of database, "
            f"{self.blobs} stored file(s), {secret} the secret key file"
        )


def make_backup(settings: Settings, dest: Path) -> Summary:
    """Write the backup to DEST, which must not exist (or be an empty directory)."""
    database = _database_file(settings)
    if settings.blob_store != "local":  # the files are in a bucket, not beside the database
        raise click.ClickException(S3_WAY)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise click.ClickException(f"{dest} already exists; give a new path")
    for attempt in range(1, ATTEMPTS + 1):
        with _staging(dest) as staging:
            try:
                summary = _write_backup(settings, database, staging)
            except MissingFiles as exc:
                # A ticket deleted between the copy of the database and that of its files
                # takes its files with it: a fresh copy no longer names them.
                if attempt < ATTEMPTS:
                    continue
                raise click.ClickException(str(exc)) from exc
            except SnapshotError as exc:
                raise click.ClickException(str(exc)) from exc
            _publish(staging, dest)
            return replace(summary, path=str(dest))
    raise AssertionError("unreachable: the last attempt returns or raises")


def restore_backup(settings: Settings, src: Path, *, force: bool) -> Summary:
    """Put the backup at SRC in place of the data directory's database, files and key."""
    data_dir = settings.data_dir.expanduser().resolve()
    database = _database_file(settings)
    taken = _taken(data_dir, database)
    if taken and not force:
        raise click.ClickException(
            f"{data_dir} is not empty ({', '.join(taken)}); restore into an empty data "
            "directory, or give --force to replace what is there"
        )
    with _unpacked(src) as unpacked:
        summary = _check_backup(unpacked)
        _replace_data(unpacked, data_dir, database)
    return replace(summary, path=str(data_dir))


def _database_file(settings: Settings) -> Path:
    if not settings.database_url:
        return settings.data_dir.expanduser().resolve() / DATABASE
    try:
        url = make_url(settings.database_url)
    except ArgumentError as exc:
        raise click.ClickException(f"FRONTDESK_DATABASE_URL cannot be read: {exc}") from exc
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        raise click.ClickException(POSTGRESQL_WAY)
    return Path(url.database).expanduser().resolve()


def _write_backup(settings: Settings, database: Path, staging: Path) -> Summary:
    data_dir = settings.data_dir.expanduser().resolve()
    online_copy(database, staging / DATABASE, settings.sqlite_busy_timeout_ms / 1000)
    revision = schema_revision(staging / DATABASE)
    copied = _copy_blobs(data_dir / BLOBS, staging / BLOBS)
    _require_blobs(staging / DATABASE, copied, "the blob store")
    has_secret = _copy_secret(data_dir / KEY_FILE, staging / KEY_FILE)
    summary = Summary(
        path="",
        revision=revision,
        database_bytes=(staging / DATABASE).stat().st_size,
        blobs=len(copied),
        secret_key=has_secret,
    )
    manifest = {**asdict(summary), "created": int(time.time())}
    del manifest["path"]
    (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return summary


def _copy_blobs(source: Path, target: Path) -> set[str]:
    """Every finished file under `<blobs>/ab/cd/`, same layout; temporary files stay."""
    copied: set[str] = set()
    target.mkdir(mode=0o700)
    if not source.is_dir():
        return copied
    for path in source.glob("??/??/*"):
        if path.name.startswith(TMP_PREFIX) or not path.is_file():
            continue
        into = target / path.relative_to(source)
        for level in (into.parent.parent, into.parent):  # each 0700, as the store makes them
            level.mkdir(mode=0o700, exist_ok=True)
        try:
            shutil.copy2(path, into)
        except FileNotFoundError:
            continue  # removed meanwhile, when no row named it any more (_require_blobs checks)
        copied.add(path.name)
    return copied


def _require_blobs(database: Path, present: set[str], where: str) -> None:
    missing = referenced_blobs(database) - present
    if missing:
        raise MissingFiles(
            f"{len(missing)} file(s) the database names are not in {where}, "
            f"e.g. {sorted(missing)[0]}"
        )


def _copy_secret(source: Path, target: Path) -> bool:
    """The data directory's secret key, which unseals stored passwords. Absent when the
    operator sets FRONTDESK_SECRET_KEY instead: then that value must be kept apart."""
    if not source.is_file():
        return False
    target.touch(mode=0o600)
    target.write_bytes(source.read_bytes())
    return True


@contextmanager
def _staging(dest: Path) -> Iterator[Path]:
    """A private directory beside DEST, removed whatever happens: no half backup is left."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".frontdesk-backup-") as aside:
        staging = Path(aside) / "backup"
        staging.mkdir(mode=0o700)
        yield staging


def _publish(staging: Path, dest: Path) -> None:
    """Move the finished backup to DEST in one rename (an archive is written aside first)."""
    if not dest.name.endswith(ARCHIVE_SUFFIXES):
        if dest.is_dir():
            dest.rmdir()  # empty (checked); the rename needs it gone
        os.replace(staging, dest)
        return
    partial = staging.parent / dest.name
    with tarfile.open(partial, "w:gz") as archive:
        for entry in sorted(staging.iterdir()):
            archive.add(entry, arcname=entry.name)
    os.chmod(partial, 0o600)  # it holds the secret key
    os.replace(partial, dest)


def _taken(data_dir: Path, database: Path) -> list[str]:
    """What a restore would replace: anything in the data directory, or the database."""
    names = sorted(entry.name for entry in data_dir.iterdir()) if data_dir.is_dir() else []
    if database.exists() and database.parent != data_dir:
        names.append(str(database))
    return names


@contextmanager
def _unpacked(src: Path) -> Iterator[Path]:
    if src.is_dir():
        yield src
        return
    if not src.name.endswith(ARCHIVE_SUFFIXES):
        raise click.ClickException(f"{src} is neither a backup directory nor a .tar.gz")
    with tempfile.TemporaryDirectory(prefix=".frontdesk-restore-") as into:
        try:
            with tarfile.open(src, "r:gz") as archive:
                archive.extractall(into, filter="data")  # no paths outside, no devices
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise click.ClickException(f"{src} cannot be unpacked: {exc}") from exc
        yield Path(into)


def _check_backup(unpacked: Path) -> Summary:
    """Refuse anything that is not a complete backup before touching the data directory."""
    try:
        manifest = json.loads((unpacked / MANIFEST).read_text())
        revision = schema_revision(unpacked / DATABASE)
        present = {path.name for path in (unpacked / BLOBS).glob("??/??/*")}
        _require_blobs(unpacked / DATABASE, present, "the backup")
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"not a frontdesk backup: {exc}") from exc
    except SnapshotError as exc:
        raise click.ClickException(str(exc)) from exc
    return Summary(
        path="",
        revision=revision,
        database_bytes=(unpacked / DATABASE).stat().st_size,
        blobs=len(present),
        secret_key=bool(manifest.get("secret_key")),
    )


def _replace_data(unpacked: Path, data_dir: Path, database: Path) -> None:
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    # A WAL or shared-memory file left from the old database would be replayed onto the
    # restored one and corrupt it: they go with it.
    for stale in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        stale.unlink(missing_ok=True)
    shutil.rmtree(data_dir / BLOBS, ignore_errors=True)
    (data_dir / KEY_FILE).unlink(missing_ok=True)
    if (unpacked / BLOBS).is_dir():
        shutil.copytree(unpacked / BLOBS, data_dir / BLOBS)
    if (unpacked / KEY_FILE).is_file():
        _copy_secret(unpacked / KEY_FILE, data_dir / KEY_FILE)
    # The database last, written aside and renamed: a half-restored directory has none.
    partial = database.with_name(f".{database.name}.restoring")
    shutil.copyfile(unpacked / DATABASE, partial)
    os.chmod(partial, 0o600)
    os.replace(partial, database)
