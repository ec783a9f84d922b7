"""The built-in demo.

Until the reference-case scenario lands, the demo ingests the real public AIS samples in the
shared data folder (NMEA captures from gpsd, libais, pyais, GFW ais-tools and AISdb; NOAA and
DMA CSV exports) into a fresh lake, twice, to show that the second run adds nothing, and prints
what the lake then holds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from rich.console import Console
from rich.table import Table

from darkfleet.lake.ingest import IngestOptions, expand_paths, ingest
from darkfleet.lake.query import connect
from darkfleet.lake.store import Lake

SAMPLE_SUFFIXES = (".nmea", ".nm4", ".aivdm", ".log", ".txt", ".ais", ".csv")


def sample_files(data: Path) -> list[Path]:
    ais = data / "ais"
    if not ais.is_dir():
        raise FileNotFoundError(
            f"the demo reads the real AIS samples from {ais}, which does not exist; "
            "pass --data with the shared data folder"
        )
    files = [f for f in expand_paths([str(ais)])
             if f.suffix in SAMPLE_SUFFIXES or f.name == "ais_test_messages"]
    return [f for f in files if not f.name.endswith(".chk")]


def run_demo(data: Path, out_dir: Path, out: Console, log: Console) -> None:
    files = sample_files(data)
    lake_dir = out_dir / "lake"
    if lake_dir.exists():
        shutil.rmtree(lake_dir)
    lake = Lake.open(lake_dir)
    log.print(f"[bold]darkfleet demo[/]: ingesting {len(files)} real AIS sample files into {lake_dir}")
    first = ingest(lake, files, IngestOptions())
    again = ingest(lake, files, IngestOptions())
    table = Table(title="Ingest accounting (every line: read = accepted + rejected)")
    table.add_column("")
    table.add_column("what")
    table.add_column("lines", justify="right")
    table.add_row("read", "", f"{first.read:,}")
    for k, v in first.total("accepted").items():
        table.add_row("accepted", k, f"{v:,}")
    for k, v in first.total("rejected").items():
        table.add_row("rejected", k, f"{v:,}")
    out.print(table)
    accepted = sum(first.total("accepted").values())
    rejected = sum(first.total("rejected").values())
    out.print(f"read {first.read:,} = accepted {accepted:,} + rejected {rejected:,}: "
              f"{'[green]holds[/]' if first.read == accepted + rejected else '[red]DOES NOT HOLD[/]'}")
    skipped = sum(f.skipped for f in again.files)
    out.print(f"second ingest of the same files: {skipped} of {len(again.files)} skipped, "
              f"{again.read} lines read")

    con = connect(lake)
    summary = Table(title="What the lake holds")
    for col in ("table", "rows", "vessels (MMSI)", "first", "last"):
        summary.add_column(col)
    for name in ("positions", "statics", "stations", "aids", "other"):
        n, v, a, b = con.sql(
            f"SELECT count(*), count(DISTINCT mmsi), strftime(min(ts), '%Y-%m-%d %H:%M:%S'), "
            f"strftime(max(ts), '%Y-%m-%d %H:%M:%S') FROM {name}"
        ).pl().row(0)
        summary.add_row(name, f"{n:,}", f"{v:,}", a or "", b or "")
    out.print(summary)
    names = con.sql(
        "SELECT mmsi, any_value(name) AS name, any_value(imo) AS imo, any_value(callsign) AS callsign, "
        "max(length_m) AS length_m FROM statics WHERE name IS NOT NULL AND name <> '' "
        "GROUP BY mmsi ORDER BY mmsi LIMIT 10"
    ).pl()
    vessels = Table(title="Some vessel identities from static reports")
    for col in names.columns:
        vessels.add_column(col)
    for row in names.iter_rows():
        vessels.add_row(*("" if x is None else str(x) for x in row))
    out.print(vessels)
    out.print(f"Query it: darkfleet query --lake {lake_dir} \"SELECT * FROM positions LIMIT 5\"")
