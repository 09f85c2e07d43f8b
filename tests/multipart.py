"""Multipart bodies built by hand, with a boundary the test chooses: a client's retry
draws a fresh boundary, and the Idempotency-Key tests must show that it still counts."""

from __future__ import annotations


def form(
    boundary: str, field: str, filename: str, data: bytes, **fields: str
) -> tuple[bytes, dict[str, str]]:
    """One file under `field`, then the plain `fields`; the body and its Content-Type."""
    mark = f"--{boundary}\r\n".encode()
    parts = [
        mark
        + f'Content-Disposition: form-data; name="{field}"; filename="{filename}"\r\n'.encode()
        + b"Content-Type: application/octet-stream\r\n\r\n"
        + data
        + b"\r\n"
    ]
    parts += [
        mark + f'Content-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}
