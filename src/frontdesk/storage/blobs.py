"""Attachment bytes addressed by sha256: the interface, and the local disk (the default).

Every store keeps a file under the same relative key, `ab/cd/<sha256>`, so that a copy
from one store to another (`frontdesk blobs migrate`) is a copy of keys. The S3-compatible
store is in storage/s3blobs.py; services/blobstores.py picks one from the settings.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from frontdesk.core.shared.errors import NotFound

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
TMP_PREFIX = ".tmp-"
CHUNK = 1024 * 1024  # read and hashed a chunk at a time: no whole file in memory


@dataclass(frozen=True)
class StoredBlob:
    name: str  # the sha256, or a left-over temporary file's name (local disk)
    size: int
    modified: float  # when it was last stored (epoch seconds)


class BlobBackend(Protocol):
    """What the services, the routes and the `blobs` commands use of a store."""

    def put(self, data: bytes) -> str: ...

    def put_stream(self, source: Readable) -> str: ...

    def open(self, name: str) -> bytes: ...

    def stream(self, name: str) -> Iterator[bytes]: ...

    def delete(self, name: str) -> None: ...

    def stat(self, name: str) -> StoredBlob | None: ...

    def listing(self) -> Iterator[StoredBlob]: ...

    def download_url(self, name: str, filename: str, content_type: str) -> str | None: ...


class Readable(Protocol):
    """What a streamed put reads from: a file, or anything with read(size)."""

    def read(self, size: int = -1, /) -> bytes: ...


def is_name(name: str) -> bool:
    return bool(_DIGEST.match(name))


def check_name(name: str) -> str:
    """A name is a sha256 in hex; anything else (a path, a typo) is simply not there."""
    if not _DIGEST.match(name):
        raise NotFound("blob_not_found", "No such file")
    return name


def key_of(name: str) -> str:
    """The relative key every store files a blob under."""
    return f"{name[:2]}/{name[2:4]}/{name}"


def spool(source: Readable, target: IO[bytes]) -> str:
    """Copy source to target a chunk at a time; the sha256 of what was copied."""
    digest = hashlib.sha256()
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        target.write(chunk)
    return digest.hexdigest()


class LocalBlobStore:
    """`<root>/ab/cd/<sha256>`: names come from the content, never from a client."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, name: str) -> Path:
        return self.root / key_of(check_name(name))

    def put(self, data: bytes) -> str:
        name = hashlib.sha256(data).hexdigest()
        if self._refreshed(self.path(name)):
            return name
        return self.put_stream(io.BytesIO(data))

    def put_stream(self, source: Readable) -> str:
        """Store what `source` yields. Its name is known only at the end, so the bytes go to
        a temporary file (0600, from mkstemp) under the root first, renamed into place once
        on disk: a reader never sees half a file, and a full disk fails here, before any
        row names the file; the temporary file goes."""
        self._private_dirs(self.root)
        names: list[str] = []
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=TMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as handle:
                names.append(spool(source, handle))
                handle.flush()
                os.fsync(handle.fileno())
            path = self.path(names[0])
            if self._refreshed(path):
                Path(tmp).unlink()
                return names[0]
            self._private_dirs(path.parent)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return names[0]

    def _refreshed(self, path: Path) -> bool:
        if not path.exists():
            return False
        # Fresh again: the sweep leaves young files alone, and a row is about to use it.
        os.utime(path)
        return True

    def _private_dirs(self, directory: Path) -> None:
        """The root and its two levels, each 0700 whatever the umask."""
        missing = []
        while directory != self.root.parent and not directory.is_dir():
            missing.append(directory)
            directory = directory.parent
        for each in reversed(missing):
            with contextlib.suppress(FileExistsError):  # another writer made it first
                each.mkdir(mode=0o700)

    def open(self, name: str) -> bytes:
        path = self.path(name)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFound("blob_not_found", "The file's bytes are missing") from exc

    def stream(self, name: str) -> Iterator[bytes]:
        """Opened now (a missing file is NotFound before a response starts), read lazily."""
        path = self.path(name)
        try:
            handle = path.open("rb")
        except FileNotFoundError as exc:
            raise NotFound("blob_not_found", "The file's bytes are missing") from exc
        return _chunks(handle)

    def delete(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def stat(self, name: str) -> StoredBlob | None:
        try:
            found = self.path(name).stat()
        except FileNotFoundError:
            return None
        return StoredBlob(name, found.st_size, found.st_mtime)

    def listing(self) -> Iterator[StoredBlob]:
        """Every file under the root, temporary files included (a crash's left-overs)."""
        if not self.root.is_dir():
            return
        for path in [*self.root.glob(f"{TMP_PREFIX}*"), *self.root.glob("??/??/*")]:
            if not (is_name(path.name) or path.name.startswith(TMP_PREFIX)):
                continue  # not a file Frontdesk wrote: never collected
            with contextlib.suppress(FileNotFoundError):  # removed meanwhile
                found = path.stat()
                yield StoredBlob(path.name, found.st_size, found.st_mtime)

    def remove_temporary(self, name: str) -> None:
        """A left-over temporary file, wherever listing() found it."""
        for path in [self.root / name, *self.root.glob(f"??/??/{name}")]:
            if path.name.startswith(TMP_PREFIX):
                path.unlink(missing_ok=True)

    def download_url(self, name: str, filename: str, content_type: str) -> str | None:
        """The disk has no URL of its own: downloads stream through Frontdesk."""
        return None


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk
