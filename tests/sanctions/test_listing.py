"""Time-aware listing status (table-driven) and list diffs."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest

from darkfleet.sanctions.listing import (
    ListingDate,
    VersionPresence,
    date_bounds,
    diff_versions,
    listing_status,
)

L = "us_ofac_sdn"
V1 = VersionPresence(L, date(2023, 9, 1), "v1", False)
V2 = VersionPresence(L, date(2024, 5, 3), "v2", True)
FACT = ListingDate(L, "2023-12", None, "REFERENCE-CASE.md")


@pytest.mark.parametrize(
    ("on", "presences", "dates", "status", "since", "listed_from"),
    [
        # MARIA: absent from the 2023-09-01 copy, present in 2024-05-03.
        (date(2023, 9, 1), [V1, V2], [], "not_listed", None, "the version of 2024-05-03"),
        (date(2024, 6, 1), [V1, V2], [], "listed", "between 2023-09-01 and 2024-05-03", None),
        # With the analyst's dated fact the listing date is known.
        (date(2023, 9, 1), [V1, V2], [FACT], "not_listed", None, "2023-12"),
        (date(2024, 6, 1), [V1, V2], [FACT], "listed", "2023-12", None),
        # Only the 2024 copy loaded: before it, versions cannot say; the fact can.
        (date(2023, 9, 1), [V2], [], "unknown", None, "the version of 2024-05-03"),
        (date(2023, 9, 1), [V2], [FACT], "not_listed", None, "2023-12"),
        (date(2023, 12, 15), [V2], [FACT], "unknown", None, "2023-12"),  # inside the month
        (date(2024, 1, 2), [V2], [FACT], "listed", "2023-12", None),
        (date(2024, 6, 1), [V2], [], "listed", "on or before 2024-05-03", None),
        (date(2024, 6, 1), [], [], "unknown", None, None),
        # Delisted: the later version decides.
        (date(2024, 6, 1), [V1.__class__(L, date(2023, 9, 1), "v1", True),
                            V2.__class__(L, date(2024, 5, 3), "v2", False)], [],
         "not_listed", None, None),
        # A dated listing that ended.
        (date(2024, 6, 1), [], [ListingDate(L, "2020-01-01", "2022-01-01", "x")], "unknown",
         None, None),
    ],
)  # fmt: skip
def test_listing_status(on, presences, dates, status, since, listed_from):
    got = listing_status(L, on, presences, dates)
    assert (got.status, got.since, got.listed_from) == (status, since, listed_from), got.evidence


def test_date_bounds():
    assert date_bounds("2023-12") == (date(2023, 12, 1), date(2023, 12, 31))
    assert date_bounds("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert date_bounds("2023") == (date(2023, 1, 1), date(2023, 12, 31))
    assert date_bounds("2023-09-01") == (date(2023, 9, 1), date(2023, 9, 1))


def test_diff_versions():
    a = pl.DataFrame({"entity_id": ["1", "2", "3"], "schema": ["Vessel"] * 3,
                      "caption": ["A", "B", "C"], "checksum": ["x", "y", "z"]})  # fmt: skip
    b = pl.DataFrame({"entity_id": ["2", "3", "4"], "schema": ["Vessel"] * 3,
                      "caption": ["B", "C2", "D"], "checksum": ["y", "z2", "w"]})  # fmt: skip
    got = {(r["entity_id"], r["change"]) for r in diff_versions(a, b).iter_rows(named=True)}
    assert got == {("1", "removed"), ("3", "changed"), ("4", "added")}
