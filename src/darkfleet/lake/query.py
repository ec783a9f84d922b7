"""DuckDB over the lake: one view per table, plain SQL on top."""

from __future__ import annotations

import duckdb

from darkfleet.lake import schema
from darkfleet.lake.store import Lake

TABLES = (*schema.DAY_PARTITIONED, "rejects", "sources")


def connect(lake: Lake, extra_views: dict[str, str] | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with a view for every table the lake holds.

    Views over tables with no files yet are views over an empty table of the database, with the
    table's columns, so that queries written for a full lake also run on a new one. A table rather
    than a registered Arrow object, because registrations are private to their connection and the
    web API reads through cursors.
    """
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for table in TABLES:
        pattern = lake.table_glob(table)
        if pattern is not None:
            hive = "true" if table != "sources" else "false"
            con.execute(
                f"CREATE VIEW {table} AS SELECT * FROM read_parquet("
                f"'{_quote(pattern)}', hive_partitioning={hive}, union_by_name=true)"
            )
        else:
            arrow_schema = schema.DAY_PARTITIONED.get(table) or (
                schema.REJECTS if table == "rejects" else schema.SOURCES
            )
            con.register("_empty", arrow_schema.empty_table())
            con.execute(f"CREATE TABLE _empty_{table} AS SELECT * FROM _empty")
            con.unregister("_empty")
            con.execute(f"CREATE VIEW {table} AS SELECT * FROM _empty_{table}")
    if "events" not in (extra_views or {}):  # always there, empty until `darkfleet detect` has run
        from darkfleet.events.store import events_view_sql

        con.execute(f"CREATE VIEW events AS {events_view_sql(lake)}")
    if "cleaned_out" not in (extra_views or {}):  # rows cleaning removed or re-assigned, with the reason
        from darkfleet.events.store import cleaned_out_view_sql

        con.execute(f"CREATE VIEW cleaned_out AS {cleaned_out_view_sql(lake)}")
    for name in ("detections", "sar_scenes", "sar_matches"):  # written by the imagery commands
        folder = lake.root / name
        if name not in (extra_views or {}) and folder.is_dir() and any(folder.rglob("*.parquet")):
            pattern = _quote(str(lake.root / name / "**" / "*.parquet"))
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{pattern}', "
                        "hive_partitioning=true, union_by_name=true)")
    matches = lake.root / "sanctions" / "matches.parquet"
    if matches.exists():
        con.execute(f"CREATE VIEW matches AS SELECT * FROM read_parquet('{_quote(str(matches))}')")
    for name, sql in (extra_views or {}).items():
        con.execute(f"CREATE VIEW {name} AS {sql}")
    return con


def _quote(s: str) -> str:
    return s.replace("'", "''")
