"""CLI for sanctions: ``darkfleet sanctions load|diff|versions`` and ``darkfleet screen``.

Each command parses its options and calls :mod:`darkfleet.sanctions.service`; nothing else.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from darkfleet.config import table_params

if TYPE_CHECKING:  # the sanctions stack (followthemoney, nomenklatura) loads on first use
    from darkfleet.sanctions.lake_screen import NoStaticsError, read_identities, screen_identities, write_matches  # noqa: F401
    from darkfleet.sanctions.listing import ListingStatus, diff_versions  # noqa: F401
    from darkfleet.sanctions.screen import ScreenParams  # noqa: F401
    from darkfleet.sanctions.service import AdHocResult, Knowledge, knowledge, load_into_lake, screen_one  # noqa: F401
    from darkfleet.sanctions.store import read_entity_table, read_versions, resolve_version  # noqa: F401

sanctions_app = typer.Typer(no_args_is_help=True, help="Sanctions lists: load, compare, list.")
console = Console()
err = Console(stderr=True)

LakeOpt = Annotated[Path, typer.Option("--lake", help="The lake directory.")]


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date YYYY-MM-DD", param_hint=option) from exc


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
    return typer.Exit(code=1)


@sanctions_app.command("load")
def load(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="List files: OFAC sdn.csv / cons_prim.csv, UN XML, FtM JSON lines, watchlist or facts CSV."
        ),
    ],
    lake: LakeOpt,
    list_date: Annotated[str | None, typer.Option(help="The list's date, YYYY-MM-DD.")] = None,
) -> None:
    """Load list files into the lake, one version each (idempotent)."""
    from darkfleet.sanctions.service import load_into_lake
    when = _day(list_date, "--list-date")
    try:
        loaded = load_into_lake(lake, files, when, datetime.now(UTC))
    except (OSError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    table = Table(
        "version",
        "stored",
        "entities",
        "vessels",
        "with IMO",
        "bad check digit",
        "links (unresolved)",
        "skipped rows",
        title="Loaded list versions",
    )
    for version, new, result in loaded:
        r = result.report
        state = "stored" if new else "already stored, unchanged"
        console.print(f"{escape(version.version_id)}: {state} (from {', '.join(result.source_paths)})")
        table.add_row(
            version.version_id,
            "new" if new else "unchanged",
            str(len(result.entities)),
            str(r.vessels),
            str(r.vessels_with_imo),
            str(len(r.failed_check_digits)),
            f"{r.links_resolved + r.links_unresolved} ({r.links_unresolved})",
            str(len(r.skipped)),
        )
        for bad in r.failed_check_digits:
            console.print(f"  check digit fails: {bad.entity_id} {bad.name} IMO {bad.imo}")
        for entity_id, text in r.malformed_imos:
            console.print(f"  not a 7-digit IMO number: {entity_id} {text!r}")
        for _line, reason in r.skipped:
            console.print(f"  skipped: {reason}")
    console.print(table)


@sanctions_app.command("versions")
def versions(lake: LakeOpt) -> None:
    """List the stored list versions."""
    from darkfleet.sanctions.store import read_versions
    table = Table("version", "list", "date", "title", "sha256")
    for v in read_versions(lake):
        table.add_row(v.version_id, v.list_name, v.list_date.isoformat(), v.title, v.sha256[:16])
    console.print(table)


@sanctions_app.command("diff")
def diff(
    lake: LakeOpt,
    list_a: Annotated[str, typer.Argument(help="Version id, LIST@DATE, or a list name (latest).")],
    list_b: Annotated[str, typer.Argument(help="The later version.")],
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Entities added, removed and changed between two versions of a list."""
    from darkfleet.sanctions.listing import diff_versions
    from darkfleet.sanctions.store import read_entity_table, resolve_version
    try:
        a, b = resolve_version(lake, list_a), resolve_version(lake, list_b)
    except KeyError as exc:
        raise _fail(str(exc.args[0])) from exc
    frames = [pl.from_arrow(read_entity_table(lake, v)) for v in (a, b)]
    changes = diff_versions(*frames)  # type: ignore[arg-type]
    if as_json:
        console.print_json(json.dumps({"a": a.version_id, "b": b.version_id, "changes": changes.to_dicts()}))
        return
    table = Table("change", "schema", "caption", "entity id", title=f"{a.version_id} → {b.version_id}")
    for row in changes.iter_rows(named=True):
        table.add_row(row["change"], row["schema"], row["caption"], row["entity_id"])
    console.print(table)
    counts = changes.group_by("change").len().sort("change").rows()
    console.print(", ".join(f"{n} {c}" for c, n in counts) or "no changes")


def _status_text(statuses: list[ListingStatus]) -> str:
    parts = []
    for s in statuses:
        extra = f" since {s.since}" if s.since else ""
        extra += f"; listed from {s.listed_from}" if s.listed_from else ""
        parts.append(f"{s.list_name}: {s.status}{extra} ({s.evidence})")
    return "; ".join(parts) or "not on any loaded list"


def _status_json(s: ListingStatus) -> dict[str, Any]:
    return {
        "list": s.list_name,
        "on": s.on.isoformat(),
        "status": s.status,
        "since": s.since,
        "listed_from": s.listed_from,
        "evidence": s.evidence,
    }


def result_json(k: Knowledge, r: AdHocResult) -> dict[str, Any]:
    """The ``--json`` object: ``matches`` and ``exposure`` paths."""
    entities = {item.entity.id: item.entity for item in k.listed}
    matches = []
    for row in r.matches.iter_rows(named=True):
        e = entities.get(row["entity_id"])
        matches.append(
            {
                "entity_id": row["entity_id"],
                "caption": row["caption"],
                "names": sorted(e.get("name") + e.get("alias")) if e else [],
                "imo": e.get("imoNumber") if e else [],
                "score": row["score"],
                "alert": row["alert"],
                "features": row["features"],
                "list": row["list_name"],
                "list_date": row["list_date"].isoformat(),
                "version_id": row["version_id"],
                "status": [_status_json(s) for s in r.statuses.get(row["entity_id"], [])],
            }
        )
    nodes = k.graph.nodes

    def node_json(node_id: str) -> dict[str, Any]:
        n = nodes[node_id]
        status = r.node_status.get(node_id, [])
        return {
            "node": node_id,
            "caption": n.caption,
            "schema": n.schema,
            "entity_ids": sorted(n.entity_ids),
            "imo": sorted(n.imos),
            "listed": any(s.status == "listed" for s in status),
            "status": [_status_json(s) for s in status],
        }

    exposure = []
    for p in r.paths:
        steps: list[dict[str, Any]] = [node_json(p.start)]
        for step in p.steps:
            steps.append(
                {
                    "relation": step.edge.relation,
                    "reverse": step.reverse,
                    "evidence": step.edge.evidence,
                    "start": step.edge.start,
                    "end": step.edge.end,
                }
            )
            steps.append(node_json(step.node))
        exposure.append({"path": steps})
    return {"on": r.on.isoformat(), "matches": matches, "exposure": exposure}


def _print_result(k: Knowledge, r: AdHocResult) -> None:
    table = Table(
        "score",
        "alert",
        "vessel on file",
        "list (date)",
        "features that fired",
        title=f"Matches (status on {r.on})",
    )
    for row in r.matches.iter_rows(named=True):
        feats = "\n".join(f"{f['feature']} {f['value']:+.3f}  {f['detail']}" for f in row["features"])
        table.add_row(
            f"{row['score']:.3f}",
            "ALERT" if row["alert"] else "",
            row["caption"],
            f"{row['list_name']} ({row['list_date']})",
            feats,
        )
    console.print(table)
    for eid, statuses in r.statuses.items():
        console.print(f"[bold]{eid}[/bold]: {_status_text(statuses)}")
    if r.paths:
        console.print("[bold]Exposure paths[/bold]")
    for p in r.paths:
        text = escape(k.graph.nodes[p.start].caption)
        for step in p.steps:
            arrow = "←" if step.reverse else "→"
            node = k.graph.nodes[step.node]
            listed = any(s.status == "listed" for s in r.node_status.get(step.node, []))
            mark = " [red](listed)[/red]" if listed else ""
            if step.edge.published_after(r.on):
                mark += " [yellow](relation published after the day)[/yellow]"
            label = escape(f"[{step.edge.relation}; {step.edge.evidence}]")
            text += f" {arrow}{label}{arrow} {escape(node.caption)}{mark}"
        console.print("  " + text)


def screen(
    lake: LakeOpt,
    name: Annotated[str | None, typer.Option(help="Vessel name (screen one vessel).")] = None,
    imo: Annotated[str | None, typer.Option(help="IMO number, 7 digits.")] = None,
    mmsi: Annotated[str | None, typer.Option(help="MMSI, 9 digits.")] = None,
    on: Annotated[str | None, typer.Option(help="Answer as of this day, YYYY-MM-DD.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    depth: Annotated[int, typer.Option(help="Exposure hops to follow.")] = 2,
    config: Annotated[
        Path | None, typer.Option(help="TOML file whose [screen] table overrides the thresholds.")
    ] = None,
) -> None:
    """Screen vessels: one (--name/--imo/--mmsi) or every identity in the lake's AIS statics."""
    from darkfleet.sanctions.lake_screen import NoStaticsError, read_identities, screen_identities, write_matches
    from darkfleet.sanctions.screen import ScreenParams
    from darkfleet.sanctions.service import knowledge, screen_one

    day = _day(on, "--on")
    try:
        params = table_params(config, "screen", ScreenParams())
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    try:
        k = knowledge(lake)
    except FileNotFoundError as exc:
        raise _fail(str(exc)) from exc
    if name or imo or mmsi:
        result = screen_one(k, day or datetime.now(UTC).date(), name, imo, mmsi, params, depth)
        if as_json:
            print(json.dumps(result_json(k, result), default=str, ensure_ascii=False))
        else:
            _print_result(k, result)
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("reading vessel identities from AIS statics", total=None)
        try:
            identities = read_identities(lake)
        except NoStaticsError as exc:
            raise _fail(str(exc)) from exc
        progress.update(
            task,
            description=f"screening {identities.height:,} identities against {k.index.size:,} listed vessels",
        )
        matches = screen_identities(k, identities, params)
        path = write_matches(lake, matches)
    alerts = matches.filter(pl.col("alert"))
    if as_json:
        print(
            json.dumps(
                {
                    "identities": identities.height,
                    "matches": matches.height,
                    "alerts": alerts.height,
                    "table": str(path),
                }
            )
        )
        return
    table = Table(
        "MMSI",
        "AIS IMO",
        "AIS name",
        "score",
        "listed vessel",
        "list",
        "status",
        title=f"Alerts ({alerts.height} of {matches.height} matches, {identities.height:,} identities) → {path}",
    )
    for row in alerts.iter_rows(named=True):
        table.add_row(
            str(row["mmsi"]),
            str(row["ais_imo"] or ""),
            row["ais_name"] or "",
            f"{row['score']:.3f}",
            row["caption"],
            row["list_name"],
            row["status_on_last_seen"] or "",
        )
    console.print(table)


@sanctions_app.command("party")
def party(
    name: Annotated[str, typer.Argument(help="Company or person name.")],
    lake: LakeOpt,
    schema: Annotated[str, typer.Option(help="Company, Organization, Person, LegalEntity.")] = ("LegalEntity"),
    tax_id: Annotated[str | None, typer.Option(help="Tax number.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Screen a company or person against the loaded lists (nomenklatura logic-v2)."""
    from darkfleet.sanctions.parties import build_party_index, party_query, screen_party
    from darkfleet.sanctions.service import knowledge

    try:
        k = knowledge(lake)
        query = party_query(name, schema, **({"taxNumber": [tax_id]} if tax_id else {}))
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    found = screen_party(query, build_party_index(k.listed))
    rows: list[dict[str, Any]] = [{"entity_id": m.item.entity.id, "caption": m.item.entity.caption, "score": m.score,
             "list": m.item.list_name, "list_date": m.item.list_date.isoformat(),
             "features": [{"feature": f, "score": s, "detail": d} for f, s, d in m.features]}
            for m in found]  # fmt: skip
    if as_json:
        print(json.dumps({"query": name, "algorithm": "logic-v2", "matches": rows}))
        return
    table = Table("score", "party", "list (date)", "features", title=f"{name} (logic-v2)")
    for r in rows:
        feats = "\n".join(f"{f['feature']} {f['score']:.2f} {f['detail'] or ''}" for f in r["features"])
        table.add_row(f"{r['score']:.3f}", escape(r["caption"]), f"{r['list']} ({r['list_date']})",
                      escape(feats))  # fmt: skip
    console.print(table)
