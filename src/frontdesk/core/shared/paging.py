"""Pages and time windows, as every listing uses them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Window:
    """An inclusive range of millisecond timestamps; None leaves that side open."""

    start: int | None = None
    end: int | None = None


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    more: bool  # rows follow the last item
