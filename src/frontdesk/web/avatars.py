"""Initials and a stable colour for people without a picture."""

from __future__ import annotations

import hashlib

TONES = 6  # .avatar--tone-0 .. -5 in app.css, each AA-readable in both themes


def initials(name: str) -> str:
    """Up to two letters: "Ada Lovelace" -> "AL", "ada@example.com" -> "A", "" -> "?"."""
    words = [w for w in name.split("@")[0].replace(".", " ").split() if w[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def avatar_tone(name: str) -> int:
    """The same person gets the same colour on every page and every server."""
    return hashlib.sha256(name.strip().lower().encode()).digest()[0] % TONES
