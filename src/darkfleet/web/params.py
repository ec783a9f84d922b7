"""Request values shared by several routers: times (UTC, within a sane range) and ids."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator, AwareDatetime

FIRST_YEAR, LAST_YEAR = 1900, 2199


def in_range(when: datetime) -> datetime:
    """UTC (naive times are read as UTC), in the years 1900-2199: anything else is a typo."""
    if not FIRST_YEAR <= when.year <= LAST_YEAR:
        raise ValueError(f"time {when.isoformat()} is not between {FIRST_YEAR} and {LAST_YEAR}")
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


UtcTime = Annotated[datetime, AfterValidator(in_range)]
AwareUtcTime = Annotated[AwareDatetime, AfterValidator(in_range)]
When = Annotated[UtcTime | None, Query(description="ISO 8601 UTC time, e.g. 2023-08-15T00:00:00Z.")]
