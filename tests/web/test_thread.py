"""ui.thread_message writes the markup of the template loop it replaced, byte for byte.

The loop is kept as tests/web/templates/thread_message.html; both render every kind of
message (log line, note, agent reply, customer mail), with and without addresses, a
delivery state, attachments (an image and not), an HTML or plain body, in English and
Swedish, on a ticket that can be split and one merged away.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from types import SimpleNamespace as Fake

import pytest

from frontdesk.core.tickets.records import MessageKind
from frontdesk.web import i18n, thread
from frontdesk.web.templating import Templates

TEMPLATES = Templates()
REFERENCE = (Path(__file__).parent / "templates" / "thread_message.html").read_text()
COMPONENT = """        {% for m in desk.thread.messages %}
        {{ ui.thread_message(m, desk) }}
        {% endfor %}
"""


def _messages() -> tuple[list[Fake], dict[int, list[Fake]], dict[int, Fake]]:
    messages, files, mail = [], {}, {}
    variants = itertools.product(
        MessageKind, [None, 3], [None, 7], [None, "Ann <b>&"], [None, "ann@example.org"],
        [(), ("to@example.org", "odd&<@example.org")], [(), ("cc@example.org",)],
        [(), ("bcc@example.org",)], ["", "<p>Hi <b>there</b></p><blockquote>old</blockquote>"],
    )  # fmt: skip
    for number, (kind, agent, contact, name, email, to, cc, bcc, body_html) in enumerate(
        variants, 1
    ):
        message = Fake(
            id=number, kind=kind, agent_id=agent, contact_id=contact, from_name=name,
            from_email=email, to=to, cc=cc, bcc=bcc, body_html=body_html,
            body_text="Hello <there> &\nOn Monday, Ann wrote:\n> before",
            created=1_763_900_000_000 + number,
        )  # fmt: skip
        messages.append(message)
        if number % 3 == 0:
            image = Fake(
                id=number * 10, content_type="image/png", original_name="a<b>.png", size=1234
            )
            pdf = Fake(
                id=number * 10 + 1, content_type="application/pdf", original_name="r", size=5
            )
            files[number] = [image, pdf]
        if number % 4 == 0:
            status = ["queued", "sent", "failed", "unknown", "other"][number // 4 % 5]
            mail[number] = Fake(status=status, last_error=None if number % 8 else 'no "mx" <here>')
    return messages, files, mail


@pytest.mark.parametrize("merged_into_id", [None, 5])
@pytest.mark.parametrize("locale", ["en", "sv"])
def test_the_component_writes_the_templates_markup(merged_into_id: int | None, locale: str) -> None:
    messages, files, mail = _messages()
    ticket = Fake(id=42, merged_into_id=merged_into_id)
    desk = Fake(thread=Fake(ticket=ticket, messages=messages, attachments=files), mail=mail)
    values = {"desk": desk, "ticket": ticket, "body_of": thread.body_of}
    with i18n.activate(i18n.localisation(locale)):
        expected = TEMPLATES.env.from_string(REFERENCE).render(values)
        written = TEMPLATES.env.from_string(COMPONENT).render(values)
    assert written == expected
    items = written.count('<li class="message message--') + written.count('<li class="logline"')
    assert items == len(messages)
