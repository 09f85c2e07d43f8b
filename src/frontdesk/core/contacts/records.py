"""The people who write to an account: its customers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Contact:
    id: int
    account_id: int
    email: str
    name: str | None
    phone: str | None
    company: str | None
    external_id: str | None
    created: int
