"""The `darkfleet` command: one sub-command per job, each a thin layer over a library call."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

app = typer.Typer(no_args_is_help=True, add_completion=False,
                  help="darkfleet: find and document sanctions-evading shipments.")
console = Console(stderr=True, soft_wrap=True)
out = Console()

LakeOpt = Annotated[Path, typer.Option("--lake", help="Lake directory (created if missing).")]


def fail(message: str) -> None:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(2)


def parse_utc(text: str, what: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail(f"{what}: {text!r} is not an ISO 8601 time (e.g. 2023-08-15T00:00:00Z)")
        raise
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, directories or globs (.gz too).")],
    lake: LakeOpt,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as one JSON object.")] = False,
    assume_time: Annotated[str | None, typer.Option(
        help="ISO 8601 time given to every sentence without a time of its own.")] = None,
    map_: Annotated[str | None, typer.Option("--map", help=(
        "CSV column mapping: mmsi=COL,ts=COL,lon=COL,lat=COL[,sog_kn=...,cog_deg=...,name=...], "
        "or the path of a TOML file with a [columns] table."))] = None,
    time_format: Annotated[str | None, typer.Option(
        help="strftime format of CSV times (ISO 8601 and Unix seconds are detected without it).")] = None,
    tz: Annotated[str, typer.Option(help="Time zone of naive CSV times.")] = "UTC",
) -> None:
    """Decode raw AIS (NMEA or CSV) into the lake, accounting for every line."""
    from darkfleet.ais import csvfmt
    from darkfleet.ais.decode import DecodeOptions
    from darkfleet.lake.ingest import IngestOptions, expand_paths, summary_rows
    from darkfleet.lake.ingest import ingest as run
    from darkfleet.lake.store import Lake

    try:
        files = expand_paths(paths)
        fmt = None
        if map_:
            fmt = (csvfmt.load_mapping_file(Path(map_)) if map_.endswith(".toml")
                   else csvfmt.CsvFormat("mapping", csvfmt.parse_mapping(map_), time_format, tz))
        elif time_format:
            fail("--time-format applies to CSV input given with --map")
        options = IngestOptions(
            decode=DecodeOptions(assume_time=parse_utc(assume_time, "--assume-time") if assume_time else None),
            csv_format=fmt,
        )
        store = Lake.open(lake)
        total = sum(f.stat().st_size for f in files)
        with Progress(TextColumn("[bold]ingest"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                      console=console, transient=True, disable=as_json or not console.is_terminal) as bar:
            task = bar.add_task("ingest", total=total)
            report = run(store, files, options, progress=lambda n: bar.advance(task, n))
    except (ValueError, FileNotFoundError, NotADirectoryError) as exc:
        fail(str(exc))
        return
    if as_json:
        out.print_json(json.dumps(report.as_json()))
        return
    table = Table(title=f"ingest: {len(files)} file(s), {sum(f.skipped for f in report.files)} already in the lake")
    for col in ("", "what", "lines"):
        table.add_column(col, justify="right" if col == "lines" else "left")
    for kind, what, n in summary_rows(report):
        table.add_row(kind, what, f"{n:,}")
    out.print(table)


class Fmt(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="DuckDB SQL over the lake's views.")],
    lake: LakeOpt,
    format: Annotated[Fmt, typer.Option("--format", help="Output format.")] = Fmt.table,
    limit: Annotated[int, typer.Option(help="Rows shown in table format.")] = 50,
) -> None:
    """Run SQL over the lake (views: positions, statics, stations, aids, other, rejects, sources)."""
    import duckdb

    from darkfleet.lake.query import connect
    from darkfleet.lake.store import Lake

    try:
        con = connect(Lake.open(lake, create=False))
        result = con.sql(sql)
    except (FileNotFoundError, duckdb.Error) as exc:
        fail(str(exc))
        return
    if result is None:
        return
    frame = result.pl()
    if format is Fmt.csv:
        sys.stdout.write(frame.write_csv())
    elif format is Fmt.json:
        sys.stdout.write(frame.write_json() + "\n")
    else:
        table = Table(*frame.columns)
        for row in frame.head(limit).iter_rows():
            table.add_row(*("" if v is None else str(v) for v in row))
        out.print(table)
        if frame.height > limit:
            console.print(f"({frame.height:,} rows, {limit} shown; --format csv for all)")


def _register_subcommands() -> None:
    from darkfleet.analysis.cli import reconstruct
    from darkfleet.cases.cli import case_app
    from darkfleet.events.cli import detect, events
    from darkfleet.imagery.cli import sar_app
    from darkfleet.imagery.optical_cli import optical_app
    from darkfleet.report.cli import report
    from darkfleet.sanctions.cli import sanctions_app, screen
    from darkfleet.web.cli import serve, token_app

    app.add_typer(sanctions_app, name="sanctions")
    app.command("screen")(screen)
    app.add_typer(sar_app, name="sar")
    app.add_typer(case_app, name="case")
    app.add_typer(optical_app, name="optical")
    app.command("report")(report)
    app.command("reconstruct")(reconstruct)
    app.command("detect")(detect)
    app.command("events")(events)
    app.command("serve")(serve)
    app.add_typer(token_app, name="token")


_register_subcommands()


@app.command()
def demo(
    data: Annotated[Path, typer.Option(help="The shared real-data folder.")] = Path("../shared/data"),
    out_dir: Annotated[Path, typer.Option("--out", help="The demo's lake: raw inputs, findings, report.")] = Path(
        "build/demo"),
) -> None:
    """The reference case end to end: generated raw inputs → ingest, detect, screen, SAR match,
    case import, reconstruct → findings.json and report.html in the --out lake."""
    from darkfleet.demo import run_demo

    try:
        run_demo(data, out_dir, out, console)
    except (FileNotFoundError, ValueError) as exc:
        fail(str(exc))
