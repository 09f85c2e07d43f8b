"""Macros: an agent applies a named set of actions, and perhaps a reply, in one step.

The actions run as the agent (the ticket's log names them) and in the agent's own
transaction: a refused action fails the whole macro, as any change the agent makes would.
The reply's placeholders are filled for this ticket, requester and agent, and it is
e-mailed to the requester through the outbox.
"""

from __future__ import annotations

from frontdesk.core import tickets
from frontdesk.core.identity import accounts
from frontdesk.core.mail import replies
from frontdesk.core.rules import actions
from frontdesk.core.rules.define import get_rule
from frontdesk.core.rules.ports import RulesUnit
from frontdesk.core.rules.records import RuleKind
from frontdesk.core.shared.errors import Conflict, Forbidden
from frontdesk.core.shared.records import Actor, Scope
from frontdesk.core.tickets.records import Ticket


def apply_macro(uow: RulesUnit, actor: Actor, ticket_id: int, macro_id: int) -> Ticket:
    if Scope.TICKETS_WRITE not in actor.scopes or actor.contact_id is not None:
        raise Forbidden("missing_scope", "Applying a macro needs the tickets:write scope")
    macro = get_rule(uow, actor, macro_id, RuleKind.MACRO)
    if not macro.active:
        raise Conflict("macro_inactive", f"The macro {macro.name!r} is switched off")
    ticket = tickets.get_ticket(uow, actor, ticket_id, lock=True)
    agent = accounts.find_agent(uow, actor.account_id, actor.agent_id) if actor.agent_id else None
    firing = actions.Firing(actor, ticket.id, macro.id, macro.name, agent.name if agent else "")
    actions.apply(uow, firing, macro.actions)
    if macro.reply:
        text = actions.render(uow, firing, macro.reply)
        replies.post(uow, actor, ticket.id, replies.TeamMessage(text, send_email=True))
    return tickets.get_ticket(uow, actor, ticket.id)
