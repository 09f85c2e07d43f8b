"""Reply and forward prefixes of subject lines, in the languages customers write in.

A new ticket's subject loses them ("Re: Fwd: Printer" opens the ticket "Printer"), and an
outgoing reply carries exactly one `Re:`. Only these prefixes are known, each followed by
a colon (and optionally a counter, `Re[2]:` or `Re(2):`), in any case:

- replies: `Re` (English, Latin), `AW` (German "Antwort"), `SV` (Swedish, Danish and
  Norwegian "svar"), `VS` (Finnish "vastaus"), `Antw` (Dutch "antwoord");
- forwards: `Fwd` and `Fw` (English), `WG` (German "weitergeleitet"), `VB` (Swedish
  "vidarebefordrat").

Words that are also ordinary subject openings ("TR", "RV", "Ref") are left alone.
"""

from __future__ import annotations

import re

_COUNTER = r"(?:\[\d{1,3}\]|\(\d{1,3}\))?"
_REPLY = re.compile(rf"^\s*(?:re|aw|sv|vs|antw)\s*{_COUNTER}\s*:\s*", re.IGNORECASE)
_ANY = re.compile(rf"^\s*(?:re|aw|sv|vs|antw|fwd|fw|wg|vb)\s*{_COUNTER}\s*:\s*", re.IGNORECASE)
MAX_PREFIXES = 50  # "Re: " repeated by a looping responder stops being stripped here


def strip_prefixes(subject: str) -> str:
    """The subject without its leading reply and forward prefixes."""
    return _strip(_ANY, subject)


def strip_reply_prefixes(subject: str) -> str:
    """The subject without its leading reply prefixes (forward prefixes are kept)."""
    return _strip(_REPLY, subject)


def _strip(pattern: re.Pattern[str], subject: str) -> str:
    for _round in range(MAX_PREFIXES):
        shorter = pattern.sub("", subject, count=1)
        if shorter == subject:
            break
        subject = shorter
    return subject.strip()
