"""Sweeping the blob store of files no row names (`frontdesk blobs sweep`).

Bytes are written before the row that names them commits (storage/blobs.py), so a
transaction that fails afterwards (a full disk for the database, an outage, a crash)
leaves a file without a row; deleting an upload that no message carries keeps its bytes
too. Such files are harmless, and this sweep removes them: every file that neither an
attachment nor a mail receipt names, and that is older than the grace period (a younger
one may belong to a transaction still running; storing the same bytes again refreshes a
file's time). Temporary files older than the grace period are left-overs of a crash.
A row without its file never happens: the file is always there first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, union

from frontdesk.storage import tables as t
from frontdesk.storage.blobs import TMP_PREFIX, LocalBlobStore
from frontdesk.storage.store import Store

BATCH = 500
DEFAULT_GRACE_SECONDS = 24 * 3600


@dataclass
class Swept:
    kept: int = 0
    removed: list[str] = field(default_factory=list)


def sweep_blobs(
    store: Store,
    blobs: LocalBlobStore,
    *,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    dry_run: bool = False,
) -> Swept:
    cutoff = time.time() - grace_seconds
    swept = Swept()
    batch: list[tuple[str, Path]] = []
    for name, path in blobs.stored():
        if _modified(path) > cutoff:
            swept.kept += 1
        elif name.startswith(TMP_PREFIX):
            _remove(path, cutoff, dry_run, swept)
        else:
            batch.append((name, path))
            if len(batch) >= BATCH:
                _sweep_batch(store, batch, cutoff, dry_run, swept)
                batch = []
    _sweep_batch(store, batch, cutoff, dry_run, swept)
    return swept


def _sweep_batch(
    store: Store, batch: list[tuple[str, Path]], cutoff: float, dry_run: bool, swept: Swept
) -> None:
    if not batch:
        return
    named = _named(store, [name for name, _path in batch])
    for name, path in batch:
        if name in named:
            swept.kept += 1
        else:
            _remove(path, cutoff, dry_run, swept)


def _named(store: Store, names: list[str]) -> set[str]:
    """Which of these file names a row names."""
    query = union(
        select(t.attachments.c.stored_name).where(t.attachments.c.stored_name.in_(names)),
        select(t.mail_receipts.c.raw_sha256).where(t.mail_receipts.c.raw_sha256.in_(names)),
    )
    with store.read() as uow:
        return {str(name) for name in uow.conn.execute(query).scalars()}


def _remove(path: Path, cutoff: float, dry_run: bool, swept: Swept) -> None:
    # Looked at again just before: an upload of the same bytes may have refreshed it.
    if _modified(path) > cutoff:
        swept.kept += 1
        return
    if not dry_run:
        path.unlink(missing_ok=True)
    swept.removed.append(path.name)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return time.time()  # gone meanwhile: nothing to do
