"""Images for tests, written by hand (the project has no imaging library): real PNGs that
a browser draws, and the first bytes of the other formats a logo may be."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

Pixel = Callable[[int, int], tuple[int, int, int, int]]

# The first bytes of each format, which is all a type check reads.
JPEG_START = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
WEBP_START = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32


def drawn_png(width: int, height: int, pixel: Pixel) -> bytes:
    """An RGBA PNG whose every pixel `pixel(x, y)` gives."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )  # fmt: skip


def png(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (20, 90, 160)) -> bytes:
    """A PNG of one colour."""
    return drawn_png(width, height, lambda _x, _y: (*rgb, 255))
