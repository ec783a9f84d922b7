"""Screen every vessel identity seen in the lake's AIS statics; write ``sanctions/matches.parquet``.

An identity is one (MMSI, IMO, name) as broadcast in static reports, with the call sign and
ship type most often sent with that MMSI and when it was first and last seen. Each alert's
listing status is taken on the day the identity was last seen: was it listed *when it sailed*.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from darkfleet.lake.store import write_parquet
from darkfleet.sanctions.screen import ScreenParams, screen_vessels
from darkfleet.sanctions.service import Knowledge, node_statuses

IDENTITIES_SQL = """
WITH s AS (
    SELECT mmsi, ts, imo, nullif(trim(name), '') AS name,
           nullif(trim(callsign), '') AS callsign, ship_type
    FROM read_parquet(?, hive_partitioning = true)
),
per_mmsi AS (
    SELECT mmsi, mode(callsign) AS callsign, mode(ship_type) AS ship_type FROM s GROUP BY mmsi
)
SELECT s.mmsi, s.imo, s.name,
       coalesce(s.callsign, p.callsign) AS callsign,
       coalesce(s.ship_type, p.ship_type) AS ship_type,
       min(s.ts) AS first_seen, max(s.ts) AS last_seen, count(*) AS messages
FROM s JOIN per_mmsi p USING (mmsi)
WHERE s.name IS NOT NULL OR s.imo IS NOT NULL
GROUP BY ALL
ORDER BY s.mmsi, s.imo NULLS FIRST, s.name
"""


class NoStaticsError(FileNotFoundError):
    pass


def read_identities(lake: Path) -> pl.DataFrame:
    """Vessel identities from ``<lake>/statics/**/*.parquet`` (see module docstring)."""
    statics = Path(lake) / "statics"
    if not statics.is_dir() or not any(statics.rglob("*.parquet")):
        raise NoStaticsError(
            f"{statics}: no AIS static reports in this lake; ingest AIS first "
            "(screening every identity needs the statics table)"
        )
    with duckdb.connect() as con:
        table = con.execute(IDENTITIES_SQL, [str(statics / "**" / "*.parquet")]).to_arrow_table()
    df = pl.from_arrow(table)
    assert isinstance(df, pl.DataFrame)
    return df.with_row_index("query_id").with_columns(pl.col("query_id").cast(pl.Int64))


def screen_identities(k: Knowledge, identities: pl.DataFrame, params: ScreenParams | None = None) -> pl.DataFrame:
    """Matches of every identity, with the listing status on its last-seen day for alerts."""
    queries = identities.select(
        "query_id",
        "name",
        imo=pl.col("imo").cast(pl.String),
        mmsi=pl.col("mmsi").cast(pl.String),
        callsign="callsign",
        ship_type=pl.col("ship_type").cast(pl.String),
    )
    matches = screen_vessels(queries, k.index, params)
    out = identities.rename({"name": "ais_name", "imo": "ais_imo"}).join(matches, on="query_id", how="inner")
    statuses: list[str | None] = []
    for row in out.select("entity_id", "alert", "last_seen").iter_rows(named=True):
        if not row["alert"]:
            statuses.append(None)
            continue
        day: date = row["last_seen"].date()
        found = node_statuses(k, k.graph.node_of[row["entity_id"]], day)
        statuses.append("; ".join(f"{s.list_name}: {s.status} ({s.evidence})" for s in found))
    return out.with_columns(status_on_last_seen=pl.Series(statuses, dtype=pl.String))


def write_matches(lake: Path, matches: pl.DataFrame) -> Path:
    """Write the matches table, replacing the previous one atomically."""
    return write_parquet(matches, Path(lake) / "sanctions" / "matches.parquet")
