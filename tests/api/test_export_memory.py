"""A contact's GDPR export with a large file: the archive is written to a temporary file
with each file copied in chunks from the blob store (local disk and S3), so building it
costs far less memory than the file; the file in the zip is the stored file, byte for byte.
"""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
import zipfile

from frontdesk.api.native.archive import contact_archive
from frontdesk.core.people import gdpr
from frontdesk.core.tickets import NewMessage, NewTicket, attachments, open_ticket
from frontdesk.core.tickets.attachments import StoredFile
from frontdesk.services import Services
from frontdesk.storage.blobs import BlobBackend
from tests.conftest import Tenant

MIB = 1024 * 1024
FILE_BYTES = 20 * MIB


def _contact_with_a_large_file(
    services: Services, tenant: Tenant, blobs: BlobBackend, data: bytes
) -> int:
    """A ticket whose first message carries `data`; the requester's contact id."""
    name = blobs.put_stream(io.BytesIO(data))
    with services.store.write() as uow:
        stored = StoredFile("trace.bin", name, len(data), data[: attachments.SNIFF_BYTES])
        file = attachments.upload_stored(uow, tenant.actor, stored, limit=len(data))
        opened = open_ticket(
            uow,
            tenant.actor,
            NewTicket(
                subject="The crash dump",
                message=NewMessage(body_text="Attached.", attachment_ids=(file.id,)),
                requester_email=tenant.address("dana"),
            ),
        )
    assert opened.ticket.requester_id is not None
    return opened.ticket.requester_id


def test_the_export_copies_a_large_file_without_holding_it(
    services: Services, tenant: Tenant, blob_store: BlobBackend
) -> None:
    data = os.urandom(FILE_BYTES)
    contact_id = _contact_with_a_large_file(services, tenant, blob_store, data)
    with services.store.write() as uow:
        dossier = gdpr.gather(uow, tenant.actor, contact_id)
    tracemalloc.start()
    try:
        archive = contact_archive(dossier, blob_store, "https://desk.example")
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < FILE_BYTES // 4, f"building the archive peaked at {peak / MIB:.1f} MiB"
    archive.file.seek(0)
    with zipfile.ZipFile(archive.file) as zipped:
        [path] = [n for n in zipped.namelist() if n.startswith("files/")]
        with zipped.open(path) as entry:
            digest = hashlib.sha256()
            while chunk := entry.read(MIB):
                digest.update(chunk)
    assert path.endswith("-trace.bin")
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()
    archive.file.close()
