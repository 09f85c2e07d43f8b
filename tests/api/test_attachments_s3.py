"""Attachments through the native API with the S3 store (moto's S3 server on loopback):
uploaded into the bucket, downloaded streamed through Frontdesk or by presigned URL."""

from __future__ import annotations

import dataclasses
import hashlib
import os

import httpx2
import pytest
from fastapi.testclient import TestClient

from frontdesk.app import create_app
from frontdesk.services import Services
from frontdesk.storage.s3blobs import S3BlobStore
from tests.conftest import Tenant
from tests.s3 import location


def s3_client(services: Services, endpoint: str, presign_seconds: int = 0) -> TestClient:
    store = S3BlobStore(location(endpoint, presign_seconds=presign_seconds))
    return TestClient(create_app(services=dataclasses.replace(services, blobs=store)))


def upload(client: TestClient, tenant: Tenant, data: bytes, name: str = "report.pdf") -> int:
    made = client.post(
        "/api/v1/attachments",
        files={"attachment": (name, data, "application/pdf")},
        headers=tenant.headers(),
    )
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


@pytest.fixture
def streamed(services: Services, s3_server: str) -> TestClient:
    return s3_client(services, s3_server)


def test_an_upload_lands_in_the_bucket_and_streams_back(
    streamed: TestClient, tenant: Tenant
) -> None:
    data = b"%PDF-1.4\n" + os.urandom(200_000)
    file_id = upload(streamed, tenant, data)
    got = streamed.get(f"/api/v1/attachments/{file_id}", headers=tenant.headers())
    assert got.status_code == 200 and got.content == data
    assert got.headers["content-length"] == str(len(data))
    assert got.headers["content-disposition"].startswith('attachment; filename="report.pdf"')
    assert got.headers["x-content-type-options"] == "nosniff"
    name = hashlib.sha256(data).hexdigest()
    found = _store_of(streamed).stat(name)
    assert found is not None and found.size == len(data)


def test_another_accounts_file_is_a_404(
    streamed: TestClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    file_id = upload(streamed, tenant, b"private " + os.urandom(8))
    got = streamed.get(f"/api/v1/attachments/{file_id}", headers=other_tenant.headers())
    assert got.status_code == 404 and got.json()["error"]["code"] == "attachment_not_found"


def test_bytes_missing_from_the_bucket_are_a_clean_404(
    streamed: TestClient, tenant: Tenant
) -> None:
    data = b"gone " + os.urandom(8)
    file_id = upload(streamed, tenant, data)
    _store_of(streamed).delete(hashlib.sha256(data).hexdigest())
    got = streamed.get(f"/api/v1/attachments/{file_id}", headers=tenant.headers())
    assert got.status_code == 404 and got.json()["error"]["code"] == "blob_not_found"


def test_a_presigned_download_redirects_to_the_bucket(
    services: Services, s3_server: str, tenant: Tenant, other_tenant: Tenant
) -> None:
    client = s3_client(services, s3_server, presign_seconds=120)
    data = b"%PDF-1.4\n" + os.urandom(1000)
    file_id = upload(client, tenant, data, name="Q3 résumé.pdf")
    got = client.get(
        f"/api/v1/attachments/{file_id}", headers=tenant.headers(), follow_redirects=False
    )
    assert got.status_code == 307 and got.headers["cache-control"] == "no-store"
    url = got.headers["location"]
    assert url.startswith(s3_server) and "X-Amz-Expires=120" in url
    fetched = httpx2.get(url)
    assert fetched.status_code == 200 and fetched.content == data
    assert fetched.headers["content-type"] == "application/pdf"
    assert "Q3%20r%C3%A9sum%C3%A9.pdf" in fetched.headers["content-disposition"]
    # Authorisation is Frontdesk's, before any URL is signed.
    other = client.get(
        f"/api/v1/attachments/{file_id}", headers=other_tenant.headers(), follow_redirects=False
    )
    assert other.status_code == 404


def _store_of(client: TestClient) -> S3BlobStore:
    blobs = client.app.state.services.blobs  # type: ignore[attr-defined]
    assert isinstance(blobs, S3BlobStore)
    return blobs


def test_an_upload_over_the_limit_is_a_413_and_leaves_nothing(
    streamed: TestClient, tenant: Tenant
) -> None:
    limit = streamed.app.state.services.settings.max_attachment_bytes  # type: ignore[attr-defined]
    made = streamed.post(
        "/api/v1/attachments",
        files={"attachment": ("big.bin", os.urandom(limit + 1))},
        headers=tenant.headers(),
    )
    assert made.status_code == 413 and made.json()["error"]["code"] == "file_too_large"
    assert list(_store_of(streamed).listing()) == []


def test_a_streamed_upload_is_typed_from_its_bytes(streamed: TestClient, tenant: Tenant) -> None:
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(100_000)
    made = streamed.post(
        "/api/v1/attachments",
        files={"attachment": ("photo.txt", png, "text/plain")},
        headers=tenant.headers(),
    )
    assert made.status_code == 201, made.text
    assert (made.json()["content_type"], made.json()["size"]) == ("image/png", len(png))
