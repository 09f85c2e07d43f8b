"""An inbox's own outbound relay and its OAuth 2 grant (XOAUTH2 for IMAP and the relay).

Secrets (the relay password, the client secret, the refresh token) are write-only: the
answers say whether one is stored, never what it is.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from frontdesk.api.native.deps import scoped
from frontdesk.api.native.schemas import Strict
from frontdesk.core import mail
from frontdesk.core.mail.records import InboxRelay, OAuthGrant
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.http.deps import PathId, services_of
from frontdesk.services import Services, sealing
from frontdesk.services.sealing import OAUTH_GRANT, RELAY_LOGIN

router = APIRouter(prefix="/api/v1", tags=["mail"])
admin = scoped(Scope.ADMIN)


class RelayIn(Strict):
    host: str = Field(min_length=1, max_length=255)
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["none", "starttls", "tls"] = "starttls"
    auth: Literal["none", "password", "oauth2"] = "password"
    username: str = Field(default="", max_length=320)
    password: str | None = Field(default=None, max_length=1000)  # omitted: keep the stored one


class RelayOut(BaseModel):
    inbox_id: int
    host: str
    port: int
    security: str
    auth: str
    username: str
    password_set: bool
    updated: int


class OAuthIn(Strict):
    token_url: str = Field(min_length=1, max_length=2000)
    client_id: str = Field(min_length=1, max_length=500)
    scope: str = Field(default="", max_length=1000)
    client_secret: str | None = Field(default=None, max_length=1000)  # omitted: keep
    refresh_token: str | None = Field(default=None, max_length=10_000)  # omitted: keep


class OAuthOut(BaseModel):
    """The grant's state: when a token was last had, and why not, if it was refused."""

    inbox_id: int
    token_url: str
    client_id: str
    scope: str
    client_secret_set: bool
    refresh_token_set: bool
    access_expires: int | None
    last_refreshed: int | None
    last_error: str | None
    updated: int


def _relay(record: InboxRelay) -> RelayOut:
    return RelayOut(
        inbox_id=record.inbox_id,
        host=record.host,
        port=record.port,
        security=record.security,
        auth=record.auth,
        username=record.username,
        password_set=bool(record.password),
        updated=record.updated,
    )


def _oauth(record: OAuthGrant) -> OAuthOut:
    return OAuthOut(
        inbox_id=record.inbox_id,
        token_url=record.token_url,
        client_id=record.client_id,
        scope=record.scope,
        client_secret_set=bool(record.client_secret),
        refresh_token_set=bool(record.refresh_token),
        access_expires=record.access_expires,
        last_refreshed=record.last_refreshed,
        last_error=record.last_error,
        updated=record.updated,
    )


@router.get("/inboxes/{inbox_id}/relay", response_model=RelayOut)
def get_relay(
    inbox_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> RelayOut:
    with services.store.read() as uow:
        return _relay(mail.get_relay(uow, actor, inbox_id))


@router.put("/inboxes/{inbox_id}/relay", response_model=RelayOut)
def put_relay(
    inbox_id: PathId,
    body: RelayIn,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> RelayOut:
    seal = sealing.sealer(services.settings.secret_key, RELAY_LOGIN)
    with services.store.write() as uow:
        fields = mail.RelayFields(**body.model_dump())
        return _relay(mail.set_relay(uow, actor, inbox_id, fields, seal=seal))


@router.delete("/inboxes/{inbox_id}/relay", status_code=204)
def delete_relay(
    inbox_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> Response:
    with services.store.write() as uow:
        mail.remove_relay(uow, actor, inbox_id)
    return Response(status_code=204)


@router.get("/inboxes/{inbox_id}/oauth", response_model=OAuthOut)
def get_oauth(
    inbox_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> OAuthOut:
    with services.store.read() as uow:
        return _oauth(mail.get_oauth(uow, actor, inbox_id))


@router.put("/inboxes/{inbox_id}/oauth", response_model=OAuthOut)
def put_oauth(
    inbox_id: PathId,
    body: OAuthIn,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> OAuthOut:
    seal = sealing.sealer(services.settings.secret_key, OAUTH_GRANT)
    with services.store.write() as uow:
        fields = mail.OAuthFields(**body.model_dump())
        return _oauth(mail.set_oauth(uow, actor, inbox_id, fields, seal=seal))


@router.delete("/inboxes/{inbox_id}/oauth", status_code=204)
def delete_oauth(
    inbox_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> Response:
    with services.store.write() as uow:
        mail.remove_oauth(uow, actor, inbox_id)
    return Response(status_code=204)
