"""The web app's attachment downloads with the S3 store (moto's S3 server on loopback):
streamed from the bucket with the stored size; another account's file is a 404."""

from __future__ import annotations

import dataclasses
import os

from frontdesk.app import create_app
from frontdesk.core.tickets import attachments
from frontdesk.services import Services
from frontdesk.storage.s3blobs import S3BlobStore
from tests.conftest import Tenant
from tests.s3 import location
from tests.web.helpers import make_desk, signed_in


def test_an_agent_downloads_a_file_streamed_from_the_bucket(
    services: Services, tenant: Tenant, other_tenant: Tenant, s3_server: str
) -> None:
    store = S3BlobStore(location(s3_server))
    on_s3 = dataclasses.replace(services, blobs=store)
    app = create_app(services=on_s3)
    desk, other = make_desk(on_s3, tenant), make_desk(on_s3, other_tenant)
    ticket = desk.ticket()
    data = b"%PDF-1.4\n" + os.urandom(300_000)
    with services.store.write() as uow:
        file = attachments.upload(
            uow, store, tenant.actor, attachments.Upload("invoice.pdf", data, ticket.id), 10**6
        )
    client = signed_in(app, desk.agent.email)
    download = client.get(f"/tickets/{ticket.id}/attachments/{file.id}")
    assert download.status_code == 200 and download.content == data
    assert download.headers["content-length"] == str(len(data))
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["content-type"] == "application/octet-stream"
    stranger = signed_in(app, other.agent.email)
    assert stranger.get(f"/tickets/{ticket.id}/attachments/{file.id}").status_code == 404
