"""Ground truth of a generated world, and scoring detected events against it.

Truth rows: ``kind``, ``mmsi``, ``other_mmsi``, ``start``, ``end``, ``place_id`` and ``detail``
(the gap's dark window, the spoof's reason, the identity field). A detected event matches a
truth row of the same kind and vessel(s) (unordered for pairs) whose interval overlaps it
(widened by ``slack``), at the same place for port visits; each truth row and each detection
is used at most once (greedy, best overlap first). Truth the AIS cannot show (a port call made
with the transponder off: ``observable`` false) is left out of the score.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import polars as pl

TRUTH_SCHEMA: dict[str, Any] = {"kind": pl.String, "mmsi": pl.Int64, "other_mmsi": pl.Int64,
                "start": pl.Datetime("us", "UTC"), "end": pl.Datetime("us", "UTC"),
                "place_id": pl.String, "detail": pl.String, "observable": pl.Boolean}


@dataclass(frozen=True)
class Score:
    kind: str
    truth: int
    detected: int
    matched: int

    @property
    def precision(self) -> float:
        return self.matched / self.detected if self.detected else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.truth if self.truth else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def match(events: pl.DataFrame, truth: pl.DataFrame, kind: str,
          slack: timedelta = timedelta(hours=1)) -> tuple[Score, pl.DataFrame]:
    """Score one kind; also return the detections and truth rows left unmatched (for diagnosis)."""
    det = events.filter(pl.col("kind") == kind).with_row_index("d")
    tru = truth.filter((pl.col("kind") == kind) & pl.col("observable").fill_null(True)).with_row_index("t")
    for df_name in ("det", "tru"):
        df = det if df_name == "det" else tru
        df = df.with_columns(
            a=pl.min_horizontal("mmsi", pl.col("other_mmsi").fill_null(pl.col("mmsi"))),
            b=pl.max_horizontal("mmsi", pl.col("other_mmsi").fill_null(pl.col("mmsi"))),
        )
        if df_name == "det":
            det = df
        else:
            tru = df
    keys = ["a", "b"] if kind in ("encounter",) else ["mmsi"]
    cand = det.select("d", *keys, "start", "end", "place_id").join(
        tru.select("t", *keys, pl.col("start").alias("t_start"), pl.col("end").alias("t_end"),
                   pl.col("place_id").alias("t_place")), on=keys)
    cand = cand.filter((pl.col("start") <= pl.col("t_end") + slack) & (pl.col("end") >= pl.col("t_start") - slack))
    if kind == "port_visit":
        cand = cand.filter(pl.col("place_id") == pl.col("t_place"))
    if kind == "identity_change":  # the same kind of change
        change = pl.col("attributes").str.json_path_match("$.change").alias("dc")
        cand = (cand.join(det.select("d", change), on="d").join(tru.select("t", pl.col("detail").alias("tc")), on="t")
                .filter(pl.col("dc") == pl.col("tc")))
    if kind == "spoofing":  # pairs for cloned tracks, single vessels otherwise
        cand = cand.join(det.select("d", pl.col("b").alias("db")), on="d").join(
            tru.select("t", pl.col("b").alias("tb")), on="t").filter(pl.col("db") == pl.col("tb"))
    cand = cand.with_columns(
        overlap=(pl.min_horizontal("end", "t_end") - pl.max_horizontal("start", "t_start")).dt.total_seconds()
    ).sort("overlap", descending=True)
    used_d: set[int] = set()
    used_t: set[int] = set()
    for d, t in cand.select("d", "t").iter_rows():  # greedy one-to-one, best overlap first
        if d not in used_d and t not in used_t:
            used_d.add(d)
            used_t.add(t)
    unmatched = pl.concat([
        det.filter(~pl.col("d").is_in(list(used_d))).select("mmsi", "other_mmsi", "start", "end", "place_id")
        .with_columns(side=pl.lit("false_positive")),
        tru.filter(~pl.col("t").is_in(list(used_t))).select("mmsi", "other_mmsi", "start", "end", "place_id")
        .with_columns(side=pl.lit("missed")),
    ])
    return Score(kind, tru.height, det.height, len(used_d)), unmatched
