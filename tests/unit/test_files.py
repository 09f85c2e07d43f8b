from __future__ import annotations

import pytest

from frontdesk.core.tickets.attachments import FALLBACK_NAME, safe_name, sniff_type

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("report\x00.pdf", "report.pdf"),
        ("in\r\nvoice.pdf", "invoice.pdf"),
        ("...", FALLBACK_NAME),
        (".htaccess", "htaccess"),
        ("", FALLBACK_NAME),
        ("Résumé 2020.pdf", "Résumé 2020.pdf"),
    ],
)
def test_safe_name_strips_paths_and_control_characters(given: str, expected: str) -> None:
    assert safe_name(given) == expected


def test_safe_name_truncates_but_keeps_the_extension() -> None:
    name = safe_name("a" * 400 + ".pdf")
    assert len(name) == 255 and name.endswith(".pdf")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PNG, "image/png"),
        (PDF, "application/pdf"),
        ("hej på dig\n".encode(), "text/plain"),
        (b"\x00\x01\x02\x03binary", "application/octet-stream"),
        (b"\xff\xfe\xfa not utf8 at all" * 10, "application/octet-stream"),
    ],
)
def test_sniff_type_reads_the_bytes(data: bytes, expected: str) -> None:
    assert sniff_type(data) == expected
