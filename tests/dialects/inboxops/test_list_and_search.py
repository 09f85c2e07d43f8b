"""The list: filters, full-text search, limit and offset, the total in X-Total-Count."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from frontdesk.core import tickets
from frontdesk.core.tickets import search
from tests.core.helpers import open_many
from tests.dialects.inboxops.conftest import Ops, error_of


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [ticket["id"] for ticket in response.json()]


def _found(ops: Ops, **params: Any) -> list[str]:
    return _ids(ops.get("", **params))


def test_list_as_in_the_spec_newest_first_with_the_total(ops: Ops) -> None:
    made = [ops.create(f"Ticket {i}")["id"] for i in range(5)]
    response = ops.get("", status="open", limit=2, offset=0)
    assert _ids(response) == [made[4], made[3]]
    assert response.headers["x-total-count"] == "5"
    assert response.headers["x-total-count-exact"] == "true"
    following = ops.get("", status="open", limit=2, offset=2)
    assert _ids(following) == [made[2], made[1]] and following.headers["x-total-count"] == "5"
    assert _ids(ops.get("", limit=2, offset=4)) == [made[0]]
    beyond = ops.get("", limit=2, offset=10)
    assert _ids(beyond) == [] and beyond.headers["x-total-count"] == "5"


def test_the_default_limit_is_100(ops: Ops) -> None:
    # One row more than the documented default, written out: taken from the code, a
    # changed default would pass.
    default = 100
    made = [ticket.uuid for ticket in open_many(ops.tenant, default + 1)]
    newest_first = made[::-1]
    response = ops.get("")
    assert _ids(response) == newest_first[:default]
    assert response.headers["x-total-count"] == str(default + 1)
    assert _ids(ops.get("", offset=default)) == newest_first[default:]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": -1}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": 100_001}, "offset"),
        ({"status": "done"}, "status"),
        ({"priority": "sky-high"}, "priority"),
        ({"assignee": "ann"}, "assignee"),
        ({"archived": "maybe"}, "archived"),
        ({"search": "-- ... --"}, "search"),
        ({"search": "x" * 501}, "search"),
        ({"search": " ".join(f"w{i}" for i in range(21))}, "search"),
    ],
)
def test_bad_list_parameters_are_400(ops: Ops, params: dict[str, Any], field: str) -> None:
    assert error_of(ops.get("", **params), 400)["field"] == field


def test_limit_bounds_are_inclusive(ops: Ops) -> None:
    ops.create()
    assert len(_found(ops, limit=1)) == 1
    assert len(_found(ops, limit=500)) == 1
    error_of(ops.client.get(f"{ops.base}?limit=5&limit=6", headers=ops.headers()), 400)


def test_status_and_tags_single_or_repeated(ops: Ops) -> None:
    fresh = ops.create(tags=["billing"])["id"]
    waiting = ops.create(tags=["billing", "urgent"])["id"]
    done = ops.create(tags=["urgent"])["id"]
    ops.post(f"/{waiting}/status", {"toStatus": "pending"})
    ops.post(f"/{done}/status", {"toStatus": "closed"})
    assert _found(ops, status="open") == [fresh]
    url = f"{ops.base}?status=open&status=pending"
    assert _ids(ops.client.get(url, headers=ops.headers())) == [waiting, fresh]
    assert _found(ops, tags="urgent") == [done, waiting]
    url = f"{ops.base}?tags=billing&tags=urgent"  # every tag given
    assert _ids(ops.client.get(url, headers=ops.headers())) == [waiting]
    assert _found(ops, tags="nobody-uses-this") == []


def test_assignee_and_priority(ops: Ops) -> None:
    mine = ops.create(assigneeId=ops.agent.id, priority="high")["id"]
    theirs = ops.create(assigneeId=ops.other_agent.id)["id"]
    nobodys = ops.create(priority="high")["id"]
    assert _found(ops, assignee=ops.agent.id) == [mine]
    assert _found(ops, assignee=str(ops.other_agent.id)) == [theirs]
    assert _found(ops, assignee="none") == [nobodys]
    # User ids as the spec shows them: UUIDs (integers keep working, above).
    assert _found(ops, assignee=ops.agent.uuid) == [mine]
    assert _found(ops, assignee=ops.other_agent.uuid.upper()) == [theirs]
    assert _found(ops, assignee="4831ac90-752a-4bb7-9563-f78ae90cc43f") == []  # nobody's
    assert _found(ops, priority="high") == [nobodys, mine]
    assert _found(ops, priority="high", assignee=ops.agent.id) == [mine]


def test_search_matches_whole_words_across_subject_and_messages(ops: Ops) -> None:
    refund = ops.create("Refund request", "Please check invoice INV-2041 from Jane.Doe@example.com")
    ops.message(refund["id"], body="Customer says the café was closed", isInternal=True)
    other = ops.create("Refund for a broken chair", "The leg came off")
    assert _found(ops, search="refund") == [other["id"], refund["id"]]
    assert _found(ops, search="REFUND invoice") == [refund["id"]]  # all words, any case
    assert _found(ops, search="refund chair") == [other["id"]]
    assert _found(ops, search="refund zebra") == []
    assert _found(ops, search="refun") == []  # whole words, not prefixes
    assert _found(ops, search="inv 2041") == [refund["id"]]
    assert _found(ops, search="INV-2041") == [refund["id"]]
    assert _found(ops, search="jane") == [refund["id"]]
    assert _found(ops, search="jane.doe@example.com") == [refund["id"]]
    assert _found(ops, search="café") == [refund["id"]]  # notes are searched
    assert _found(ops, search="cafe") == []  # accents are kept, on both backends
    response = ops.get("", search="refund")
    assert response.headers["x-total-count"] == "2"


def test_search_skips_log_lines_and_follows_replies(ops: Ops) -> None:
    ticket = ops.create("Printer", "It jams")
    ops.post(f"/{ticket['id']}/status", {"toStatus": "pending", "reason": "awaiting zebra"})
    assert _found(ops, search="zebra") == []
    ops.message(ticket["id"], body="Try the zebra cartridge")
    assert _found(ops, search="zebra cartridge") == [ticket["id"]]


def test_search_combines_with_the_other_filters(ops: Ops) -> None:
    a = ops.create("Login fails", tags=["web"], priority="high")["id"]
    b = ops.create("Login fails on mobile", tags=["mobile"])["id"]
    c = ops.create("Login fails again", assigneeId=ops.agent.id)["id"]
    ops.post(f"/{c}/status", {"toStatus": "solved"})
    ops.post(f"/{b}/archive")
    assert _found(ops, search="login") == [c, a]
    assert _found(ops, search="login", archived="include") == [c, b, a]
    assert _found(ops, search="login", status="open") == [a]
    assert _found(ops, search="login", status="solved", assignee=ops.agent.id) == [c]
    assert _found(ops, search="login", tags="web", priority="high") == [a]
    assert _found(ops, search="login", tags="mobile") == []
    assert _found(ops, search="login mobile", archived="only") == [b]


def test_search_follows_merge_and_split(ops: Ops) -> None:
    source = ops.create("Delivery late", "Parcel with walrus stickers")
    target = ops.create("Delivery question", "Where is my order")
    ops.post(f"/{source['id']}/merge", {"targetTicketId": target["id"]})
    assert _found(ops, search="walrus", status="open") == [target["id"]]
    assert _found(ops, search="walrus") == [target["id"]]  # the source kept no messages
    walrus = next(m for m in ops.ticket(target["id"])["messages"] if "walrus" in m["body"])
    split = ops.post(
        f"/{target['id']}/split", {"messageIds": [walrus["id"]], "newSubject": "Stickers"}
    )
    new_id = split.json()["ticket"]["id"]
    assert _found(ops, search="walrus") == [new_id]
    assert _found(ops, search="stickers") == [new_id]  # the body, and now the subject
    assert _found(ops, search="order") == [target["id"]]


def test_subject_changes_are_searchable(ops: Ops) -> None:
    ticket = ops.create("Original words")
    with ops.services.store.write() as uow:
        found = uow.tickets.get_ticket_by_uuid(ops.tenant.id, ticket["id"])
        assert found is not None
        tickets.set_subject(uow, ops.tenant.actor, found.id, "Renamed entirely")
    assert _found(ops, search="original") == []
    assert _found(ops, search="renamed") == [ticket["id"]]


def test_search_total_is_capped_and_says_so(ops: Ops, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "SEARCH_TOTAL_CAP", 2)
    for _ in range(4):
        ops.create("Broken lamp")
    response = ops.get("", search="lamp", limit=1)
    assert response.headers["x-total-count"] == "2"
    assert response.headers["x-total-count-exact"] == "false"
    deep = ops.get("", search="lamp", limit=1, offset=2)
    assert deep.headers["x-total-count"] == "3" and deep.headers["x-total-count-exact"] == "false"
    whole = ops.get("", search="lamp")  # a page that ends the list knows the total
    assert whole.headers["x-total-count"] == "4" and whole.headers["x-total-count-exact"] == "true"
    plain = ops.get("", limit=1)  # without search, always exact
    assert plain.headers["x-total-count"] == "4" and plain.headers["x-total-count-exact"] == "true"


def test_postgresql_plans_each_search_for_its_own_words(ops: Ops) -> None:
    """On PostgreSQL the words are in the statement's text, never a bound parameter: a
    prepared statement may get one generic plan for every word, and the plan of a rare word
    reads every match of a common one (100 ms instead of 2 at 1,000,000 tickets;
    docs/benchmarks.md). SQLite prepares each statement anew, so there they stay bound."""
    engine = ops.services.store.engine
    inlined = engine.dialect.name == "postgresql"
    ops.create("Quokka sighting")
    sent: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        sent.append((statement, params))

    event.listen(engine, "before_cursor_execute", record)
    try:
        for _ in range(7):  # past psycopg's prepare threshold (5)
            assert len(_found(ops, search="quokka")) == 1
    finally:
        event.remove(engine, "before_cursor_execute", record)
    marker = "to_tsquery" if inlined else "MATCH"
    searches = [(sql, params) for sql, params in sent if marker in sql]
    assert len(searches) >= 7
    for sql, params in searches:
        assert ("quokka" in sql.lower()) is inlined
        assert ("quokka" in repr(params).lower()) is not inlined


def test_postgresql_reads_a_search_page_and_its_total_at_once(ops: Ops) -> None:
    """On PostgreSQL a full page of a search and its capped total are one statement (the
    matches are read once: docs/benchmarks.md, 0080); SQLite counts in a second one."""
    engine = ops.services.store.engine
    for _ in range(3):
        ops.create("Broken kettle")
    sent: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *args: Any) -> None:
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        response = ops.get("", search="kettle", limit=2)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert response.headers["x-total-count"] == "3"
    assert len(response.json()) == 2
    marker = "to_tsquery" if engine.dialect.name == "postgresql" else "MATCH"
    expected = 1 if engine.dialect.name == "postgresql" else 2
    assert len([sql for sql in sent if marker in sql]) == expected


def test_search_words() -> None:
    assert search.search_words(None) == ()
    assert search.search_words("  ") == ()
    assert search.search_words("Refund, refund INVOICE-12") == ("refund", "invoice", "12")
    assert search.search_words("über_alles") == ("über", "alles")
    assert search.search_words("cafe\u0301") == ("café",)
