"""`blobs gc` on both stores and both databases: files no row names go once older than the
grace period; a file an upload has written but not yet named (its transaction still
open) survives a gc that runs meanwhile."""

from __future__ import annotations

import os
import threading
import time

from frontdesk.core.tickets import attachments
from frontdesk.services import Services
from frontdesk.storage.blobs import BlobBackend
from frontdesk.storage.s3blobs import S3BlobStore
from frontdesk.storage.sweep import sweep_blobs
from tests.conftest import Tenant
from tests.s3 import location

GRACE = 2.0  # seconds: short, so that an orphan grows old within the test


def test_gc_removes_old_orphans_and_spares_an_upload_in_flight(
    services: Services, tenant: Tenant, blob_store: BlobBackend
) -> None:
    named = blob_store.put(b"named by an attachment " + os.urandom(8))
    with services.store.write() as uow:
        kept = attachments.upload(
            uow,
            blob_store,
            tenant.actor,
            attachments.Upload("a.txt", blob_store.open(named)),
            10_000,
        )
    orphan = blob_store.put(b"left by a failed write " + os.urandom(8))
    time.sleep(GRACE + 1.1)  # both are old now (S3 times are whole seconds)

    # An upload in another thread: its bytes are stored, its row is not committed yet.
    written, release = threading.Event(), threading.Event()
    in_flight: list[str] = []

    def upload() -> None:
        with services.store.write() as uow:
            record = attachments.upload(
                uow, blob_store, tenant.actor, attachments.Upload("b.txt", os.urandom(64)), 10_000
            )
            in_flight.append(record.stored_name)
            written.set()
            release.wait(30)

    uploader = threading.Thread(target=upload)
    uploader.start()
    try:
        assert written.wait(30)
        swept = sweep_blobs(services.store, blob_store, grace_seconds=GRACE)
    finally:
        release.set()
        uploader.join(30)

    assert swept.removed == [orphan]
    assert blob_store.stat(orphan) is None
    assert blob_store.open(kept.stored_name).startswith(b"named by an attachment ")
    (racing,) = in_flight
    assert blob_store.stat(racing) is not None  # written just before gc: it survived
    with services.store.read() as uow:
        _record, data = attachments.read(uow, blob_store, tenant.actor, kept.id)
    assert data.startswith(b"named")

    # Committed now, and named: even a gc without any grace keeps it.
    again = sweep_blobs(services.store, blob_store, grace_seconds=0)
    assert again.removed == [] and blob_store.stat(racing) is not None


def test_a_dry_run_removes_nothing(services: Services, blob_store: BlobBackend) -> None:
    orphan = blob_store.put(b"orphan " + os.urandom(8))
    time.sleep(1.1)
    dry = sweep_blobs(services.store, blob_store, grace_seconds=0, dry_run=True)
    assert dry.removed == [orphan] and blob_store.stat(orphan) is not None


def test_an_orphan_stored_again_is_young_again(services: Services, blob_store: BlobBackend) -> None:
    """An upload of bytes an old orphan already has renews it: gc leaves it alone."""
    data = b"uploaded twice " + os.urandom(8)
    orphan = blob_store.put(data)
    time.sleep(GRACE + 1.1)
    blob_store.put(data)
    swept = sweep_blobs(services.store, blob_store, grace_seconds=GRACE)
    assert swept.removed == [] and blob_store.stat(orphan) is not None


def test_objects_that_are_not_blobs_are_never_collected(services: Services, s3_server: str) -> None:
    """A shared bucket: other keys, and keys under the prefix not in Frontdesk's layout."""
    store = S3BlobStore(location(s3_server, prefix="frontdesk/"))
    bucket = store.location.bucket
    foreign = ["backups/db.dump", "frontdesk/readme.txt", f"frontdesk/{'a' * 64}"]
    for key in foreign:
        store.client.put_object(Bucket=bucket, Key=key, Body=b"not ours")
    orphan = store.put(b"orphan " + os.urandom(8))
    time.sleep(1.1)
    swept = sweep_blobs(services.store, store, grace_seconds=0)
    assert swept.removed == [orphan]
    listed = store.client.list_objects_v2(Bucket=bucket)
    assert sorted(item["Key"] for item in listed["Contents"]) == sorted(foreign)
