"""Domain errors carry a stable machine code; each dialect renders them in its own envelope."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the core raises on purpose."""

    kind = "error"

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class Invalid(DomainError):
    """The request is well-formed but its values break a rule."""

    kind = "invalid"


class NotFound(DomainError):
    """The object does not exist, or belongs to another account (never told apart)."""

    kind = "not_found"


class Forbidden(DomainError):
    """The caller is known but may not do this."""

    kind = "forbidden"


class Unauthenticated(DomainError):
    """No credential, or one that does not match."""

    kind = "unauthenticated"


class Conflict(DomainError):
    """The object's current state does not allow the change."""

    kind = "conflict"


class TooLarge(DomainError):
    """A body or file is over its size limit."""

    kind = "too_large"


class TooMany(DomainError):
    """Too many attempts in a while; `retry_after` says how many seconds to wait."""

    kind = "rate_limited"

    def __init__(self, code: str, message: str, *, retry_after: int = 1) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after
