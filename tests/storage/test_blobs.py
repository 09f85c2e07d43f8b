from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from frontdesk.core.shared.errors import NotFound
from frontdesk.storage.blobs import LocalBlobStore


def test_put_is_content_addressed_and_idempotent(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    name = store.put(b"hello")
    assert name == hashlib.sha256(b"hello").hexdigest()
    assert store.put(b"hello") == name
    assert store.open(name) == b"hello"
    assert (tmp_path / name[:2] / name[2:4] / name).exists()
    assert not list(tmp_path.rglob(".tmp-*"))


@pytest.mark.parametrize("name", ["../../etc/passwd", "a" * 64, "0" * 63, ""])
def test_names_that_are_not_digests_are_refused(tmp_path: Path, name: str) -> None:
    store = LocalBlobStore(tmp_path)
    with pytest.raises(NotFound):
        store.open(name)


def test_delete(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    name = store.put(b"bye")
    store.delete(name)
    with pytest.raises(NotFound):
        store.open(name)
