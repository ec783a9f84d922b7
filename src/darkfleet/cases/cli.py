"""``darkfleet case ...``: the case store from the command line (thin layer over store/imports)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

case_app = typer.Typer(no_args_is_help=True, help="Cases, watched places, sightings and object counts.")
out = Console()
err = Console(stderr=True, soft_wrap=True)

LakeOpt = Annotated[Path, typer.Option("--lake", help="Lake directory (its case store is LAKE/cases.sqlite).")]
StoreOpt = Annotated[str | None, typer.Option("--store", help="Case store URL (sqlite:///… or postgresql+psycopg://…).")]
AnalystOpt = Annotated[str, typer.Option("--analyst", help="Who is writing (recorded on every row).")]


def _open(lake: Path, store: str | None):  # type: ignore[no-untyped-def]
    from darkfleet.cases.store import CaseStore, store_url

    return CaseStore.open(store_url(lake, store))


def _fail(exc: Exception) -> typer.Exit:
    err.print(f"[bold red]error:[/] {exc}")
    return typer.Exit(2)


@case_app.command("create")
def create(name: str, lake: LakeOpt, analyst: AnalystOpt, store: StoreOpt = None,
           title: Annotated[str, typer.Option(help="A one-line title.")] = "",
           source: Annotated[str, typer.Option(help="Why the case exists (tasking, report).")] = "analyst") -> None:
    """Create a case."""
    from darkfleet.cases.store import StoreError

    try:
        _open(lake, store).create_case(name, analyst, source, title=title)
    except StoreError as exc:
        raise _fail(exc) from exc
    out.print(f"case {name!r} created")


@case_app.command("list")
def list_cases(lake: LakeOpt, store: StoreOpt = None) -> None:
    """The cases in the store, with their observations."""
    s = _open(lake, store)
    table = Table("case", "title", "sightings", "counts", "created by", "created at")
    for c in s.cases():
        table.add_row(c.name, c.title, str(len(s.sightings(c.name))), str(len(s.counts(c.name))), c.created_by,
                      c.created_at.isoformat(timespec="seconds"))
    out.print(table)


@case_app.command("place")
def place(name: str, lake: LakeOpt, analyst: AnalystOpt,
          kind: Annotated[str, typer.Option(help="port, military_port, anchorage, rail_facility, depot, ...")],
          lon: Annotated[float, typer.Option(help="WGS84 longitude.")],
          lat: Annotated[float, typer.Option(help="WGS84 latitude.")],
          source: Annotated[str, typer.Option(help="Where the position comes from.")],
          radius_m: Annotated[float, typer.Option(help="Radius around the point, metres.")] = 2000.0,
          store: StoreOpt = None) -> None:
    """Add or update a watched place."""
    from darkfleet.cases.store import StoreError

    try:
        _open(lake, store).upsert_place(name, kind, lon, lat, analyst, source, radius_m=radius_m)
    except StoreError as exc:
        raise _fail(exc) from exc
    out.print(f"place {name!r} saved")


@case_app.command("import")
def import_(files: Annotated[list[Path], typer.Argument(help="CSV or GeoJSON files of sightings / counts.")],
            lake: LakeOpt, analyst: AnalystOpt, store: StoreOpt = None,
            case: Annotated[str | None, typer.Option(help="Case the rows belong to.")] = None,
            as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Import analyst sightings and object counts (the same row twice is stored once)."""
    from darkfleet.cases.imports import import_observations
    from darkfleet.cases.store import StoreError

    s = _open(lake, store)
    reports = []
    for f in files:
        try:
            reports.append(import_observations(s, f, analyst, case))
        except (StoreError, FileNotFoundError, json.JSONDecodeError) as exc:
            raise _fail(exc) from exc
    if as_json:
        print(json.dumps([r.__dict__ for r in reports]))
        return
    for r in reports:
        out.print(f"{r.path}: {r.read} read, {r.added} added, {r.already} already in the store")


@case_app.command("show")
def show(name: str, lake: LakeOpt, store: StoreOpt = None,
         as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """A case's sightings and counts, in time order."""
    from darkfleet.cases.store import StoreError

    s = _open(lake, store)
    try:
        sightings, counts = s.sightings(name), s.counts(name)
    except StoreError as exc:
        raise _fail(exc) from exc
    places = {p.id: p.name for p in s.places()}
    rows = [("sighting", x.uid, x.observed_at, places.get(x.place_id or -1, ""),
             x.vessel_name or x.vessel_type or "", x.confidence, x.source) for x in sightings]
    rows += [("count", x.uid, x.observed_at, places.get(x.place_id or -1, ""),
              f"{x.count} {x.object_class}" + (f" {x.size_class}" if x.size_class else ""), x.confidence, x.source)
             for x in counts]
    rows.sort(key=lambda r: r[2])
    if as_json:
        print(json.dumps([dict(zip(("kind", "uid", "observed_at", "place", "what", "confidence", "source"), r,
                                   strict=True)) for r in rows], default=str))
        return
    table = Table("kind", "id", "observed (UTC)", "place", "what", "confidence", "source", title=f"case {name}")
    for r in rows:
        table.add_row(r[0], r[1][:10], r[2].isoformat(timespec="minutes"), *r[3:])
    out.print(table)
