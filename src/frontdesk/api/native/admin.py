"""Admin API: an account's own settings, people, inboxes, lists and credentials."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Response

from frontdesk.api.native import schemas as s
from frontdesk.api.native import translate as out
from frontdesk.api.native.deps import scoped
from frontdesk.core import contacts
from frontdesk.core.contacts import ContactFields
from frontdesk.core.identity import accounts, business, credentials
from frontdesk.core.identity.accounts import AgentFields
from frontdesk.core.identity.business import BusinessFields
from frontdesk.core.identity.records import CredentialKind
from frontdesk.core.rules import renames
from frontdesk.core.shared.records import MAX_ROW_ID, Actor, Scope
from frontdesk.core.tickets import custom_fields, taxonomy
from frontdesk.http.deps import PathId, services_of
from frontdesk.services import Services

router = APIRouter(prefix="/api/v1", tags=["admin"])
admin = scoped(Scope.ADMIN)


@router.get("/account", response_model=s.AccountOut)
def get_account(
    actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> s.AccountOut:
    with services.store.read() as uow:
        return out.account(accounts.get_account(uow, actor.account_id))


@router.patch("/account", response_model=s.AccountOut)
def patch_account(
    body: s.AccountPatch, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> s.AccountOut:
    with services.store.write() as uow:
        fields = BusinessFields(time_zone=body.time_zone, language=body.language, name=body.name)
        return out.account(business.update_business(uow, actor, fields))


# -- agents ----------------------------------------------------------------------------------


@router.get("/agents", response_model=list[s.AgentOut])
def list_agents(
    actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> list[s.AgentOut]:
    with services.store.read() as uow:
        return [out.agent(agent) for agent in accounts.list_agents(uow, actor)]


@router.post("/agents", response_model=s.AgentOut, status_code=201)
def create_agent(
    body: s.AgentIn, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> s.AgentOut:
    with services.store.write() as uow:
        return out.agent(accounts.create_agent(uow, actor, AgentFields(**body.model_dump())))


@router.get("/agents/{agent_id}", response_model=s.AgentOut)
def get_agent(
    agent_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> s.AgentOut:
    with services.store.read() as uow:
        return out.agent(accounts.get_agent(uow, actor, agent_id))


@router.patch("/agents/{agent_id}", response_model=s.AgentOut)
def patch_agent(
    agent_id: PathId,
    body: s.AgentPatch,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> s.AgentOut:
    fields = AgentFields(**body.model_dump(exclude_unset=True))
    with services.store.write() as uow:
        return out.agent(accounts.update_agent(uow, actor, agent_id, fields))


# -- inboxes ---------------------------------------------------------------------------------


@router.get("/inboxes", response_model=list[s.InboxOut])
def list_inboxes(
    actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> list[s.InboxOut]:
    with services.store.read() as uow:
        return [out.inbox(inbox) for inbox in accounts.list_inboxes(uow, actor)]


@router.post("/inboxes", response_model=s.InboxOut, status_code=201)
def create_inbox(
    body: s.InboxIn, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> s.InboxOut:
    with services.store.write() as uow:
        return out.inbox(accounts.create_inbox(uow, actor, body.name, body.email, body.auto_reply))


@router.get("/inboxes/{inbox_id}", response_model=s.InboxOut)
def get_inbox(
    inbox_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> s.InboxOut:
    with services.store.read() as uow:
        return out.inbox(accounts.get_inbox(uow, actor, inbox_id))


@router.patch("/inboxes/{inbox_id}", response_model=s.InboxOut)
def patch_inbox(
    inbox_id: PathId,
    body: s.InboxPatch,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> s.InboxOut:
    with services.store.write() as uow:
        return out.inbox(
            accounts.update_inbox(uow, actor, inbox_id, **body.model_dump(exclude_unset=True))
        )


@router.delete("/inboxes/{inbox_id}", status_code=204)
def delete_inbox(
    inbox_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> Response:
    with services.store.write() as uow:
        accounts.delete_inbox(uow, actor, inbox_id)
    return Response(status_code=204)


# -- categories, departments, custom fields: one shape, three paths ----------------------------


def _named_routes(path: str, kind: str) -> None:
    @router.get(f"/{path}", response_model=list[s.NamedOut], name=f"list_{kind}")
    def list_named(
        actor: Actor = Depends(admin), services: Services = Depends(services_of)
    ) -> list[s.NamedOut]:
        with services.store.read() as uow:
            return [out.named(item) for item in taxonomy.list_named(uow, actor, kind)]

    @router.post(f"/{path}", response_model=s.NamedOut, status_code=201, name=f"create_{kind}")
    def create_named(
        body: s.NamedIn, actor: Actor = Depends(admin), services: Services = Depends(services_of)
    ) -> s.NamedOut:
        with services.store.write() as uow:
            return out.named(taxonomy.create_named(uow, actor, kind, body.name))

    @router.delete(f"/{path}/{{item_id}}", status_code=204, name=f"delete_{kind}")
    def delete_named(
        item_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
    ) -> Response:
        with services.store.write() as uow:
            taxonomy.delete_named(uow, actor, kind, item_id)
        return Response(status_code=204)


for _path, _kind in (("categories", "category"), ("departments", "department")):
    _named_routes(_path, _kind)


# -- custom fields: a name with a type and, for a dropdown, options ----------------------------


@router.get("/custom-fields", response_model=list[s.CustomFieldOut])
def list_custom_fields(
    actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> list[s.CustomFieldOut]:
    with services.store.read() as uow:
        return [out.custom_field(item) for item in custom_fields.list_fields(uow, actor)]


@router.post("/custom-fields", response_model=s.CustomFieldOut, status_code=201)
def create_custom_field(
    body: s.CustomFieldIn, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> s.CustomFieldOut:
    with services.store.write() as uow:
        created = custom_fields.create_field(uow, actor, body.name, body.type, body.options)
        return out.custom_field(created)


@router.patch("/custom-fields/{field_id}", response_model=s.CustomFieldOut)
def patch_custom_field(
    field_id: PathId,
    body: s.CustomFieldPatch,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> s.CustomFieldOut:
    """Rename, retype, or replace the options; all of it or nothing."""
    with services.store.write() as uow:
        if body.name is not None:
            renames.rename_field(uow, actor, field_id, body.name)  # rules naming it too
        changed = custom_fields.change_field(uow, actor, field_id, body.type, body.options)
        return out.custom_field(changed)


@router.delete("/custom-fields/{field_id}", status_code=204)
def delete_custom_field(
    field_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> Response:
    with services.store.write() as uow:
        taxonomy.delete_named(uow, actor, custom_fields.KIND, field_id)
    return Response(status_code=204)


# -- contacts --------------------------------------------------------------------------------


@router.get("/contacts", response_model=list[s.ContactOut])
def list_contacts(
    after_id: int = Query(default=0, ge=0, le=MAX_ROW_ID),
    limit: int = Query(default=100, ge=1, le=500),
    q: str | None = Query(
        default=None, max_length=200, description="Part of the address, name or company"
    ),
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> list[s.ContactOut]:
    with services.store.read() as uow:
        found = (
            contacts.search_contacts(uow, actor, q, after_id=after_id, limit=limit)
            if q is not None
            else contacts.list_contacts(uow, actor, after_id=after_id, limit=limit)
        )
        return [out.contact(item) for item in found]


@router.post("/contacts", response_model=s.ContactOut, status_code=201)
def create_contact(
    body: s.ContactIn, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> s.ContactOut:
    with services.store.write() as uow:
        return out.contact(
            contacts.find_or_create_contact(uow, actor, ContactFields(**body.model_dump()))
        )


@router.get("/contacts/{contact_id}", response_model=s.ContactOut)
def get_contact(
    contact_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> s.ContactOut:
    with services.store.read() as uow:
        return out.contact(contacts.get_contact(uow, actor, contact_id))


# -- API keys and customer tokens ---------------------------------------------------------------


@router.get("/api-keys", response_model=list[s.CredentialOut])
def list_api_keys(
    actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> list[s.CredentialOut]:
    with services.store.read() as uow:
        return [
            out.credential(c)
            for c in credentials.list_credentials(uow, actor, CredentialKind.API_KEY)
        ]


@router.post("/api-keys", response_model=s.IssuedOut, status_code=201)
def create_api_key(
    body: s.ApiKeyIn, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> s.IssuedOut:
    with services.store.write() as uow:
        issued = credentials.issue_api_key(uow, actor, body.name, body.scopes)
    return out.issued(issued.credential, issued.token)


@router.delete("/api-keys/{key_id}", response_model=s.CredentialOut)
def revoke_api_key(
    key_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> s.CredentialOut:
    with services.store.write() as uow:
        return out.credential(credentials.revoke(uow, actor, CredentialKind.API_KEY, key_id))


@router.get("/customer-tokens", response_model=list[s.CredentialOut])
def list_customer_tokens(
    actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> list[s.CredentialOut]:
    with services.store.read() as uow:
        return [
            out.credential(c)
            for c in credentials.list_credentials(uow, actor, CredentialKind.CUSTOMER)
        ]


@router.post("/customer-tokens", response_model=s.IssuedOut, status_code=201)
def create_customer_token(
    body: s.CustomerTokenIn,
    actor: Actor = Depends(admin),
    services: Services = Depends(services_of),
) -> s.IssuedOut:
    with services.store.write() as uow:
        issued = credentials.issue_customer_token(uow, actor, body.contact_id, body.name)
    return out.issued(issued.credential, issued.token)


@router.delete("/customer-tokens/{token_id}", response_model=s.CredentialOut)
def revoke_customer_token(
    token_id: PathId, actor: Actor = Depends(admin), services: Services = Depends(services_of)
) -> s.CredentialOut:
    with services.store.write() as uow:
        return out.credential(credentials.revoke(uow, actor, CredentialKind.CUSTOMER, token_id))
