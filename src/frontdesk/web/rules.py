"""Triggers, time rules and macros in the web app (`/settings/rules/triggers`,
`/settings/rules/time-rules`, `/settings/rules/macros`), and an agent applying a macro on
the ticket page.

A rule's form has a fixed number of condition and action rows (blank rows are ignored),
so it works without script. A refused rule is shown again with the core's message.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData
from starlette.responses import Response

from frontdesk.core.identity import accounts
from frontdesk.core.identity.sessions import SignedIn
from frontdesk.core.rules import conditions, define, macros
from frontdesk.core.rules.actions import ACTIONS
from frontdesk.core.rules.define import RuleFields
from frontdesk.core.rules.records import Action, Condition, Match, Rule, RuleKind, Value
from frontdesk.core.shared.errors import DomainError, NotFound
from frontdesk.core.tickets import taxonomy
from frontdesk.http.deps import PathId, services_from
from frontdesk.web import session
from frontdesk.web.forms import form_id
from frontdesk.web.i18n import N_, gettext
from frontdesk.web.security import web_router
from frontdesk.web.settings.area import settings_area
from frontdesk.web.templating import render

router = web_router()
Signed = Annotated[SignedIn, Depends(session.signed_in)]
ROWS = 3  # condition and action rows a form offers beyond those a rule has

KINDS = {"triggers": RuleKind.TRIGGER, "time-rules": RuleKind.TIME_RULE, "macros": RuleKind.MACRO}
TITLES = {"triggers": N_("Triggers"), "time-rules": N_("Time rules"), "macros": N_("Macros")}
SUBJECTS = {
    "event": N_("Event"), "inbox": N_("Inbox id"), "channel": N_("Channel"),
    "status": N_("Status"), "priority": N_("Priority"), "labels": N_("Labels"),
    "tags": N_("Tags"), "requester": N_("Requester address"),
    "requester_domain": N_("Requester domain"), "subject": N_("Subject"),
    "body": N_("Message text"), "business_hours": N_("Within business hours"),
    "assigned": N_("Assigned"), "status_minutes": N_("Minutes in this status"),
    "unassigned_minutes": N_("Minutes unassigned"), "age_minutes": N_("Minutes since opened"),
    "sla.due_minutes": N_("SLA: minutes until the next target is due"),
    "sla.first_response_due_minutes": N_("SLA: minutes until first response is due"),
    "sla.next_response_due_minutes": N_("SLA: minutes until next response is due"),
    "sla.resolution_due_minutes": N_("SLA: minutes until resolution is due"),
    "sla.breached": N_("SLA breached"),
}  # fmt: skip
OPERATORS = {
    "is": N_("is"), "is_not": N_("is not"), "has": N_("has all of"),
    "has_any": N_("has any of"), "has_not": N_("has none of"), "contains": N_("contains"),
    "not_contains": N_("does not contain"), "at_least": N_("at least"),
    "at_most": N_("at most"), "present": N_("is set"), "absent": N_("is empty"),
    "greater": N_("is greater than"), "less": N_("is less than"),
}  # fmt: skip
ACTION_NAMES = {
    "set_status": N_("Set status"), "set_priority": N_("Set priority"),
    "add_labels": N_("Add labels"), "remove_labels": N_("Remove labels"),
    "add_tags": N_("Add tags"), "remove_tags": N_("Remove tags"),
    "set_field": N_("Set field (name, value)"), "assign": N_("Assign to agent id"),
    "assign_fairly": N_("Assign fairly"), "unassign": N_("Unassign"),
    "note": N_("Add internal note"), "reply": N_("Reply to requester"),
    "notify": N_("Notify agent ids"), "webhook": N_("Call webhook id"),
}  # fmt: skip


def _kind(kind_path: str) -> RuleKind:
    if kind_path not in KINDS:
        raise NotFound("page_not_found", "No such page")
    return KINDS[kind_path]


def _value(text: str) -> Value:
    """A typed value: words with commas become a list, one word stays one."""
    parts = [part.strip() for part in text.split(",") if part.strip()]
    return tuple(parts) if len(parts) > 1 else (parts[0] if parts else "")


def _shown(value: Value) -> str:
    return ", ".join(value) if isinstance(value, tuple) else str(value)


def _fields(form: FormData) -> RuleFields:
    def text(name: str) -> str:
        value = form.get(name, "")
        return value if isinstance(value, str) else ""

    rows = range(int(text("rows") or 0) if text("rows").isdigit() else 0)
    found_conditions = [
        Condition(text(f"cs{i}"), text(f"co{i}"), _value(text(f"cv{i}")))
        for i in rows
        if text(f"cs{i}")
    ]
    found_actions = [Action(text(f"ak{i}"), _value(text(f"av{i}"))) for i in rows if text(f"ak{i}")]
    return RuleFields(
        name=text("name"),
        match=Match.ANY if text("match") == "any" else Match.ALL,
        conditions=tuple(found_conditions),
        actions=tuple(found_actions),
        reply=text("reply"),
        active=text("active") == "on",
    )


def _context(request: Request, signed: SignedIn, kind_path: str, editing: Rule | None,
             fields: RuleFields | None, error: str = "") -> dict[str, Any]:  # fmt: skip
    kind = _kind(kind_path)
    with services_from(request).store.read() as uow:
        context = settings_area(signed)
        context["rules"] = define.list_rules(uow, signed.actor, kind) if _admin(signed) else []
        field_names = [
            named.name for named in taxonomy.list_named(uow, signed.actor, "custom_field")
        ]
    if fields is None and editing is not None:
        fields = RuleFields(editing.name, editing.match, editing.conditions, editing.actions,
                            editing.reply, editing.active)  # fmt: skip
    fields = fields or RuleFields("")
    rows = max(len(fields.conditions), len(fields.actions)) + ROWS
    subjects = [*SUBJECTS, *(f"field:{name}" for name in field_names)]
    context.update(
        kind=kind.value, kind_path=kind_path, title=TITLES[kind_path], editing=editing,
        fields=fields, rows=rows, error=error, may_change=_admin(signed),
        subject_options=[("", "—"), *((s, SUBJECTS.get(s, s)) for s in subjects
                                      if kind is not RuleKind.MACRO)],
        operator_options=list(OPERATORS.items()), action_options=[("", "—"), *ACTION_NAMES.items()],
        known_subjects=conditions.subjects(), shown=_shown, options=_options,
        action_names=ACTION_NAMES, subject_names=SUBJECTS, operator_names=OPERATORS,
    )  # fmt: skip
    assert set(ACTION_NAMES) == set(ACTIONS)  # every action has a name on the screen
    return context


def _options(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Options for a select, their names translated when the page renders."""
    return [(value, gettext(name) if name in _NAMES else name) for value, name in pairs]


_NAMES = {*SUBJECTS.values(), *OPERATORS.values(), *ACTION_NAMES.values()}


def _admin(signed: SignedIn) -> bool:
    return accounts.administers(signed.actor)


@router.get("/settings/rules/{kind_path}", response_class=HTMLResponse)
def rules_page(request: Request, kind_path: str, signed: Signed) -> Response:
    return render(request, "settings/rules.html", _context(request, signed, kind_path, None, None))


@router.get("/settings/rules/{kind_path}/{rule_id}", response_class=HTMLResponse)
def edit_page(request: Request, kind_path: str, rule_id: PathId, signed: Signed) -> Response:
    with services_from(request).store.read() as uow:
        rule = define.get_rule(uow, signed.actor, rule_id, _kind(kind_path))
    return render(request, "settings/rules.html", _context(request, signed, kind_path, rule, None))


@router.post("/settings/rules/{kind_path}", response_class=HTMLResponse)
async def create(request: Request, kind_path: str, signed: Signed) -> Response:
    fields = _fields(await request.form())
    return _saved(request, signed, kind_path, None, fields)


@router.post("/settings/rules/{kind_path}/{rule_id}", response_class=HTMLResponse)
async def update(request: Request, kind_path: str, rule_id: PathId, signed: Signed) -> Response:
    fields = _fields(await request.form())
    with services_from(request).store.read() as uow:
        rule = define.get_rule(uow, signed.actor, rule_id, _kind(kind_path))
    return _saved(request, signed, kind_path, rule, fields)


def _saved(request: Request, signed: SignedIn, kind_path: str, rule: Rule | None,
           fields: RuleFields) -> Response:  # fmt: skip
    kind = _kind(kind_path)
    try:
        with services_from(request).store.write() as uow:
            if rule is None:
                define.create_rule(uow, signed.actor, kind, fields)
            else:
                define.update_rule(uow, signed.actor, rule.id, fields)
    except DomainError as error:
        if error.kind == "not_found" and rule is None:
            raise
        context = _context(request, signed, kind_path, rule, fields, error.message)
        return render(request, "settings/rules.html", context, status_code=422)
    return RedirectResponse(f"/settings/rules/{kind_path}", status_code=303)


@router.post("/settings/rules/{kind_path}/{rule_id}/delete")
def delete(request: Request, kind_path: str, rule_id: PathId, signed: Signed) -> Response:
    with services_from(request).store.write() as uow:
        define.delete_rule(
            uow, signed.actor, define.get_rule(uow, signed.actor, rule_id, _kind(kind_path)).id
        )
    return RedirectResponse(f"/settings/rules/{kind_path}", status_code=303)


@router.post("/settings/rules/{kind_path}/{rule_id}/move")
def move(
    request: Request, kind_path: str, rule_id: PathId, signed: Signed,
    direction: Annotated[str, Form(max_length=10)],
) -> Response:  # fmt: skip
    kind = _kind(kind_path)
    with services_from(request).store.write() as uow:
        order = [rule.id for rule in define.list_rules(uow, signed.actor, kind)]
        if rule_id not in order:
            raise NotFound("rule_not_found", f"No rule {rule_id}")
        at = order.index(rule_id)
        to = at - 1 if direction == "up" else at + 1
        if 0 <= to < len(order):
            order[at], order[to] = order[to], order[at]
            define.reorder(uow, signed.actor, kind, order)
    return RedirectResponse(f"/settings/rules/{kind_path}", status_code=303)


@router.post("/tickets/{ticket_id}/macro")
def apply_macro(
    request: Request, ticket_id: PathId, signed: Signed, macro: Annotated[str, Form(max_length=12)]
) -> Response:
    with services_from(request).store.write() as uow:
        macros.apply_macro(uow, signed.actor, ticket_id, form_id(macro, "macro"))
    return RedirectResponse(f"/tickets/{ticket_id}", status_code=303)
