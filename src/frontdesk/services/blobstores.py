"""The blob store the settings ask for: the local disk, or an S3-compatible bucket."""

from __future__ import annotations

from typing import TYPE_CHECKING

from frontdesk.settings import Settings
from frontdesk.storage.blobs import BlobBackend, LocalBlobStore

if TYPE_CHECKING:
    from frontdesk.storage.s3blobs import S3BlobStore


class BlobStoreConfigError(Exception):
    """The S3 settings are incomplete: said in one line at start-up, not at first upload."""


def build_blob_store(settings: Settings) -> BlobBackend:
    if settings.blob_store == "local":
        return LocalBlobStore(settings.blob_dir)
    return build_s3_store(settings)


def build_s3_store(settings: Settings) -> S3BlobStore:
    if not settings.s3_bucket:
        raise BlobStoreConfigError("FRONTDESK_S3_BUCKET is required for the S3 blob store")
    # Imported here: a deployment on the local disk never loads boto3.
    from frontdesk.storage.s3blobs import S3BlobStore, S3Location

    prefix = settings.s3_prefix.strip("/")
    return S3BlobStore(
        S3Location(
            bucket=settings.s3_bucket,
            endpoint_url=settings.s3_endpoint_url or None,
            region=settings.s3_region or None,
            access_key_id=settings.s3_access_key_id or None,
            secret_access_key=settings.s3_secret_access_key or None,
            prefix=f"{prefix}/" if prefix else "",
            multipart_bytes=settings.s3_multipart_bytes,
            presign_seconds=settings.s3_presign_seconds if settings.s3_presign else 0,
        )
    )
