"""Attachment bytes in an S3-compatible bucket (AWS S3, MinIO, Ceph, Garage, ...).

Keys are the local disk's relative paths (`ab/cd/<sha256>`, after an optional prefix).
Uploads are multipart above `multipart_bytes`, so no part larger than that is ever held;
a multipart upload that is interrupted never becomes an object (S3 only publishes a key
once the upload completes), so a reader, `blobs migrate` and `blobs gc` never see half a
file. boto3 is imported here only, and this module only when the S3 store is configured.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from frontdesk.core.shared.errors import NotFound
from frontdesk.storage.blobs import (
    CHUNK,
    Readable,
    StoredBlob,
    check_name,
    is_name,
    key_of,
    spool,
)

MISSING = frozenset({"404", "NoSuchKey", "NotFound"})


@dataclass(frozen=True)
class S3Location:
    bucket: str
    endpoint_url: str | None = None  # None: AWS itself
    region: str | None = None
    access_key_id: str | None = None  # None: boto3's own chain (environment, instance role)
    secret_access_key: str | None = field(default=None, repr=False)
    prefix: str = ""
    multipart_bytes: int = 8 * 1024 * 1024
    presign_seconds: int = 0  # 0: downloads stream through Frontdesk


class S3BlobStore:
    def __init__(self, location: S3Location) -> None:
        self.location = location
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=location.endpoint_url,
            region_name=location.region,
            aws_access_key_id=location.access_key_id,
            aws_secret_access_key=location.secret_access_key,
            # SigV4: what every current S3-compatible service accepts, presigned URLs too.
            config=Config(
                signature_version="s3v4", retries={"mode": "standard", "max_attempts": 5}
            ),
        )
        self.transfer = TransferConfig(
            multipart_threshold=location.multipart_bytes,
            multipart_chunksize=location.multipart_bytes,
            max_concurrency=2,
        )

    def key(self, name: str) -> str:
        return self.location.prefix + key_of(check_name(name))

    def put(self, data: bytes) -> str:
        name = hashlib.sha256(data).hexdigest()
        if not self._refreshed(name):
            self.client.upload_fileobj(
                io.BytesIO(data), self.location.bucket, self.key(name), Config=self.transfer
            )
        return name

    def put_stream(self, source: Readable) -> str:
        """The key is the content's hash, known only at the end: the bytes are spooled to a
        temporary file on the local disk (hashed on the way), then uploaded from it."""
        with tempfile.NamedTemporaryFile(prefix="frontdesk-upload-") as spooled:
            name = spool(source, spooled)
            spooled.flush()
            if not self._refreshed(name):
                self.upload(name, Path(spooled.name))
        return name

    def upload(self, name: str, path: Path) -> None:
        """Upload a file under `name`, part by part as each is sent: boto3 reads a file
        named by its path lazily, where a file object's parts would each be read into
        memory first (several at once)."""
        self.client.upload_file(
            str(path), self.location.bucket, self.key(name), Config=self.transfer
        )

    def _refreshed(self, name: str) -> bool:
        if self.stat(name) is None:
            return False
        self._refresh(name)
        return True

    def _refresh(self, name: str) -> None:
        """Fresh again, as the disk's utime: `blobs gc` leaves young objects alone, and a
        row is about to name this one. Copying an object onto itself (metadata replaced,
        which S3 requires of a self-copy) renews its LastModified."""
        key = self.key(name)
        self.client.copy_object(
            Bucket=self.location.bucket,
            Key=key,
            CopySource={"Bucket": self.location.bucket, "Key": key},
            MetadataDirective="REPLACE",
        )

    def open(self, name: str) -> bytes:
        return b"".join(self.stream(name))

    def stream(self, name: str) -> Iterator[bytes]:
        """The request is made now (a missing object is NotFound before a response starts);
        the body is read a chunk at a time as the caller iterates."""
        try:
            found = self.client.get_object(Bucket=self.location.bucket, Key=self.key(name))
        except ClientError as exc:
            if _missing(exc):
                raise NotFound("blob_not_found", "The file's bytes are missing") from exc
            raise
        return _chunks(found["Body"])

    def delete(self, name: str) -> None:
        self.client.delete_object(Bucket=self.location.bucket, Key=self.key(name))

    def stat(self, name: str) -> StoredBlob | None:
        try:
            found = self.client.head_object(Bucket=self.location.bucket, Key=self.key(name))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        return StoredBlob(name, int(found["ContentLength"]), found["LastModified"].timestamp())

    def listing(self) -> Iterator[StoredBlob]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.location.bucket, Prefix=self.location.prefix
        )
        for page in pages:
            for item in page.get("Contents", []):
                key = str(item["Key"])
                name = key.rsplit("/", 1)[-1]
                # Only Frontdesk's own keys: anything else in a shared bucket is not ours
                # to list, copy or collect.
                if is_name(name) and key == self.location.prefix + key_of(name):
                    yield StoredBlob(name, int(item["Size"]), item["LastModified"].timestamp())

    def download_url(self, name: str, filename: str, content_type: str) -> str | None:
        """A short-lived presigned URL when configured; it carries the same download
        headers Frontdesk sends itself (always an attachment, the stored content type)."""
        if self.location.presign_seconds <= 0:
            return None
        disposition = f"attachment; filename*=UTF-8''{quote(filename)}"
        url: str = self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.location.bucket,
                "Key": self.key(name),
                "ResponseContentDisposition": disposition,
                "ResponseContentType": content_type,
            },
            ExpiresIn=self.location.presign_seconds,
        )
        return url


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code", "")) in MISSING


def _chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()
