"""Time-aware listing status and list diffs (pure kernels).

A list file says who is on it on the day it was published, not since when (OFAC's SDN CSV has
no dates). So "was X listed on D?" is answered from the *versions* of a list that have been
loaded: the latest version published on or before D decides, and the run of versions containing
X bounds when X was added. Where a date is known from elsewhere — the UN list's ``LISTED_ON``,
an analyst's fact with its source — it gives the listing date, and it answers for days before
the first loaded version. Partial dates (``2023-12``) are intervals: a day inside one is
``unknown``, not guessed.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import polars as pl

Status = Literal["listed", "not_listed", "unknown"]


@dataclass(frozen=True, slots=True)
class VersionPresence:
    """Whether an identity is a listed target in one version of one list."""

    list_name: str
    list_date: date
    version_id: str
    present: bool


@dataclass(frozen=True, slots=True)
class ListingDate:
    """A dated listing from the record itself or an analyst's fact (ISO dates, may be partial)."""

    list_name: str
    start: str | None
    end: str | None
    source: str


@dataclass(frozen=True, slots=True)
class ListingStatus:
    """The answer for one list on one day, with the evidence in words."""

    list_name: str
    on: date
    status: Status
    since: str | None
    listed_from: str | None  # when not listed on the day: the earliest later evidence of listing
    evidence: str


def date_bounds(value: str) -> tuple[date, date]:
    """First and last day of an ISO date of any precision: ``2023-12`` → Dec 1 to Dec 31."""
    parts = [int(p) for p in value[:10].split("-")]
    if len(parts) == 1:
        return date(parts[0], 1, 1), date(parts[0], 12, 31)
    if len(parts) == 2:
        last = calendar.monthrange(parts[0], parts[1])[1]
        return date(parts[0], parts[1], 1), date(parts[0], parts[1], last)
    day = date(parts[0], parts[1], parts[2])
    return day, day


def _from_dates(list_name: str, on: date, dates: Sequence[ListingDate]) -> ListingStatus | None:
    dated = sorted((d for d in dates if d.start), key=lambda d: date_bounds(d.start or "")[0])
    if not dated:
        return None
    for d in dated:
        first, last = date_bounds(d.start or "")
        ended = d.end is not None and date_bounds(d.end)[1] < on
        if last <= on and not ended:
            return ListingStatus(list_name, on, "listed", d.start, None, f"listed from {d.start} ({d.source})")
        if first <= on <= last:
            return ListingStatus(
                list_name,
                on,
                "unknown",
                None,
                d.start,
                f"listed in {d.start} ({d.source}); the day is not known",
            )
    later = [d for d in dated if date_bounds(d.start or "")[0] > on]
    if later:
        d = later[0]
        return ListingStatus(list_name, on, "not_listed", None, d.start, f"listed only from {d.start} ({d.source})")
    return None


def listing_status(
    list_name: str,
    on: date,
    presences: Sequence[VersionPresence],
    dates: Sequence[ListingDate] = (),
) -> ListingStatus:
    """Was the identity on ``list_name`` on day ``on``? See the module docstring."""
    versions = sorted((p for p in presences if p.list_name == list_name), key=lambda p: p.list_date)
    dates = [d for d in dates if d.list_name == list_name]
    prior = [p for p in versions if p.list_date <= on]
    later_present = next((p for p in versions if p.list_date > on and p.present), None)
    dated = _from_dates(list_name, on, dates)
    if prior:
        last = prior[-1]
        if last.present:
            run_start, before = last, None
            for p in reversed(prior):
                if not p.present:
                    before = p
                    break
                run_start = p
            if dated is not None and dated.status == "listed":
                since = dated.since
            elif before is not None:
                since = f"between {before.list_date} and {run_start.list_date}"
            else:
                since = f"on or before {run_start.list_date}"
            return ListingStatus(
                list_name,
                on,
                "listed",
                since,
                None,
                f"on the list version of {last.list_date} ({last.version_id})",
            )
        listed_from = dated.listed_from if dated else None
        if listed_from is None and later_present is not None:
            listed_from = f"the version of {later_present.list_date}"
        return ListingStatus(
            list_name,
            on,
            "not_listed",
            None,
            listed_from,
            f"absent from the list version of {last.list_date} ({last.version_id})",
        )
    if dated is not None:
        return dated
    listed_from = f"the version of {later_present.list_date}" if later_present else None
    return ListingStatus(
        list_name,
        on,
        "unknown",
        None,
        listed_from,
        f"no version of {list_name} on or before {on} is loaded",
    )


def diff_versions(a: pl.DataFrame, b: pl.DataFrame) -> pl.DataFrame:
    """Entities added, removed and changed from version ``a`` to version ``b``.

    Both frames have the stored entity columns (entity_id, schema, caption, checksum); the
    result has entity_id, schema, caption and ``change`` (added / removed / changed), sorted.
    """
    cols = ["entity_id", "schema", "caption", "checksum"]
    joined = a.select(cols).join(b.select(cols), on="entity_id", how="full", suffix="_b", coalesce=True)
    change = (
        pl.when(pl.col("checksum").is_null())
        .then(pl.lit("added"))
        .when(pl.col("checksum_b").is_null())
        .then(pl.lit("removed"))
        .when(pl.col("checksum") != pl.col("checksum_b"))
        .then(pl.lit("changed"))
        .otherwise(None)
    )
    return (
        joined.with_columns(change=change)
        .filter(pl.col("change").is_not_null())
        .select(
            "entity_id",
            schema=pl.coalesce("schema_b", "schema"),
            caption=pl.coalesce("caption_b", "caption"),
            change="change",
        )
        .sort(["change", "schema", "caption", "entity_id"])
    )
