"""Removing stored files that no row names (`frontdesk blobs gc`, also called `sweep`).

Bytes are written before the row that names them commits (storage/blobs.py), so a
transaction that fails afterwards (a full disk for the database, an outage, a crash)
leaves a file without a row; deleting an upload that no message carries keeps its bytes
too. Such files are harmless, and this removes them: every file that no attachment,
mail receipt or account logo names, and that is older than the grace period.

Why the grace period makes it safe against a concurrent upload: an upload stores the
bytes first and commits the row naming them afterwards, so between the two a file is
unnamed yet wanted. That window is one transaction long (seconds), far below the grace
period (a day by default), so a file in it is always young and left alone. Storing bytes
that are already there renews the file's time (utime on disk, a self-copy on S3), so an
old orphan that an upload is about to name becomes young again; and each file's time is
looked at again just before it goes, which narrows the remaining race (renewed between
that look and the delete) to one request against a file that was unnamed for a whole
grace period. Temporary files older than the grace period are left-overs of a crash.
A row without its file never happens: the file is always there first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from frontdesk.storage.blobs import TMP_PREFIX, BlobBackend, LocalBlobStore, StoredBlob
from frontdesk.storage.store import Store
from frontdesk.storage.tickets.removal import names_in_use

BATCH = 500
DEFAULT_GRACE_SECONDS = 24 * 3600


@dataclass
class Swept:
    kept: int = 0
    removed: list[str] = field(default_factory=list)


def sweep_blobs(
    store: Store,
    blobs: BlobBackend,
    *,
    grace_seconds: float = DEFAULT_GRACE_SECONDS,
    dry_run: bool = False,
) -> Swept:
    cutoff = time.time() - grace_seconds
    swept = Swept()
    batch: list[StoredBlob] = []
    for found in blobs.listing():
        if found.modified > cutoff:
            swept.kept += 1
        elif found.name.startswith(TMP_PREFIX):
            _remove_temporary(blobs, found.name, dry_run, swept)
        else:
            batch.append(found)
            if len(batch) >= BATCH:
                _sweep_batch(store, blobs, batch, cutoff, dry_run, swept)
                batch = []
    _sweep_batch(store, blobs, batch, cutoff, dry_run, swept)
    return swept


def _sweep_batch(
    store: Store,
    blobs: BlobBackend,
    batch: list[StoredBlob],
    cutoff: float,
    dry_run: bool,
    swept: Swept,
) -> None:
    if not batch:
        return
    named = _named(store, [found.name for found in batch])
    for found in batch:
        if found.name in named:
            swept.kept += 1
        else:
            _remove(blobs, found.name, cutoff, dry_run, swept)


def _named(store: Store, names: list[str]) -> set[str]:
    """Which of these file names a row names."""
    with store.read() as uow:
        return names_in_use(uow.conn, names)


def _remove(blobs: BlobBackend, name: str, cutoff: float, dry_run: bool, swept: Swept) -> None:
    # Looked at again just before: an upload of the same bytes may have refreshed it.
    now = blobs.stat(name)
    if now is None or now.modified > cutoff:
        swept.kept += now is not None
        return
    _drop(lambda: blobs.delete(name), name, dry_run, swept)


def _remove_temporary(blobs: BlobBackend, name: str, dry_run: bool, swept: Swept) -> None:
    if isinstance(blobs, LocalBlobStore):  # only the disk has temporary files
        _drop(lambda: blobs.remove_temporary(name), name, dry_run, swept)


def _drop(delete: Callable[[], None], name: str, dry_run: bool, swept: Swept) -> None:
    if not dry_run:
        delete()
    swept.removed.append(name)
