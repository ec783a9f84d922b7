"""Paging for every list endpoint: ``limit`` (default 100, at most 1000) and ``offset``; the answer
is ``{"items": [...], "total": N, "limit": L, "offset": O}``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_OFFSET = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int

    def of(self, items: Sequence[Any]) -> dict[str, Any]:
        """The page of a list held in full."""
        return self.wrap(list(items[self.offset:self.offset + self.limit]), len(items))

    def wrap(self, items: list[Any], total: int) -> dict[str, Any]:
        """A page already cut (e.g. by SQL LIMIT / OFFSET), with the total before cutting."""
        return {"items": items, "total": total, "limit": self.limit, "offset": self.offset}


def paging(limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
           offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0) -> Page:
    return Page(limit, offset)


Paging = Annotated[Page, Depends(paging)]
