from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from darkfleet.tracks.identity import current_identity, identity_history, imo_check_digit, imo_check_digit_valid

T0 = datetime(2023, 8, 1, tzinfo=UTC)


def statics(rows: list[tuple[int, int, str | None, int | None, str | None]]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"mmsi": m, "ts": T0 + timedelta(hours=h), "name": n, "imo": i, "callsign": c} for m, h, n, i, c in rows],
        schema={"mmsi": pl.Int64, "ts": pl.Datetime("us", "UTC"), "name": pl.String, "imo": pl.Int64,
                "callsign": pl.String},
    )


def test_history_runs_ignore_missing_fields() -> None:
    df = statics([(1, 0, "ANGARA", 9179842, None), (1, 1, None, None, "UBRH7"), (1, 2, "angara ", 9179842, "UBRH7"),
                  (1, 3, "MARIA", 0, "UBRH7")])
    h = identity_history(df, ("name", "imo", "callsign"))
    names = h.filter(pl.col("field") == "name")
    assert names["value"].to_list() == ["ANGARA", "MARIA"]  # trimmed, upper-cased
    assert names["reports"].to_list() == [2, 1]
    assert names["last_seen"][0] == T0 + timedelta(hours=2)
    assert h.filter(pl.col("field") == "imo")["value"].to_list() == ["9179842"]  # IMO 0 = not available
    cur = current_identity(df)
    assert cur.row(0, named=True)["name"] == "MARIA"


@pytest.mark.parametrize(("imo", "valid"), [(9179842, True), (8517839, True), (9116632, True),
                                            (9179843, False), (123, False), (12345678, False)])
def test_imo_check_digit(imo: int, valid: bool) -> None:
    assert pl.select(imo_check_digit_valid(pl.lit(imo))).item() is valid


def test_imo_check_digit_value() -> None:
    assert imo_check_digit(917984) == 2  # ANGARA, IMO 9179842
