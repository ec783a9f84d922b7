import json
from datetime import UTC, datetime, timedelta

import polars as pl

from darkfleet.events.identity import IdentityParams, detect_identity_changes

T0 = datetime(2023, 8, 1, tzinfo=UTC)


def _statics(rows: list[tuple[int, int, str | None, int | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"mmsi": m, "ts": T0 + timedelta(hours=h), "name": n, "imo": i, "callsign": c} for m, h, n, i, c in rows],
        schema={"mmsi": pl.Int64, "ts": pl.Datetime("us", "UTC"), "name": pl.String, "imo": pl.Int64,
                "callsign": pl.String})


def _changes(ev: pl.DataFrame) -> list[tuple[int, str, str | None, str | None]]:
    out = []
    for row in ev.iter_rows(named=True):
        a = json.loads(row["attributes"])
        out.append((row["mmsi"], a["change"], a["old"], a["new"]))
    return sorted(out, key=str)


def test_rename_and_callsign_change() -> None:
    st = _statics([(273000001, 0, "ANGARA", 9179842, "UBAA1"), (273000001, 3, "ANGARA", 9179842, "UBAA1"),
                   (273000001, 6, "SPARTA", 9179842, "UBZZ9")])
    ev = detect_identity_changes(st, IdentityParams())
    assert _changes(ev) == [(273000001, "callsign", "UBAA1", "UBZZ9"), (273000001, "name", "ANGARA", "SPARTA")]
    assert ev["start"].to_list() == [T0 + timedelta(hours=3)] * 2 and ev["id"].n_unique() == 2


def test_blip_is_a_conflict_not_two_changes() -> None:
    st = _statics([(1, 0, "MARIA", None, None), (1, 1, "MARIA", None, None), (1, 2, "MAR1A", None, None),
                   (1, 3, "MARIA", None, None)])
    assert _changes(detect_identity_changes(st, IdentityParams())) == [(1, "conflicting_reports", "MARIA", "MAR1A")]


def test_imo_under_two_mmsis_with_flags_and_bad_check_digit() -> None:
    st = _statics([(273000001, 0, "X", 9179842, None), (613000001, 10, "X", 9179842, None),
                   (413000001, 0, "Y", 9179843, None)])
    ev = detect_identity_changes(st, IdentityParams())
    shared = ev.filter(pl.col("attributes").str.contains("imo_shared")).row(0, named=True)
    assert (shared["mmsi"], shared["other_mmsi"]) == (613000001, 273000001)
    a = json.loads(shared["attributes"])
    assert a["flag"].startswith("Cameroon") and a["other_flag"] == "Russian Federation"
    assert _changes(ev.filter(pl.col("mmsi") == 413000001)) == [(413000001, "imo_check_digit", None, "9179843")]
