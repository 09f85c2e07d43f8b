"""Quoted history and signatures: a corpus of reply shapes written for these tests
(tests/mail/corpus/replies), each with the boundaries the heuristic must find."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import pytest

from frontdesk.core.mail import quoting
from frontdesk.core.shared.html import html_to_text, sanitise
from frontdesk.mail.parse import parse
from frontdesk.mail.runtime import MailRuntime
from frontdesk.web import mailview
from tests.mail.conftest import MailDesk, smtp_send

CORPUS = Path(__file__).parent / "corpus" / "replies"


class Expected(NamedTuple):
    message: str
    signature: str
    quote_starts: str
    quote_ends: str


SHAPES = {
    "gmail": Expected(
        "Still on fire, and now the fax too.",
        "--\n\nAnn Lee | Facilities",
        "On Tue, 3 Mar 2026 at 10:12, Support <support@example.com> wrote:",
        "We are looking into it.",
    ),
    "outlook_web": Expected(
        "The amount is still wrong.",
        "Bo Berg\n\nAccounts payable, Example Ltd",
        "From: Support <support@example.com>\nSent: Tuesday, March 3, 2026 10:12",
        "Please check the attached invoice.",
    ),
    "outlook_desktop": Expected(
        "The parcel never came.",
        "Cy Dahl\nLogistics",
        "From: Support <support@example.com>\nSent: den 3 mars 2026 10:12",
        "Your parcel left today.",
    ),
    # Outlook's plain text marks no signature: the name stays with the message.
    "outlook_plain": Expected(
        "I still cannot log in.\n\nHans Ivar\nExample Ltd",
        "",
        "-----Original Message-----\nFrom: Support <support@example.com>",
        "Please try again now.",
    ),
    # Outlook's plain text with a winmail.dat (test_tnef.py checks the files in it).
    "outlook_tnef": Expected(
        "Here is the corrected report, and my notes.\n\nJan Kask\nController",
        "",
        "________________________________\nFrom: Support <support@example.com>\nSent:",
        "Could you send the corrected report?",
    ),
    "apple_mail": Expected(
        "It worked, thanks!",
        "Sent from my iPhone",
        "On 3 Mar 2026, at 10:12, Support <support@example.com> wrote:",
        "Here is your reset link.",
    ),
    "apple_mail_desktop": Expected(
        "Second question: can I change my e-mail address?\n\nDi",
        "",
        "On 3 Mar 2026, at 10:12, Support <support@example.com> wrote:",
        "Here is your reset link.",
    ),
    "thunderbird_flowed": Expected(
        "The backup failed again last night, this time with error 23. Logs are\n"
        "attached to the earlier mail.",
        "--\nEd Falk\nIT, Example Ltd",
        "On 03/03/2026 10:12, Support wrote:\n> Please send us the logs of the failed",
        "> Support",
    ),
    "thunderbird_html": Expected(
        "Error 23 again.",
        "--\nEd Falk",
        "On 03/03/2026 10:12, Support wrote:",
        "Please send us the logs.",
    ),
    "german": Expected(
        "Die Rechnung stimmt jetzt, danke.",
        "Von meinem iPhone gesendet",
        "Am 03.03.2026 um 10:12 schrieb Support\n<support@example.com>:",
        "> Wir haben die Rechnung korrigiert.",
    ),
    "swedish": Expected(
        "Tack, nu stämmer fakturan.",
        "Skickat från min iPhone",
        "Den 3 mars 2026 kl. 10:12 skrev Support <support@example.com>:",
        "> Vi har rättat fakturan.",
    ),
}


def _sections(name: str) -> tuple[str, str, str]:
    parsed = parse((CORPUS / f"{name}.eml").read_bytes())
    assert parsed.html is not None
    found = quoting.sections(parsed.html)
    return html_to_text(found.message), html_to_text(found.signature), html_to_text(found.quote)


def test_every_corpus_file_has_its_expectation() -> None:
    names = {path.stem for path in CORPUS.glob("*.eml")}
    assert names == set(SHAPES) | {"no_quote"}


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_quote_and_signature_boundaries(name: str) -> None:
    expected = SHAPES[name]
    message, signature, quote = _sections(name)
    assert message == expected.message
    assert signature == expected.signature
    assert quote.startswith(expected.quote_starts)
    assert quote.endswith(expected.quote_ends)
    # What is marked is all there is: nothing is lost or repeated between the parts.
    assert expected.quote_ends not in message + signature


def test_a_mail_without_quote_or_signature_is_left_unmarked() -> None:
    # "-- " inside a line, and "From: ... Sent:" on one line, are neither.
    parsed = parse((CORPUS / "no_quote.eml").read_bytes())
    assert parsed.html is None
    assert "my order 4711 has not arrived" in parsed.text
    marked = quoting.mark_text(parsed.text)
    assert quoting.QUOTE_MARK not in marked and quoting.SIGNATURE_MARK not in marked


def test_the_sanitiser_keeps_the_marks_and_no_other_class() -> None:
    dirty = (
        '<p class="evil">a</p><span class="fd-quote"></span><span class="x fd-signature">b</span>'
    )
    assert sanitise(dirty) == (
        '<p>a</p><span class="fd-quote"></span><span class="fd-signature">b</span>'
    )


def test_sections_of_unmarked_html_are_all_message() -> None:
    assert quoting.sections("<p>hi</p>") == quoting.Sections("<p>hi</p>", "", "")


def test_a_blockquote_without_an_attribution_starts_the_quote_itself() -> None:
    marked = quoting.mark_html(
        "<div>Mine</div><div>Not a wrote line</div><blockquote>q</blockquote>"
    )
    assert marked == (
        f"<div>Mine</div><div>Not a wrote line</div>{quoting.QUOTE_MARK}<blockquote>q</blockquote>"
    )


def test_marks_are_stored_with_the_message(runtime: MailRuntime, desk: MailDesk) -> None:
    raw = (
        (CORPUS / "swedish.eml")
        .read_bytes()
        .replace(b"support@example.com", desk.support.email.encode())
        .replace(b"\n", b"\r\n")
    )
    assert runtime.smtp_port is not None
    smtp_send(runtime.smtp_port, raw, "gun@example.se", [desk.support.email])
    (ticket,) = desk.tickets()
    (message,) = desk.messages(ticket.id)
    found = quoting.sections(message.body_html)
    assert html_to_text(found.message) == "Tack, nu stämmer fakturan."
    assert html_to_text(found.signature) == "Skickat från min iPhone"
    # The stored text is the mail's text, whole: search and mailed quotes see all of it.
    assert message.body_text.startswith("Tack, nu stämmer fakturan.\n\nSkickat från min iPhone")
    assert message.body_text.endswith("> Vi har rättat fakturan.")


@pytest.mark.parametrize("name", ["gmail", "outlook_desktop", "thunderbird_flowed"])
def test_the_ticket_page_folds_the_marked_parts(name: str) -> None:
    parsed = parse((CORPUS / f"{name}.eml").read_bytes())
    assert parsed.html is not None
    shown = str(mailview.display(sanitise(parsed.html)))
    expected = SHAPES[name]
    head, signature_fold = shown.split('<summary class="quoted__summary">Show signature</summary>')
    signature_part, quote_fold = signature_fold.split(
        '<summary class="quoted__summary">Show quoted text</summary>'
    )
    # The message stands outside any fold, closed (each part is re-balanced on its own).
    assert head.endswith('<details class="quoted">')
    assert html_to_text(head) == expected.message.replace("\n\n", "\n")
    assert head.count("<div") == head.count("</div>")
    assert html_to_text(signature_part).endswith(expected.signature.rsplit("\n", 1)[-1])
    assert expected.quote_ends.lstrip("> ") in html_to_text(quote_fold)
    assert expected.quote_ends.lstrip("> ") not in html_to_text(head + signature_part)


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("Hi there", "<p>Hi there</p>"),
        (
            "Hi\n\nBob\n-- \nBob B",
            '<p>Hi</p><p>Bob</p><span class="fd-signature"></span><p>-- <br>Bob B</p>',
        ),
        # Outlook's rule of underscores above its header block belongs to the quote.
        (
            "Hi\nthere\n________\nFrom: a\nSent: b\n\nold",
            '<p>Hi<br>there</p><span class="fd-quote"></span>'
            "<p>________<br>From: a<br>Sent: b</p><p>old</p>",
        ),
        (
            "________\nFrom: a\nSent: b\n\nold",
            '<span class="fd-quote"></span><p>________<br>From: a<br>Sent: b</p><p>old</p>',
        ),
        (
            "From: a\nSent: b\nold\n________",
            '<span class="fd-quote"></span><p>From: a<br>Sent: b<br>old<br>________</p>',
        ),
        # 'Sent:' within three lines under 'From:' makes a header block; four is too far.
        (
            "From: a\nx\ny\nSent: b\nold",
            '<span class="fd-quote"></span><p>From: a<br>x<br>y<br>Sent: b<br>old</p>',
        ),
        ("From: a\nx\ny\nz\nSent: b\nold", "<p>From: a<br>x<br>y<br>z<br>Sent: b<br>old</p>"),
    ],
    ids=["plain", "signature", "rule", "rule first", "rule last", "sent 3 below", "sent 4 below"],
)
def test_plain_text_is_marked_where_its_signature_or_quote_starts(text: str, html: str) -> None:
    assert quoting.mark_text(text) == html
