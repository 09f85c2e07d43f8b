"""Support-desk prose for the seeders: realistic words, and rare words at known rates.

Sentences are drawn from templates once (a pool of a few thousand), then each message is
a handful of them: building 3,000,000 messages stays a matter of seconds. Rare words are
placed deterministically, so that a search for one finds a number of tickets known in
advance (`expected_hits`), whatever the seed size.
"""

from __future__ import annotations

import random
from html import escape

PRODUCTS = [
    "Pro plan", "Starter plan", "mobile app", "desktop app", "API", "invoice portal",
    "calendar sync", "booking widget", "payment page", "team workspace", "export tool",
    "password reset", "two-factor login", "shared inbox", "report builder", "webhook",
]  # fmt: skip
PROBLEMS = [
    "keeps crashing", "shows a blank page", "will not load", "is very slow today",
    "logged me out", "charged me twice", "sends no confirmation", "lost my settings",
    "rejects my card", "displays the wrong currency", "times out", "duplicates entries",
    "does not sync", "returns an error 500", "freezes on save", "ignores my timezone",
]  # fmt: skip
FEELINGS = [
    "This is urgent for us.", "Could you have a look, please?", "Thanks in advance.",
    "We have a deadline on Friday.", "Any help is appreciated.", "Kind regards.",
    "Please advise.", "I already tried clearing the cache.", "It worked fine last week.",
    "Several colleagues see the same thing.", "Is there a workaround?", "Cheers.",
]  # fmt: skip
AGENT_LINES = [
    "Thank you for reaching out.", "I have forwarded this to our engineers.",
    "Could you send us a screenshot?", "The refund has been issued to your card.",
    "Please try again after signing out and in.", "We have released a fix this morning.",
    "I have updated your invoice.", "Let me know if this solves it.",
    "Your account has been upgraded.", "We are sorry for the inconvenience.",
]  # fmt: skip
TEMPLATES = [
    "Hello, the {product} {problem}.",
    "Since yesterday the {product} {problem}.",
    "Our {product} {problem} when we open order {order}.",
    "I need a refund for invoice {order} because the {product} {problem}.",
    "Please cancel order {order}; the {product} {problem}.",
    "Can you change the billing address on invoice {order}?",
    "After the update the {product} {problem} on {device}.",
    "My colleague {name} says the {product} {problem}.",
    "We booked {count} seats but the {product} {problem}.",
    "How do I export {count} tickets from the {product}?",
]
DEVICES = ["Android", "iPhone", "Windows 11", "macOS", "Firefox", "Chrome", "Safari", "Linux"]
NAMES = ["Alice", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Grace", "Hiro", "Ines"]
SUBJECTS = [
    "Problem with the {product}", "Refund for invoice {order}", "Order {order} not received",
    "Question about the {product}", "{product} {problem}", "Cannot log in",
    "Billing question ({order})", "Feature request: {product}", "Urgent: {product} down",
]  # fmt: skip
# word -> one ticket in this many mentions it (in its first message)
RARE_WORDS = {"quokka": 10_000, "zeppelin": 1_000, "marzipan": 100}
COMMON_WORD = "invoice"  # in roughly one message in five


def expected_hits(word: str, tickets: int) -> int:
    """How many of `tickets` seeded tickets mention a rare word."""
    every = RARE_WORDS[word]
    return len(range(every // 2, tickets, every))


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        product=rng.choice(PRODUCTS),
        problem=rng.choice(PROBLEMS),
        order=rng.randrange(10_000, 99_999),
        device=rng.choice(DEVICES),
        name=rng.choice(NAMES),
        count=rng.randrange(2, 500),
    )


class Prose:
    """Subjects and message bodies, drawn from pools made once per seed."""

    def __init__(self, rng: random.Random, pool: int = 4000) -> None:
        self.rng = rng
        self.customer = [_fill(rng.choice(TEMPLATES), rng) for _ in range(pool)]
        self.subjects = [_fill(rng.choice(SUBJECTS), rng) for _ in range(pool)]

    def subject(self) -> str:
        return self.rng.choice(self.subjects)

    def rare_sentence(self, ticket_index: int) -> str:
        words = [w for w, every in RARE_WORDS.items() if ticket_index % every == every // 2]
        if not words:
            return ""
        return " ".join(f"The {w} sticker on the parcel was torn." for w in words) + " "

    def customer_body(self, name: str, extra: str = "") -> str:
        pick = self.rng.sample(self.customer, 2)
        return f"Hi,\n\n{extra}{pick[0]} {pick[1]} {self.rng.choice(FEELINGS)}\n\n{name}"

    def agent_body(self, agent: str) -> str:
        lines = self.rng.sample(AGENT_LINES, 3)
        return f"Hello,\n\n{' '.join(lines)}\n\nBest wishes,\n{agent}"


def as_html(text: str) -> str:
    return "".join(f"<p>{escape(part)}</p>" for part in text.split("\n\n"))
