"""Identity changes and identity-fraud signs, from the static reports.

Reasons (``attributes.change``):

* ``name``, ``imo``, ``callsign``: the value reported by one MMSI changed (start = last report
  of the old value, end = first report of the new one). A change that reverts within
  ``conflict_max_reports`` reports is ``conflicting_reports`` instead (two transmitters, or a
  mistyped entry), not a real change.
* ``imo_shared``: one IMO under several MMSIs; flagged on the later MMSI, ``other_mmsi`` the
  earlier one, with both MID flags (a new MMSI with a new MID is how a reflagging shows).
* ``imo_check_digit``: an IMO number whose check digit is wrong (fabricated or mistyped).
* ``flag_mid_mismatch``: the flag the MMSI's MID implies is not the flag declared for the vessel
  (:mod:`darkfleet.tracks.flags`: a sanctions list, a registry file, a ``flag`` column in the
  reports), keyed by the MMSI itself or by the IMO number it reports, while the declaration
  holds. A false flag, or a reflagging the MMSI did not follow. A territory's MID is consistent
  with its own code and with its country's (Gibraltar's 236 with ``gi`` and ``gb``); a vessel's
  past flags on a list count as declared (its MMSI may predate the reflagging). Start and end:
  the reports the check rests on.

Every event carries ``reason``, a sentence saying what was seen. Every MMSI's statics are needed
together, and ``imo_shared`` needs all MMSIs at once; static reports are small next to positions,
so engines run this kernel on the whole statics table.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from darkfleet.events.schema import empty_events, finish
from darkfleet.tracks.flags import DECLARED_SCHEMA, from_statics
from darkfleet.tracks.identity import identity_history, imo_check_digit_valid
from darkfleet.tracks.mid import flag_code_of, flag_of, mid_of, parent_code_of

DETECTOR = "identity/1"
TRACKED = ("name", "imo", "callsign")


@dataclass(frozen=True)
class IdentityParams:
    conflict_max_reports: int = 1
    min_reports: int = 1  # a value must be reported this often to count as an identity

    def __post_init__(self) -> None:
        if self.conflict_max_reports < 0 or self.min_reports < 1:
            raise ValueError("conflict_max_reports ≥ 0 and min_reports ≥ 1 required")


def detect_identity_changes(statics: pl.DataFrame, params: IdentityParams,
                            declared: pl.DataFrame | None = None) -> pl.DataFrame:
    """Identity-change events from the static reports; ``declared``: flags declared for vessels
    (``DECLARED_SCHEMA``), checked against the MIDs together with any ``flag`` column of ``statics``."""
    hist = identity_history(statics, TRACKED)
    if hist.height == 0 and (declared is None or declared.height == 0) and "flag" not in statics.columns:
        return empty_events()  # (reports with only a flag still have it checked against the MID)
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
    decl = [d.select(list(DECLARED_SCHEMA)).cast(DECLARED_SCHEMA)  # type: ignore[arg-type]
            for d in (declared, from_statics(statics))
            if d is not None and d.height]
    mismatch = flag_mismatches(statics, pl.concat(decl)) if decl else None
    out = pl.concat([changes.with_columns(other_mmsi=pl.lit(None, pl.Int64)), shared,
                     bad.with_columns(other_mmsi=pl.lit(None, pl.Int64)),
                     *([mismatch] if mismatch is not None else [])], how="diagonal_relaxed")
    if out.height == 0:
        return empty_events()
    out = out.with_columns(
        lon=pl.lit(None, pl.Float64), lat=pl.lit(None, pl.Float64),
        end_lon=pl.lit(None, pl.Float64), end_lat=pl.lit(None, pl.Float64),
        source_rows=pl.lit([], pl.List(pl.String)),
        flag=flag_of(out["mmsi"].to_numpy()),
        other_flag=flag_of(out["other_mmsi"].fill_null(0).to_numpy()),
    )
    for col, dtype in (("declared_by", pl.String), ("mid", pl.Int32)):
        if col not in out.columns:
            out = out.with_columns(pl.lit(None, dtype).alias(col))
    out = out.with_columns(reason=_reason())
    return finish(out, "identity_change", DETECTOR, params,
                  ["change", "field", "old", "new", "flag", "other_flag", "declared_by", "reason"],
                  id_fields=("change", "field"))


def _reason() -> pl.Expr:
    c, old, new = pl.col("change"), pl.col("old"), pl.col("new")
    return (pl.when(c == "conflicting_reports").then(pl.format("{} reported as {} between reports of {}",
                                                               pl.col("field"), new, old))
            .when(c == "imo_shared").then(pl.format("IMO {} was reported before by MMSI {} ({})", new, old,
                                                    pl.col("other_flag").fill_null("unknown flag")))
            .when(c == "imo_check_digit").then(pl.format("IMO {} fails its check digit", new))
            .when(c == "flag_mid_mismatch").then(pl.format(
                "MMSI {} has MID {} ({}, {}), but {} declares flag {}", pl.col("mmsi"), pl.col("mid"),
                pl.col("flag").fill_null("unknown"), new, pl.col("declared_by"), old))
            .otherwise(pl.format("{} changed from {} to {}", pl.col("field"), old, new)))


def flag_mismatches(statics: pl.DataFrame, declared: pl.DataFrame) -> pl.DataFrame:
    """One row per (MMSI, declaring source): the reports at which the MID's flag is none of the
    flags that source declares for the vessel (by its MMSI, or by the IMO the report carries)."""
    reports = statics.select("mmsi", "ts", (pl.col("imo").cast(pl.String).str.zfill(7) if "imo" in statics.columns
                                            else pl.lit(None, pl.String)).alias("imo"))
    evidence = pl.concat([
        reports.join(declared.filter(pl.col("mmsi").is_not_null()).drop("imo"), on="mmsi")
        .with_columns(via=pl.lit("mmsi")).drop("imo"),
        reports.join(declared.filter(pl.col("imo").is_not_null()).drop("mmsi"), on="imo")
        .with_columns(via=pl.format("imo {}", pl.col("imo"))).drop("imo"),
    ], how="diagonal_relaxed")
    evidence = evidence.filter(pl.col("valid_from").fill_null(pl.col("ts")) <= pl.col("ts"),
                               pl.col("valid_to").fill_null(pl.col("ts")) >= pl.col("ts"))
    if evidence.height == 0:
        return pl.DataFrame()
    m = evidence["mmsi"].to_numpy()
    evidence = evidence.with_columns(mid=pl.Series(mid_of(m)), mid_flag=flag_code_of(m), parent=parent_code_of(m))
    agrees = ((pl.col("flag") == pl.col("mid_flag")) | (pl.col("flag") == pl.col("parent"))).fill_null(False)
    per_report = (evidence.filter(pl.col("mid_flag").is_not_null())
                  .group_by("mmsi", "source", "ts")
                  .agg(agrees.any().alias("agrees"), pl.col("flag").filter(~agrees), pl.col("via"),
                       pl.col("mid_flag").first(), pl.col("mid").first())
                  .filter(~pl.col("agrees")))
    return (per_report.explode("flag", "via").group_by("mmsi", "source")
            .agg(pl.col("ts").min().alias("start"), pl.col("ts").max().alias("end"),
                 pl.col("flag").unique().sort().str.join("/").alias("old"), pl.col("mid_flag").first().alias("new"),
                 pl.col("mid").first(), pl.col("via").unique().sort().str.join(", ").alias("via"))
            .select("mmsi", "start", "end", pl.lit("flag_mid_mismatch").alias("change"), pl.lit("flag").alias("field"),
                    "old", "new", "mid", pl.format("{} (by {})", pl.col("source"), pl.col("via")).alias("declared_by"),
                    pl.lit(None, pl.Int64).alias("other_mmsi"))
            .sort("mmsi", "declared_by"))


def _imo_shared(hist: pl.DataFrame) -> pl.DataFrame:
    imo = (hist.filter(pl.col("field") == "imo").group_by("value", "mmsi")
           .agg(pl.col("first_seen").min(), pl.col("last_seen").max()).sort("value", "first_seen", "mmsi"))
    return (imo.with_columns(other_mmsi=pl.col("mmsi").shift(1).over("value"),
                             other_last=pl.col("last_seen").shift(1).over("value"))
            .filter(pl.col("other_mmsi").is_not_null())
            .select("mmsi", "other_mmsi", pl.col("other_last").alias("start"), pl.col("first_seen").alias("end"),
                    pl.lit("imo_shared").alias("change"), pl.lit("imo").alias("field"),
                    pl.col("other_mmsi").cast(pl.String).alias("old"), pl.col("value").alias("new")))
