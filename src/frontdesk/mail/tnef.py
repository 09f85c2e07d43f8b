"""winmail.dat (TNEF, application/ms-tnef): Outlook's wrapper unpacked into the files in it.

Outlook, sending "rich text" mail, packs the attachments into one `winmail.dat` part that
other mail programs cannot open. `tnefparse` (PyPI) reads it; each file inside becomes an
attachment of its own, and the `winmail.dat` itself is not kept on the ticket (the raw
mail still has it). A part that cannot be read (not TNEF, truncated, hostile) is kept as it
came, so nothing is lost.
"""

from __future__ import annotations

import logging
import mimetypes
import struct

from tnefparse import TNEF

log = logging.getLogger(__name__)

TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
MAX_OBJECTS = 10_000  # tnefparse copies the rest of the data per object: bound the count
_SIGNATURE = struct.pack("<I", 0x223E9F78)
_HEADER = 6  # signature and key
_OBJECT_OVERHEAD = 11  # level, id, type, length and checksum


def is_tnef(content_type: str, filename: str | None) -> bool:
    return content_type in TNEF_TYPES or (filename or "").lower() == "winmail.dat"


def unpack(data: bytes) -> list[tuple[str, str, bytes]] | None:
    """The files in a TNEF blob as (filename, content type, data); None when it cannot be
    read or holds no file, and the part should be kept as it came."""
    if not data.startswith(_SIGNATURE) or _objects(data) > MAX_OBJECTS:
        return None
    try:
        parsed = TNEF(data, do_checksum=False)
        files = [(_name(item), item.data) for item in parsed.attachments if item.data]
    except Exception:  # a third-party decoder on hostile input: anything may go wrong
        log.info("winmail.dat kept as it came: tnefparse could not read it", exc_info=True)
        return None
    files = [(name, data) for name, data in files if isinstance(data, bytes) and data]
    if not files:
        return None
    return [(name, _type(name), content) for name, content in files]


def _objects(data: bytes) -> int:
    """How many attributes the blob claims, walked without copying."""
    count, offset = 0, _HEADER
    while offset + _OBJECT_OVERHEAD <= len(data) and count <= MAX_OBJECTS:
        (length,) = struct.unpack_from("<I", data, offset + 5)
        offset += _OBJECT_OVERHEAD + length
        count += 1
    return count


def _name(item: object) -> str:
    try:
        name = item.long_filename()  # type: ignore[attr-defined]
    except Exception:
        name = ""
    if isinstance(name, bytes):
        name = name.decode("cp1252", errors="replace")
    name = str(name or "").replace("\x00", "").strip()
    return name or "attachment"


def _type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"
