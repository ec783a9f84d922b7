"""Vessel identity history from static reports (AIS types 5 and 24, CSV static columns).

:func:`identity_history` gives, per MMSI and field, the runs of one value with the time it was
first and last reported and how many reports carried it. Type 24 part A carries only the name
and part B only the rest, so fields are treated independently and nulls mean "not reported".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from darkfleet.tracks.mid import flag_of

FIELDS = ("imo", "name", "callsign", "ship_type", "length_m", "width_m", "destination")

HISTORY_SCHEMA: dict[str, Any] = {"mmsi": pl.Int64, "field": pl.String, "value": pl.String,
                                  "first_seen": pl.Datetime("us", "UTC"),
                  "last_seen": pl.Datetime("us", "UTC"), "reports": pl.Int64, "run": pl.Int64}


def identity_history(statics: pl.DataFrame, fields: tuple[str, ...] = FIELDS) -> pl.DataFrame:
    present = [f for f in fields if f in statics.columns]
    if statics.height == 0 or not present:
        return pl.DataFrame(schema=HISTORY_SCHEMA)
    text = statics.select(
        "mmsi", "ts",
        *[pl.col(f).cast(pl.String).str.strip_chars().str.to_uppercase().alias(f) for f in present],
    )
    if "imo" in present:  # IMO 0 means "not available" in type 5
        text = text.with_columns(pl.when(pl.col("imo") == "0").then(None).otherwise(pl.col("imo")).alias("imo"))
    long = (text.unpivot(index=["mmsi", "ts"], on=present, variable_name="field", value_name="value")
            .filter(pl.col("value").is_not_null() & (pl.col("value") != ""))
            .sort("mmsi", "field", "ts"))
    change = ((pl.col("mmsi") != pl.col("mmsi").shift(1)) | (pl.col("field") != pl.col("field").shift(1))
              | (pl.col("value") != pl.col("value").shift(1))).fill_null(True)
    runs = (long.with_columns(run=change.cum_sum().cast(pl.Int64))
            .group_by("run", maintain_order=True)
            .agg(pl.col("mmsi").first(), pl.col("field").first(), pl.col("value").first(),
                 pl.col("ts").first().alias("first_seen"), pl.col("ts").last().alias("last_seen"),
                 pl.len().cast(pl.Int64).alias("reports")))
    return runs.select(list(HISTORY_SCHEMA))


def current_identity(statics: pl.DataFrame) -> pl.DataFrame:
    """One row per MMSI: the latest value of each field and the flag from the MID."""
    hist = identity_history(statics)
    latest = hist.sort("last_seen").group_by("mmsi", "field").agg(pl.col("value").last())
    wide = latest.pivot(on="field", index="mmsi", values="value").sort("mmsi")
    return wide.with_columns(flag_state=flag_of(wide["mmsi"].to_numpy()))


def imo_check_digit_valid(imo: pl.Expr) -> pl.Expr:
    """IMO ship numbers: 7 digits, the last equals Σ digit_i·(7−i) for i = 0..5, mod 10."""
    s = imo.cast(pl.String).str.zfill(7)
    total = sum(s.str.slice(i, 1).cast(pl.Int64, strict=False) * (7 - i) for i in range(6))
    return (s.str.len_chars() == 7) & (total % 10 == s.str.slice(6, 1).cast(pl.Int64, strict=False))


def imo_check_digit(imo6: int) -> int:
    digits = [int(c) for c in f"{imo6:06d}"]
    return int(np.dot(digits, [7, 6, 5, 4, 3, 2])) % 10
