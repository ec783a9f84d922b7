"""``darkfleet detect`` and ``darkfleet events``: thin layers over :mod:`darkfleet.engines.run`
and :mod:`darkfleet.events.store`. The lead registers them with ``app.command("detect")(detect)``
and ``app.command("events")(events)``.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

out = Console()
err = Console(stderr=True, soft_wrap=True)


class Engine(StrEnum):
    local = "local"
    spark = "spark"


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(2)


def detect(
    lake: Annotated[Path, typer.Option("--lake", help="The lake directory.")],
    engine: Annotated[Engine, typer.Option("--engine", help="Where the detectors run.")] = Engine.local,
    places: Annotated[Path | None, typer.Option(
        "--places", help="Your places: GeoJSON (points with radius_m, polygons) or a WPI-style CSV.")] = None,
    config: Annotated[Path | None, typer.Option(
        "--config", help="TOML file of detector parameters ([gaps] min_gap_h = 6, ...).")] = None,
    spark_master: Annotated[str, typer.Option(help="Spark master URL (with --engine spark).")] = "local[2]",
    flags: Annotated[Path | None, typer.Option(
        "--flags", help="CSV of declared flags (mmsi and/or imo, flag[, valid_from, valid_to]), checked "
        "against the MMSIs' MIDs beside the flags of the lake's sanctions lists.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the counts as one JSON object.")] = False,
) -> None:
    """Clean the tracks and detect gaps, port visits, stops, encounters, loitering, spoofing and identity
    changes; store the events in LAKE/events/ (DuckDB view `events`) and every position cleaning removed or
    re-assigned, with its reason, in LAKE/cleaned/ (view `cleaned_out`)."""
    from darkfleet.engines.config import load_config
    from darkfleet.engines.run import run_detection
    from darkfleet.events.anchorages import AnchorageParams, infer_anchorages
    from darkfleet.events.store import events_glob, write_anchorages, write_cleaned_out, write_events
    from darkfleet.lake.store import Lake

    try:
        store = Lake.open(lake, create=False)
        found = run_detection(store, engine.value, load_config(config), places, spark_master=spark_master,
                              flags_file=flags,
                              progress=None if as_json else (lambda m: err.print(f"[dim]{escape(m)}[/]")))
        counts = write_events(store, found.events)
        cleaned_file = write_cleaned_out(store, found.cleaned_out)
        cleaning = found.cleaning_counts()
        anchorages = infer_anchorages(found.events, AnchorageParams())
        anchorage_file = write_anchorages(store, anchorages)
    except (FileNotFoundError, NotADirectoryError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        sys.stdout.write(json.dumps({"events": counts, "path": events_glob(store),
                                     "cleaned_out": cleaning, "cleaned_out_path": str(cleaned_file),
                                     "inferred_anchorages": anchorages.height,
                                     "anchorages_path": str(anchorage_file)}) + "\n")
        return
    table = Table("kind", "events")
    for kind, n in counts.items():
        table.add_row(kind, f"{n:,}")
    out.print(table)
    cleaned = Table("cleaning", "positions")
    for reason, n in cleaning.items():
        cleaned.add_row(reason, f"{n:,}")
    if not cleaning:
        cleaned.add_row("nothing removed or re-assigned", "0")
    out.print(cleaned)
    err.print(f"stored in {events_glob(store)}; removed and re-assigned positions in {cleaned_file} "
              f"(view cleaned_out); {anchorages.height} inferred anchorages in {anchorage_file}")


def events(
    lake: Annotated[Path, typer.Option("--lake", help="The lake directory.")],
    kind: Annotated[list[str] | None, typer.Option("--kind", help="Only these kinds (repeatable).")] = None,
    mmsi: Annotated[list[int] | None, typer.Option("--mmsi", help="Only these vessels (repeatable).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    limit: Annotated[int, typer.Option(help="Rows shown in the table.")] = 50,
) -> None:
    """List detected events (run `darkfleet detect` first)."""
    from darkfleet.events.store import read_events
    from darkfleet.lake.store import Lake

    try:
        found = read_events(Lake.open(lake, create=False), kind or None, mmsi or None)
    except (FileNotFoundError, NotADirectoryError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        for row in found.iter_rows(named=True):
            row["attributes"] = json.loads(row["attributes"])
            row["params"] = json.loads(row["params"])
            sys.stdout.write(json.dumps(row, default=str) + "\n")
        return
    table = Table("kind", "mmsi", "other", "start", "end", "place", "attributes")
    for r in found.head(limit).iter_rows(named=True):
        table.add_row(r["kind"], str(r["mmsi"]), "" if r["other_mmsi"] is None else str(r["other_mmsi"]),
                      f"{r['start']:%Y-%m-%d %H:%M}", f"{r['end']:%Y-%m-%d %H:%M}", r["place_id"] or "",
                      escape(r["attributes"][:80]))
    out.print(table)
    if found.height > limit:
        err.print(f"({found.height:,} events, {limit} shown; --json for all)")
