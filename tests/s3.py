"""moto's S3 server, started by the suite on a loopback port: a real HTTP S3 endpoint
(requests signed and sent over a socket by boto3), not moto's in-process mock.

A plugin of the suite (tests/conftest.py): the server starts the first time a test asks
for `s3_server` (the endpoint URL), `s3_location` (a fresh bucket of its own) or
`blob_store` (each store in turn: the local disk, then a fresh bucket).
"""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from frontdesk.storage.blobs import BlobBackend, LocalBlobStore
from frontdesk.storage.s3blobs import S3BlobStore, S3Location
from tests.conftest import unavailable

MIB = 1024 * 1024
STARTUP_SECONDS = 30.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """The endpoint URL of a moto S3 server for the whole run."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(endpoint, process)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_up(endpoint: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            unavailable(f"moto's S3 server exited with {process.returncode}")
        try:
            httpx2.get(endpoint, timeout=1.0)
            return
        except httpx2.TransportError:
            time.sleep(0.1)
    unavailable(f"moto's S3 server did not answer at {endpoint}")


def location(endpoint: str, **overrides: object) -> S3Location:
    """A fresh bucket on the server; smallest parts S3 allows, so 6 MiB is multipart."""
    bucket = f"frontdesk-{secrets.token_hex(6)}"
    fields: dict[str, object] = {
        "bucket": bucket,
        "endpoint_url": endpoint,
        "region": "us-east-1",
        "access_key_id": "test-key",
        "secret_access_key": "test-secret",
        "multipart_bytes": 5 * MIB,
    }
    fields.update(overrides)
    made = S3Location(**fields)  # type: ignore[arg-type]
    S3BlobStore(made).client.create_bucket(Bucket=bucket)
    return made


@pytest.fixture(params=["local", "s3"])
def blob_store(request: pytest.FixtureRequest, tmp_path: Path) -> BlobBackend:
    """Each of the two stores in turn: the local disk, then a fresh bucket."""
    if request.param == "local":
        return LocalBlobStore(tmp_path / "blobs")
    return S3BlobStore(location(request.getfixturevalue("s3_server")))


@pytest.fixture
def s3_location(s3_server: str) -> S3Location:
    return location(s3_server)
