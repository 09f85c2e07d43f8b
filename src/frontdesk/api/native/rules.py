"""Triggers, time rules and macros in the native API (`/api/v1/rules`), and applying a
macro to a ticket (`POST /api/v1/tickets/{id}/macros/{macro_id}`).

Defining rules needs `admin`; listing macros needs `tickets:read` (agents choose one);
applying one needs `tickets:write`. Conditions and actions: docs/automation.md.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from frontdesk.api.native.deps import scoped
from frontdesk.api.native.schemas import Strict
from frontdesk.core.rules import define, macros
from frontdesk.core.rules.define import RuleFields
from frontdesk.core.rules.records import Action, Condition, Match, Rule, RuleKind, Value
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.http.deps import PathId, services_of
from frontdesk.services import Services

router = APIRouter(prefix="/api/v1", tags=["rules"])
reader = scoped(Scope.TICKETS_READ)
writer = scoped(Scope.TICKETS_WRITE)
admin = scoped(Scope.ADMIN)

Kind = Literal["trigger", "time_rule", "macro"]
ValueIn = bool | int | str | list[str]


class ConditionIn(Strict):
    subject: str = Field(max_length=200, examples=["labels"])
    operator: str = Field(max_length=40, examples=["has"])
    value: ValueIn = Field(default="", examples=[["billing"]])


class ActionIn(Strict):
    kind: str = Field(max_length=40, examples=["assign"])
    value: ValueIn = Field(default="", examples=["7"])


class RuleIn(Strict):
    kind: Kind = "trigger"
    name: str = Field(max_length=400, examples=["Billing to Maja"])
    match: Literal["all", "any"] = "all"
    conditions: list[ConditionIn] = Field(default_factory=list, max_length=define.MAX_PARTS)
    actions: list[ActionIn] = Field(default_factory=list, max_length=define.MAX_PARTS)
    reply: str = Field(default="", max_length=define.MAX_REPLY * 2)
    active: bool = True


class OrderIn(Strict):
    kind: Kind
    ids: list[int] = Field(max_length=10_000)


class ConditionOut(BaseModel):
    subject: str
    operator: str
    value: ValueIn


class ActionOut(BaseModel):
    kind: str
    value: ValueIn


class RuleOut(BaseModel):
    id: int
    kind: Kind
    name: str
    position: int
    active: bool
    match: Literal["all", "any"]
    conditions: list[ConditionOut]
    actions: list[ActionOut]
    reply: str
    created: int
    updated: int


def _value(value: ValueIn) -> Value:
    return tuple(value) if isinstance(value, list) else value


def _plain(value: Value) -> ValueIn:
    return list(value) if isinstance(value, tuple) else value


def _fields(body: RuleIn) -> RuleFields:
    return RuleFields(
        name=body.name,
        match=Match(body.match),
        conditions=tuple(
            Condition(c.subject, c.operator, _value(c.value)) for c in body.conditions
        ),
        actions=tuple(Action(a.kind, _value(a.value)) for a in body.actions),
        reply=body.reply,
        active=body.active,
    )


def _out(rule: Rule) -> RuleOut:
    return RuleOut(
        id=rule.id,
        kind=rule.kind.value,
        name=rule.name,
        position=rule.position,
        active=rule.active,
        match=rule.match.value,
        conditions=[ConditionOut(subject=c.subject, operator=c.operator, value=_plain(c.value))
                    for c in rule.conditions],
        actions=[ActionOut(kind=a.kind, value=_plain(a.value)) for a in rule.actions],
        reply=rule.reply,
        created=rule.created,
        updated=rule.updated,
    )  # fmt: skip


@router.get("/rules", response_model=list[RuleOut])
def list_rules(
    kind: Kind = Query("trigger"),
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> list[RuleOut]:
    with services.store.read() as uow:
        return [_out(rule) for rule in define.list_rules(uow, actor, RuleKind(kind))]


@router.post("/rules", response_model=RuleOut, status_code=201)
def create_rule(
    body: RuleIn, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> RuleOut:
    with services.store.write() as uow:
        return _out(define.create_rule(uow, actor, RuleKind(body.kind), _fields(body)))


@router.put("/rules/order", response_model=list[RuleOut])
def reorder_rules(
    body: OrderIn, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> list[RuleOut]:
    with services.store.write() as uow:
        return [_out(rule) for rule in define.reorder(uow, actor, RuleKind(body.kind), body.ids)]


@router.get("/rules/{rule_id}", response_model=RuleOut)
def get_rule(
    rule_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> RuleOut:
    with services.store.read() as uow:
        return _out(define.get_rule(uow, actor, rule_id))


@router.put("/rules/{rule_id}", response_model=RuleOut)
def update_rule(
    rule_id: PathId,
    body: RuleIn,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> RuleOut:
    with services.store.write() as uow:
        return _out(define.update_rule(uow, actor, rule_id, _fields(body)))


@router.delete("/rules/{rule_id}", status_code=204)
def delete_rule(
    rule_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> Response:
    with services.store.write() as uow:
        define.delete_rule(uow, actor, rule_id)
    return Response(status_code=204)


@router.get("/macros", response_model=list[RuleOut])
def list_macros(
    actor: Actor = Depends(reader), services: Services = Depends(services_of)
) -> list[RuleOut]:
    with services.store.read() as uow:
        return [_out(rule) for rule in define.list_rules(uow, actor, RuleKind.MACRO) if rule.active]


class Applied(BaseModel):
    ticket_id: int
    status: str
    version: int


@router.post("/tickets/{ticket_id}/macros/{macro_id}", response_model=Applied)
def apply_macro(
    ticket_id: PathId,
    macro_id: PathId,
    actor: Actor = Depends(writer),
    services: Services = Depends(services_of),
) -> Applied:
    with services.store.write() as uow:
        ticket = macros.apply_macro(uow, actor, ticket_id, macro_id)
    return Applied(ticket_id=ticket.id, status=ticket.status.value, version=ticket.version)
