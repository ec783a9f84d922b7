import json
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

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


def _declared(rows: list[tuple[int | None, str | None, str, int | None, int | None]]) -> pl.DataFrame:
    from darkfleet.tracks.flags import normalise

    return normalise(pl.DataFrame(
        [{"mmsi": m, "imo": i, "flag": f, "source": "registry",
          "valid_from": None if a is None else T0 + timedelta(hours=a),
          "valid_to": None if b is None else T0 + timedelta(hours=b)} for m, i, f, a, b in rows],
        schema={"mmsi": pl.Int64, "imo": pl.String, "flag": pl.String, "source": pl.String,
                "valid_from": pl.Datetime("us", "UTC"), "valid_to": pl.Datetime("us", "UTC")}))


# (case, MMSI reporting IMO 9179842 at hours 0, 5 and 10, declarations, expected (old, new, start h, end h) or None)
FLAG_CASES = [
    ("MID agrees with the declared flag", 273000001, [(None, "9179842", "Russia", None, None)], None),
    ("declared by IMO, MID disagrees", 620000001, [(None, "9179842", "RU", None, None)], ("ru", "km", 0, 10)),
    ("declared by MMSI, name of a country", 620000001, [(620000001, None, "Russian Federation", None, None)],
     ("ru", "km", 0, 10)),
    ("a past flag on the list agrees", 620000001, [(None, "9179842", "ru", None, None),
                                                  (None, "9179842", "Comoros", None, None)], None),
    ("declaration holds only from hour 4", 620000001, [(None, "9179842", "ru", 4, None)], ("ru", "km", 5, 10)),
    ("reflagged at hour 6: agrees before, not after", 273000001, [(None, "9179842", "ru", None, 6),
                                                                 (None, "9179842", "km", 6, None)],
     ("km", "ru", 10, 10)),
    ("declaration over before the reports", 620000001, [(None, "9179842", "ru", None, -1)], None),
    ("territory MID agrees with its country", 236000001, [(None, "9179842", "United Kingdom", None, None)], None),
    ("territory MID agrees with itself", 236000001, [(None, "9179842", "Gibraltar", None, None)], None),
    ("no country in the declaration", 620000001, [(None, "9179842", "None Identified", None, None)], None),
    ("another vessel's IMO", 620000001, [(None, "9116632", "ru", None, None)], None),
    ("MMSI without a MID", 100000001, [(100000001, None, "ru", None, None)], None),
]


@pytest.mark.parametrize(("case", "mmsi", "declared", "expected"), FLAG_CASES, ids=[c[0] for c in FLAG_CASES])
def test_flag_mid_mismatch(case: str, mmsi: int, declared: list, expected: tuple | None) -> None:
    st = _statics([(mmsi, h, "X", 9179842, None) for h in (0, 5, 10)])
    ev = detect_identity_changes(st, IdentityParams(), _declared(declared))
    found = ev.filter(pl.col("attributes").str.contains("flag_mid_mismatch"))
    if expected is None:
        assert found.height == 0, case
        return
    assert found.height == 1, case
    row = found.row(0, named=True)
    a = json.loads(row["attributes"])
    old, new, h0, h1 = expected
    assert (a["old"], a["new"]) == (old, new)
    assert (row["start"], row["end"]) == (T0 + timedelta(hours=h0), T0 + timedelta(hours=h1))
    assert a["declared_by"].startswith("registry (by ") and f"declares flag {old}" in a["reason"]


def test_flag_column_in_reports() -> None:
    st = _statics([(620000001, 0, "X", None, None), (620000001, 5, "X", None, None)]).with_columns(
        flag=pl.Series(["Comoros", "Panama"]))
    ev = detect_identity_changes(st, IdentityParams())
    a = [json.loads(x) for x in ev["attributes"]]
    assert [(x["change"], x["old"], x["new"]) for x in a] == [("flag_mid_mismatch", "pa", "km")]
    assert ev["start"][0] == T0 + timedelta(hours=5)


def test_every_identity_event_has_a_reason() -> None:
    st = _statics([(273000001, 0, "ANGARA", 9179842, None), (273000001, 6, "SPARTA", 9179843, None)])
    reasons = [json.loads(a)["reason"] for a in detect_identity_changes(st, IdentityParams())["attributes"]]
    assert "name changed from ANGARA to SPARTA" in reasons and "IMO 9179843 fails its check digit" in reasons
