"""Copying the local disk's blobs into a bucket (`frontdesk blobs migrate`).

Resumable: a key already in the bucket with the local file's size is skipped. The key is
the content's sha256, so the same key and size is the same file, except for a copy that
was corrupted on the way; that is what verifying is for: each object copied is read back
and hashed, and one whose hash is not its name is deleted again (so that the next run
copies it anew) and reported. An interrupted run leaves no half object behind (a
multipart upload only becomes an object once it completes), so running it again is safe.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from frontdesk.storage.blobs import TMP_PREFIX, LocalBlobStore, StoredBlob

if TYPE_CHECKING:
    from frontdesk.storage.s3blobs import S3BlobStore


@dataclass
class Copied:
    copied: int = 0
    skipped: int = 0  # already in the bucket with the same size
    failed: list[str] = field(default_factory=list)  # read back with another hash


def blobs_to_copy(source: LocalBlobStore) -> list[StoredBlob]:
    """The local files, left-over temporary files aside (they are not blobs)."""
    return [found for found in source.listing() if not found.name.startswith(TMP_PREFIX)]


def copy_blobs(
    source: LocalBlobStore,
    target: S3BlobStore,
    files: list[StoredBlob],
    *,
    verify: bool = True,
    advance: Callable[[Copied], None] = lambda _copied: None,
) -> Copied:
    copied = Copied()
    # What the bucket holds, read once (a page per thousand keys), not a request per file.
    there = {stored.name: stored.size for stored in target.listing()}
    for found in files:
        if there.get(found.name) == found.size:
            copied.skipped += 1
        else:
            target.upload(found.name, source.path(found.name))
            if verify and not _intact(target, found.name):
                target.delete(found.name)
                copied.failed.append(found.name)
            else:
                copied.copied += 1
        advance(copied)
    return copied


def _intact(target: S3BlobStore, name: str) -> bool:
    digest = hashlib.sha256()
    for chunk in target.stream(name):
        digest.update(chunk)
    return digest.hexdigest() == name
