"""A small TNEF (winmail.dat) writer for the tests, from the format's description
(MS-OXTNEF): a signature, a key, then attributes of (level, id, type, length, data,
checksum). Enough for the attributes Outlook writes for a message with attachments."""

from __future__ import annotations

import struct

SIGNATURE = 0x223E9F78
MESSAGE, ATTACHMENT = 1, 2
# (id, type) of the attributes written here
TNEF_VERSION = (0x9006, 0x0008)
OEM_CODEPAGE = (0x9007, 0x0006)
MESSAGE_CLASS = (0x8008, 0x0007)
ATTACH_RENDDATA = (0x9002, 0x0006)
ATTACH_TITLE = (0x8010, 0x0001)
ATTACH_DATA = (0x800F, 0x0006)


def attribute(level: int, kind: tuple[int, int], data: bytes) -> bytes:
    name, type_ = kind
    checksum = sum(data) & 0xFFFF
    return struct.pack("<BHHI", level, name, type_, len(data)) + data + struct.pack("<H", checksum)


def winmail(files: list[tuple[str, bytes]]) -> bytes:
    out = struct.pack("<IH", SIGNATURE, 0x1234)
    out += attribute(MESSAGE, TNEF_VERSION, struct.pack("<I", 0x00010000))
    out += attribute(MESSAGE, OEM_CODEPAGE, struct.pack("<II", 1252, 0))
    out += attribute(MESSAGE, MESSAGE_CLASS, b"IPM.Microsoft Mail.Note\x00")
    for name, data in files:
        out += attribute(ATTACHMENT, ATTACH_RENDDATA, bytes(14))
        out += attribute(ATTACHMENT, ATTACH_TITLE, name.encode("cp1252") + b"\x00")
        out += attribute(ATTACHMENT, ATTACH_DATA, data)
    return out
