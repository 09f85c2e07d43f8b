"""Inline images: a mail's `cid:` references pointed at the attachments they name.

An HTML mail shows its own images by `<img src="cid:logo@example.org">`, naming a part
of the same mail by its Content-ID (RFC 2392). Once the parts are stored as
attachments, each reference is rewritten to the address the web app serves that
attachment at, inline (`INLINE_PATH`); a reference to a part that was not stored (too
large, or never there) is left as `cid:`, which the core's sanitiser then drops.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from urllib.parse import unquote

# The web app's route for an attachment shown in place (web/tickets/page.py serves it,
# for the signed-in agent's account only, and only image types inline).
INLINE_PATH = "/tickets/inline/{attachment_id}"
_CID_SRC = re.compile(r'(<img\b[^<>]{0,4000}?\ssrc=")cid:([^"]{1,1000})"', re.IGNORECASE)


def content_key(content_id: str) -> str:
    """A Content-ID header (`<logo@example.org>`) or a `cid:` URL's part (URL-encoded,
    no brackets) as one comparable key."""
    return unquote(content_id.strip()).strip("<>").strip().lower()


def inline_url(attachment_id: int) -> str:
    return INLINE_PATH.format(attachment_id=attachment_id)


def rewrite(sanitised_html: str, stored: Mapping[str, int]) -> str:
    """`cid:` image sources pointed at the stored attachments (`stored` maps
    `content_key`s to attachment ids). The input is the sanitiser's output, whose
    attributes are double-quoted with `"` escaped."""

    def replace(match: re.Match[str]) -> str:
        attachment_id = stored.get(content_key(html.unescape(match.group(2))))
        if attachment_id is None:
            return match.group(0)
        return f'{match.group(1)}{inline_url(attachment_id)}"'

    return _CID_SRC.sub(replace, sanitised_html)
