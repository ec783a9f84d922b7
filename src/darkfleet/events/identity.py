"""Identity changes and identity-fraud signs, from the static reports.

Reasons (``attributes.change``):

* ``name``, ``imo``, ``callsign``: the value reported by one MMSI changed (start = last report
  of the old value, end = first report of the new one). A change that reverts within
  ``conflict_max_reports`` reports is ``conflicting_reports`` instead (two transmitters, or a
  mistyped entry), not a real change.
* ``imo_shared``: one IMO under several MMSIs; flagged on the later MMSI, ``other_mmsi`` the
  earlier one, with both MID flags (a new MMSI with a new MID is how a reflagging shows).
* ``imo_check_digit``: an IMO number whose check digit is wrong (fabricated or mistyped).

Every MMSI's statics are needed together, and ``imo_shared`` needs all MMSIs at once; static
reports are small next to positions, so engines run this kernel on the whole statics table.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from darkfleet.events.schema import empty_events, finish
from darkfleet.tracks.identity import identity_history, imo_check_digit_valid
from darkfleet.tracks.mid import flag_of

DETECTOR = "identity/1"
TRACKED = ("name", "imo", "callsign")


@dataclass(frozen=True)
class IdentityParams:
    conflict_max_reports: int = 1
    min_reports: int = 1  # a value must be reported this often to count as an identity

    def __post_init__(self) -> None:
        if self.conflict_max_reports < 0 or self.min_reports < 1:
            raise ValueError("conflict_max_reports ≥ 0 and min_reports ≥ 1 required")


def detect_identity_changes(statics: pl.DataFrame, params: IdentityParams) -> pl.DataFrame:
    hist = identity_history(statics, TRACKED)
    if hist.height == 0:
        return empty_events()
    hist = hist.filter(pl.col("reports") >= params.min_reports).sort("mmsi", "field", "first_seen")
    by = ["mmsi", "field"]
    h = hist.with_columns(
        prev_value=pl.col("value").shift(1).over(by), prev_last=pl.col("last_seen").shift(1).over(by),
        next_value=pl.col("value").shift(-1).over(by),
    )
    changes = h.filter(pl.col("prev_value").is_not_null() & (pl.col("prev_value") != pl.col("value")))
    # the B of A-B-A with few B reports is a conflict; the B→A step back is then not a change either
    blip = (pl.col("next_value") == pl.col("prev_value")) & (pl.col("reports") <= params.conflict_max_reports)
    back = (h.with_columns(_blip_before=blip.shift(1).over(by).fill_null(False))
            .filter(pl.col("prev_value").is_not_null() & pl.col("_blip_before"))["run"])
    changes = changes.filter(~pl.col("run").is_in(back.implode()))
    changes = changes.with_columns(change=pl.when(blip).then(pl.lit("conflicting_reports")).otherwise(pl.col("field")))
    changes = changes.select(
        "mmsi", pl.col("prev_last").alias("start"), pl.col("first_seen").alias("end"), "change", "field",
        pl.col("prev_value").alias("old"), pl.col("value").alias("new"),
    )
    shared = _imo_shared(hist)
    bad = (hist.filter((pl.col("field") == "imo") & ~imo_check_digit_valid(pl.col("value")).fill_null(False))
           .select("mmsi", pl.col("first_seen").alias("start"), pl.col("first_seen").alias("end"),
                   pl.lit("imo_check_digit").alias("change"), "field", pl.lit(None, pl.String).alias("old"),
                   pl.col("value").alias("new")))
    out = pl.concat([changes.with_columns(other_mmsi=pl.lit(None, pl.Int64)), shared,
                     bad.with_columns(other_mmsi=pl.lit(None, pl.Int64))], how="diagonal_relaxed")
    if out.height == 0:
        return empty_events()
    out = out.with_columns(
        lon=pl.lit(None, pl.Float64), lat=pl.lit(None, pl.Float64),
        end_lon=pl.lit(None, pl.Float64), end_lat=pl.lit(None, pl.Float64),
        source_rows=pl.lit([], pl.List(pl.String)),
        flag=flag_of(out["mmsi"].to_numpy()),
        other_flag=flag_of(out["other_mmsi"].fill_null(0).to_numpy()),
    )
    return finish(out, "identity_change", DETECTOR, params, ["change", "field", "old", "new", "flag", "other_flag"],
                  id_fields=("change", "field"))


def _imo_shared(hist: pl.DataFrame) -> pl.DataFrame:
    imo = (hist.filter(pl.col("field") == "imo").group_by("value", "mmsi")
           .agg(pl.col("first_seen").min(), pl.col("last_seen").max()).sort("value", "first_seen", "mmsi"))
    return (imo.with_columns(other_mmsi=pl.col("mmsi").shift(1).over("value"),
                             other_last=pl.col("last_seen").shift(1).over("value"))
            .filter(pl.col("other_mmsi").is_not_null())
            .select("mmsi", "other_mmsi", pl.col("other_last").alias("start"), pl.col("first_seen").alias("end"),
                    pl.lit("imo_shared").alias("change"), pl.lit("imo").alias("field"),
                    pl.col("other_mmsi").cast(pl.String).alias("old"), pl.col("value").alias("new")))
