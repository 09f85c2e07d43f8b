"""Attachment bytes on the local disk, addressed by sha256 (the embedded default)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

from frontdesk.core.shared.errors import NotFound

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
TMP_PREFIX = ".tmp-"


class LocalBlobStore:
    """`<root>/ab/cd/<sha256>`: names come from the content, never from a client."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, name: str) -> Path:
        if not _DIGEST.match(name):
            raise NotFound("blob_not_found", "No such file")
        return self.root / name[:2] / name[2:4] / name

    def put(self, data: bytes) -> str:
        name = hashlib.sha256(data).hexdigest()
        path = self._path(name)
        if path.exists():
            # Fresh again: the sweep leaves young files alone, and a row is about to use it.
            os.utime(path)
            return name
        self._private_dirs(path.parent)
        # Write aside, then rename: a reader never sees half a file. mkstemp makes it 0600.
        # A full disk fails here, before any row names the file; the temporary file goes.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=TMP_PREFIX)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return name

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
        path = self._path(name)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFound("blob_not_found", "The file's bytes are missing") from exc

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def modified(self, name: str) -> float | None:
        """When the file was last stored (epoch seconds); None when there is none."""
        try:
            return self._path(name).stat().st_mtime
        except FileNotFoundError:
            return None

    def stored(self) -> Iterator[tuple[str, Path]]:
        """Every file under the root: (name, path), temporary files included."""
        if not self.root.is_dir():
            return
        for path in self.root.glob("??/??/*"):
            if path.is_file():
                yield path.name, path
