"""The blob store's contract, held by both backends: the local disk and an S3 bucket
(moto's S3 server on loopback, tests/s3.py)."""

from __future__ import annotations

import hashlib
import io
import os
import time
import tracemalloc
from pathlib import Path

import httpx2
import pytest

from frontdesk.core.shared.errors import NotFound
from frontdesk.storage.blobs import BlobBackend, LocalBlobStore
from frontdesk.storage.s3blobs import S3BlobStore
from tests.s3 import MIB, location


class Trickle(io.RawIOBase):
    """A source that yields `size` pseudo-random bytes a chunk at a time, never all."""

    def __init__(self, size: int, seed: bytes = b"seed") -> None:
        self.left = size
        self.block = hashlib.sha256(seed).digest() * 2048  # 64 KiB
        self.digest = hashlib.sha256()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        size = min(len(buffer), self.left, len(self.block))
        buffer[:size] = self.block[:size]
        self.digest.update(self.block[:size])
        self.left -= size
        return size


def test_put_is_content_addressed_and_idempotent(blob_store: BlobBackend) -> None:
    name = blob_store.put(b"hello")
    assert name == hashlib.sha256(b"hello").hexdigest()
    assert blob_store.put(b"hello") == name
    assert blob_store.open(name) == b"hello"
    found = blob_store.stat(name)
    assert found is not None and found.size == 5
    assert [each.name for each in blob_store.listing()] == [name]


def test_the_local_layout_is_unchanged(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    name = store.put(b"hello")
    assert (tmp_path / name[:2] / name[2:4] / name).read_bytes() == b"hello"
    assert not list(tmp_path.rglob(".tmp-*"))


def test_s3_keys_are_the_local_layout(s3_server: str) -> None:
    store = S3BlobStore(location(s3_server, prefix="tenant-files/"))
    name = store.put(b"hello")
    listed = store.client.list_objects_v2(Bucket=store.location.bucket)
    assert [item["Key"] for item in listed["Contents"]] == [
        f"tenant-files/{name[:2]}/{name[2:4]}/{name}"
    ]


def test_a_stream_is_stored_and_read_back_in_chunks(blob_store: BlobBackend) -> None:
    """12 MiB, above the multipart threshold of the S3 store (5 MiB parts)."""
    source = Trickle(12 * MIB)
    name = blob_store.put_stream(source)
    assert name == source.digest.hexdigest()
    chunks = list(blob_store.stream(name))
    assert len(chunks) > 1 and max(len(chunk) for chunk in chunks) <= MIB
    assert hashlib.sha256(b"".join(chunks)).hexdigest() == name
    assert blob_store.put_stream(Trickle(12 * MIB)) == name  # the same bytes: one file
    assert len(list(blob_store.listing())) == 1


def test_a_large_stream_is_never_held_whole(blob_store: BlobBackend) -> None:
    """Storing and reading 32 MiB allocate far less than 32 MiB at any one time."""
    tracemalloc.start()
    try:
        name = blob_store.put_stream(Trickle(32 * MIB, b"large"))
        for _chunk in blob_store.stream(name):
            pass
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * MIB, f"peak {peak / MIB:.1f} MiB"


def test_missing_and_malformed_names_are_not_found(blob_store: BlobBackend) -> None:
    for name in ["../../etc/passwd", "a" * 64, "0" * 63, ""]:
        with pytest.raises(NotFound):
            blob_store.open(name)
        with pytest.raises(NotFound):
            blob_store.stream(name)
    assert blob_store.stat("a" * 64) is None


def test_delete(blob_store: BlobBackend) -> None:
    name = blob_store.put(b"bye")
    kept = blob_store.put(b"stay")
    blob_store.delete(name)
    with pytest.raises(NotFound):
        blob_store.open(name)
    assert blob_store.stat(name) is None
    assert [each.name for each in blob_store.listing()] == [kept]


def test_storing_again_renews_the_time(blob_store: BlobBackend) -> None:
    """What keeps gc away from an old file that an upload is about to name again."""
    name = blob_store.put(b"again " + os.urandom(8))
    first = blob_store.stat(name)
    assert first is not None
    time.sleep(1.1)  # S3 times are whole seconds
    blob_store.put_stream(io.BytesIO(blob_store.open(name)))
    second = blob_store.stat(name)
    assert second is not None and second.modified >= first.modified + 1
    assert blob_store.open(name).startswith(b"again ")


def test_downloads_stream_through_frontdesk_unless_presigned(blob_store: BlobBackend) -> None:
    name = blob_store.put(b"no url")
    assert blob_store.download_url(name, "a.txt", "text/plain") is None


def test_a_presigned_url_serves_the_file_as_an_attachment(s3_server: str) -> None:
    store = S3BlobStore(location(s3_server, presign_seconds=60))
    name = store.put(b"%PDF-1.4 report")
    url = store.download_url(name, "r\u00e9sum\u00e9 2024.pdf", "application/pdf")
    assert url is not None and "X-Amz-Expires=60" in url and "Signature" in url
    answer = httpx2.get(url)
    assert answer.status_code == 200 and answer.content == b"%PDF-1.4 report"
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert "r%C3%A9sum%C3%A9%202024.pdf" in answer.headers["content-disposition"]
    tampered = url.replace(name, hashlib.sha256(b"other").hexdigest())
    assert httpx2.get(tampered).status_code == 403
