"""Attachment bytes on the local disk, addressed by sha256 (the embedded default)."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from frontdesk.core.shared.errors import NotFound

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


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
            return name
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write aside, then rename: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
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

    def open(self, name: str) -> bytes:
        path = self._path(name)
        try:
            return path.read_bytes()
        except FileNotFoundError as exc:
            raise NotFound("blob_not_found", "The file's bytes are missing") from exc

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)
