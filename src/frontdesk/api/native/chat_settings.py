"""The account's chat widget settings (admins): team name, texts per language, colour,
position, and the inbox where messages left while nobody is online become tickets."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from frontdesk.api.native.deps import scoped
from frontdesk.api.native.schemas import DbId, Strict
from frontdesk.core import chat
from frontdesk.core.chat.records import ChatSettings
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.http.deps import services_of
from frontdesk.services import Services

router = APIRouter(prefix="/api/v1/chat", tags=["chat"])
admin = scoped(Scope.ADMIN)
Language = Literal["en", "sv"]


class TextsIn(Strict):
    greeting: str | None = Field(default=None, max_length=500)
    offline: str | None = Field(default=None, max_length=500)


class ChatSettingsPatch(Strict):
    team_name: str | None = Field(default=None, max_length=100)
    offline_inbox_id: DbId | None = None
    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    position: Literal["right", "left"] = "right"
    texts: dict[Language, TextsIn] | None = None


class TextsOut(BaseModel):
    greeting: str | None
    offline: str | None


class ChatSettingsOut(BaseModel):
    team_name: str | None
    offline_inbox_id: int | None
    color: str | None
    position: str
    texts: dict[str, TextsOut]


@router.get("/settings", response_model=ChatSettingsOut)
def get_settings(
    actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> ChatSettingsOut:
    with services.store.read() as uow:
        return _out(chat.chat_settings(uow, actor.account_id))


@router.patch("/settings", response_model=ChatSettingsOut)
def patch_settings(
    body: ChatSettingsPatch,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> ChatSettingsOut:
    given: dict[str, Any] = {name: getattr(body, name) for name in body.model_fields_set}
    if "texts" in given:
        texts = body.texts or {}
        given["texts"] = {
            language: words.model_dump(include=words.model_fields_set)
            for language, words in texts.items()
        }
    with services.store.write() as uow:
        return _out(chat.update_chat_settings(uow, actor, chat.SettingsChange(**given)))


def _out(record: ChatSettings) -> ChatSettingsOut:
    return ChatSettingsOut(
        team_name=record.team_name,
        offline_inbox_id=record.offline_inbox_id,
        color=record.color,
        position=record.position,
        texts={
            language: TextsOut(greeting=words.greeting, offline=words.offline)
            for language, words in record.texts
        },
    )
