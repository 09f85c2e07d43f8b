"""Removing attachment files that a deletion left unnamed, after its commit.

Files are removed only once the rows are gone for good (after the commit: a rolled-back
deletion must still find its files), and only when no row names them then. A file that was
stored again since the deletion began (its time refreshed by the store's `put`) may
belong to a transaction still running elsewhere: it is left, and the sweep (`frontdesk
blobs sweep`) removes it later if nothing came to name it. The file system stamps times
from a coarser clock than `time.time()`, so "since" has a margin of CLOCK_MARGIN seconds.
"""

from __future__ import annotations

from collections.abc import Sequence

from frontdesk.core.tickets import removal
from frontdesk.storage.blobs import BlobBackend
from frontdesk.storage.store import Store

CLOCK_MARGIN = 2.0


def remove_unused(
    store: Store, blobs: BlobBackend, names: Sequence[str], *, since: float
) -> list[str]:
    """Remove those of `names` no row names and nobody stored after `since` (epoch seconds);
    the names removed."""
    if not names:
        return []
    with store.read() as uow:
        unused = removal.unused_files(uow, names)
    removed = []
    for name in unused:
        found = blobs.stat(name)
        if found is not None and found.modified < since - CLOCK_MARGIN:
            blobs.delete(name)
            removed.append(name)
    return removed
