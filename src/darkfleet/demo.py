"""The built-in demo: the reference case end to end, from raw files to findings and the report.

``darkfleet demo --out DIR`` generates the reference scenario's raw inputs under ``DIR/raw``
(:mod:`darkfleet.scenario.reference`: SYNTHETIC AIS, sightings, counts, SAR detections and
analyst facts, plus rows of the real SDN list from ``--data``), then runs the library functions
behind the commands a user would run, in order, with ``DIR`` as the lake:

    ingest → detect → sanctions load → screen → sar match → case import → reconstruct → report

It writes ``DIR/findings.json`` and, when :mod:`darkfleet.report` is installed, ``DIR/report.html``.
The generator's truth (``DIR/truth.json``) is read only at the end, to score what was found.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

CASE = "reference"
ANALYST = "darkfleet demo"
SDN = Path("sanctions") / "ofac_sdn_2024-05-03.csv"
FACTS_ENTERED = date(2024, 6, 1)  # the day the analyst's facts are filed as entered (fixed: reproducible)
STEPS = ("generate", "ingest", "detect", "sanctions", "screen", "sar", "case", "reconstruct", "report")


def _prepare(out_dir: Path) -> None:
    if out_dir.exists() and any(out_dir.iterdir()):
        if not (out_dir / "raw" / "README.txt").exists():
            raise ValueError(f"{out_dir} is not empty and holds no earlier demo; give an empty or new --out")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)


def run_demo(data: Path, out_dir: Path, out: Console, log: Console) -> dict[str, Any]:
    sdn = data / SDN
    if not sdn.exists():
        raise FileNotFoundError(f"the demo reads the real SDN list from {sdn}, which does not exist; "
                                "pass --data with the shared data folder")
    _prepare(out_dir)
    timings: dict[str, float] = {}
    state: dict[str, Any] = {}
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn(),
                  console=log, transient=False, disable=not log.is_terminal) as bar:
        task = bar.add_task("demo", total=len(STEPS))
        for name in STEPS:
            bar.update(task, description=f"demo: {name}")
            t0 = time.perf_counter()
            message = _STEPS[name](out_dir, sdn, state)
            timings[name] = time.perf_counter() - t0
            bar.advance(task)
            log.print(f"[dim]{name:<12} {timings[name]:5.1f} s  {message}[/]")
    _summary(out, out_dir, state, timings)
    return {"timings": timings, "findings": state["findings"], "score": state["score"]}


def _generate(out_dir: Path, sdn: Path, state: dict[str, Any]) -> str:
    from darkfleet.scenario.reference import generate_reference, write_reference

    world = generate_reference()
    state["files"] = write_reference(world, out_dir, sdn)
    return f"{len(world.tracks)} vessels (SYNTHETIC) → {out_dir / 'raw'}"


def _ingest(out_dir: Path, sdn: Path, state: dict[str, Any]) -> str:
    from darkfleet.lake.ingest import IngestOptions, ingest
    from darkfleet.lake.store import Lake

    report = ingest(Lake.open(out_dir), state["files"].ais, IngestOptions())
    accepted = sum(report.total("accepted").values())
    return f"{report.read:,} lines read, {accepted:,} accepted"


def _detect(out_dir: Path, sdn: Path, state: dict[str, Any]) -> str:
    from darkfleet.engines.run import detect_lake
    from darkfleet.events.store import write_events
    from darkfleet.lake.store import Lake

    lake = Lake.open(out_dir, create=False)
    counts = write_events(lake, detect_lake(lake, "local", None, state["files"].places))
    return ", ".join(f"{n} {k}" for k, n in counts.items())


def _sanctions(out_dir: Path, sdn: Path, state: dict[str, Any]) -> str:
    from darkfleet.sanctions.service import load_into_lake

    now = datetime.now(UTC)
    files = state["files"]
    loaded = load_into_lake(out_dir, files.sanctions, None, now)
    loaded += load_into_lake(out_dir, [files.facts], FACTS_ENTERED, now)
    return ", ".join(f"{v.version_id} ({len(r.entities)} entities)" for v, _, r in loaded)


def _screen(out_dir: Path, sdn: Path, state: dict[str, Any]) -> str:
    import polars as pl

    from darkfleet.sanctions.lake_screen import read_identities, screen_identities, write_matches
    from darkfleet.sanctions.service import knowledge

    matches = screen_identities(knowledge(out_dir), read_identities(out_dir))
    write_matches(out_dir, matches)
    alerts = matches.filter(pl.col("alert")).unique("mmsi").sort("mmsi")
    # the analyst's watchlist for SAR: every AIS identity that screened as a listed vessel
    alerts.select("mmsi", pl.col("ais_name").alias("name")).write_csv(out_dir / "watchlist.csv")
    return f"{alerts.height} alert(s): {', '.join(alerts['ais_name'].drop_nulls().to_list())}"


def _sar(out_dir: Path, sdn: Path, state: dict[str, Any]) -> str:
    import polars as pl

    from darkfleet.imagery.lakeio import read_detections_geojson
    from darkfleet.imagery.matchio import write_sar_matches
    from darkfleet.imagery.pipeline import match_scene
    from darkfleet.lake.store import Lake

    lake = Lake.open(out_dir, create=False)
    watch = pl.read_csv(out_dir / "watchlist.csv")
    matched = dark = 0
    for scene, det in read_detections_geojson(state["files"].detections):
        result = match_scene(lake, scene, det, watchlist=watch)
        write_sar_matches(lake, result)
        matched, dark = matched + len(result["matches"]), dark + len(result["dark"])
    return f"{matched} detection(s) matched to AIS, {dark} dark"


def _case(out_dir: Path, sdn: Path, state: dict[str, Any]) -> str:
    from darkfleet.analysis.places import load_places
    from darkfleet.cases.imports import import_observations
    from darkfleet.cases.store import CaseStore, store_url

    store = CaseStore.open(store_url(out_dir))
    store.create_case(CASE, ANALYST, "darkfleet demo (SYNTHETIC scenario of the reference case)",
                      title="ANGARA and MARIA: Najin – Dunai, Aug–Oct 2023 (demo)")
    load_places(store, state["files"].places, ANALYST)
    r = import_observations(store, state["files"].observations, ANALYST, CASE)
    return f"{r.added} sightings and counts imported into case {CASE!r}"


def _reconstruct(out_dir: Path, sdn: Path, state: dict[str, Any]) -> str:
    from darkfleet.analysis.findings import write_findings
    from darkfleet.analysis.reconstruct import reconstruct

    state["findings"] = found = reconstruct(out_dir, CASE)
    write_findings(found, str(out_dir / "findings.json"))
    state["score"] = score(found, json.loads(state["files"].truth.read_text()))
    return f"{len(found)} finding(s) → {out_dir / 'findings.json'}"


def _report(out_dir: Path, sdn: Path, state: dict[str, Any]) -> str:
    try:
        from darkfleet.report import write_report
    except ImportError:
        return "darkfleet.report is not available: no report.html written"
    path = write_report(out_dir, CASE, out_dir, out_dir / "findings.json")
    return f"→ {path}"


_STEPS: dict[str, Callable[[Path, Path, dict[str, Any]], str]] = {
    "generate": _generate, "ingest": _ingest, "detect": _detect, "sanctions": _sanctions, "screen": _screen,
    "sar": _sar, "case": _case, "reconstruct": _reconstruct, "report": _report}


def score(findings: list[dict[str, Any]], truth: dict[str, Any]) -> dict[str, Any]:
    """Round trips found against planted, per vessel, and trip findings about any other vessel."""
    planted = {v["imo"]: (name, v["round_trips"]) for name, v in truth["vessels"].items()}
    trips = [f for f in findings if f["kind"] == "round_trips"]
    per = {name: {"planted": n, "found": sum(f["count"] for f in trips if (f["vessel"] or {}).get("imo") == imo)}
           for imo, (name, n) in planted.items()}
    false = [f["vessel"] for f in trips if (f["vessel"] or {}).get("imo") not in planted]
    return {"vessels": per, "false_trip_findings": len(false)}


def _summary(out: Console, out_dir: Path, state: dict[str, Any], timings: dict[str, float]) -> None:
    table = Table(title="Findings (SYNTHETIC scenario of the public reference case)")
    for col in ("kind", "confidence", "claim"):
        table.add_column(col)
    for f in state["findings"]:
        table.add_row(f["kind"], f["confidence"], f["claim"])
    out.print(table)
    s = state["score"]
    for name, v in s["vessels"].items():
        out.print(f"score: {name}: {v['found']} round trips found, {v['planted']} planted")
    out.print(f"score: {s['false_trip_findings']} trip finding(s) about other vessels")
    out.print(f"demo finished in {sum(timings.values()):.1f} s; the lake is {out_dir} "
              f"(try: darkfleet query --lake {out_dir} \"SELECT kind, count(*) FROM events GROUP BY kind\")")
