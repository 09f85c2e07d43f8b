"""Initials and a stable colour for people without a picture."""

from __future__ import annotations

import hashlib
from functools import lru_cache

TONES = 6  # .avatar--tone-0 .. -5 in app.css, each AA-readable in both themes
# Both are pure functions of a name, asked for every avatar of every page (a ticket page
# draws one per message): remembered for the last few thousand names.
NAMES_KEPT = 4096


@lru_cache(maxsize=NAMES_KEPT)
def initials(name: str) -> str:
    """Up to two letters: "Ada Lovelace" -> "AL", "ada@example.com" -> "A", "" -> "?"."""
    words = [w for w in name.split("@")[0].replace(".", " ").split() if w[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


@lru_cache(maxsize=NAMES_KEPT)
def avatar_tone(name: str) -> int:
    """The same person gets the same colour on every page and every server."""
    return hashlib.sha256(name.strip().lower().encode()).digest()[0] % TONES
