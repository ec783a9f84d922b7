"""Gather what a case report shows from the lake, the case store and the findings (the I/O half).

Everything is read once here into the frozen records of :mod:`darkfleet.report.model`; the
renderers never open a file. Collections come out sorted, so output is byte-identical.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from darkfleet.cases.models import Place
from darkfleet.cases.store import CaseStore, store_url
from darkfleet.lake.query import connect
from darkfleet.lake.store import Lake
from darkfleet.report.model import (
    Call,
    CountPoint,
    CountSeries,
    DarkLeg,
    DetectionMark,
    Finding,
    LonLat,
    PlaceMark,
    ReportData,
    SightingMark,
    SourceFile,
    TrackSegment,
    Vessel,
    VesselRef,
    iso,
)

TRACK_THIN_MIN = 10  # one position per vessel per 10 minutes is plenty at map scale
TRACK_BREAK_H = 6.0  # a silence longer than this breaks the drawn track (the gap is drawn dashed)
MAX_DARK_DETECTIONS = 200
DARK_DETECTION_NEAR_DEG = 1.5  # unmatched SAR detections shown only this close to a case place
CALL_EVIDENCE_KINDS = ("port_visit", "ais_port_visit", "call", "sighting", "sar_match", "sar_detection", "detection")


def _views(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> pl.DataFrame:
    return con.execute(sql, params or []).pl()


# -- vessels ---------------------------------------------------------------------------------------


def resolve_vessels(findings: Iterable[Finding], statics: pl.DataFrame) -> tuple[Vessel, ...]:
    """The findings' vessels, each with every MMSI the lake's statics give its IMO (or name)."""
    refs: dict[str, VesselRef] = {}
    for f in findings:
        if f.vessel is not None:
            refs.setdefault(f.vessel.key, f.vessel)
    out = []
    for key, ref in refs.items():
        mmsis = {ref.mmsi} if ref.mmsi else set()
        if statics.height:
            if ref.imo:
                mmsis |= set(statics.filter(pl.col("imo") == int(ref.imo))["mmsi"].to_list())
            elif ref.name and not mmsis:
                mmsis |= set(statics.filter(pl.col("name") == ref.name.strip().upper())["mmsi"].to_list())
        out.append(Vessel(key, ref.label, ref.name, ref.imo, tuple(sorted(m for m in mmsis if m))))
    return tuple(out)


def _vessel_matcher(vessels: tuple[Vessel, ...]) -> dict[str, str]:
    """Lookup keys (``imo:…``, ``mmsi:…``, ``name:…``) -> vessel key."""
    keys: dict[str, str] = {}
    for v in vessels:
        if v.name:
            keys.setdefault(f"name:{v.name.strip().upper()}", v.key)
        for m in v.mmsis:
            keys[f"mmsi:{m}"] = v.key
        if v.imo:
            keys[f"imo:{v.imo}"] = v.key
    return keys


def _match(keys: dict[str, str], imo: Any = None, mmsi: Any = None, name: str | None = None) -> str | None:
    for k in (f"imo:{imo}" if imo else "", f"mmsi:{mmsi}" if mmsi else "",
              f"name:{name.strip().upper()}" if name else ""):
        if k and k in keys:
            return keys[k]
    return None


# -- window ----------------------------------------------------------------------------------------


def case_window(times: Iterable[datetime | None]) -> tuple[datetime, datetime]:
    """Whole UTC days around every time given (2000-01-01 alone when there is none)."""
    ts = sorted(t for t in times if t is not None)
    if not ts:
        start = datetime(2000, 1, 1, tzinfo=UTC)
        return start, start + timedelta(days=1)
    start = datetime(ts[0].year, ts[0].month, ts[0].day, tzinfo=UTC) - timedelta(days=1)
    last = ts[-1] + timedelta(days=1)
    end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
    return start, end


# -- lake ------------------------------------------------------------------------------------------


def read_tracks(con: duckdb.DuckDBPyConnection, mmsi_key: dict[int, str],
                window: tuple[datetime, datetime]) -> tuple[TrackSegment, ...]:
    if not mmsi_key:
        return ()
    df = _frame(con, f"""
        SELECT mmsi, time_bucket(INTERVAL '{TRACK_THIN_MIN} minutes', ts) AS bucket,
               arg_min(ts, ts) AS ts, arg_min(lon, ts) AS lon, arg_min(lat, ts) AS lat, count(*) AS n
        FROM positions WHERE mmsi IN (SELECT unnest(?)) AND ts >= ? AND ts < ?
        GROUP BY ALL ORDER BY mmsi, ts""", [sorted(mmsi_key), *window])
    out: list[TrackSegment] = []
    for (mmsi,), part in df.partition_by("mmsi", as_dict=True, maintain_order=True).items():
        breaks = (part["ts"].diff().dt.total_seconds().fill_null(0) > TRACK_BREAK_H * 3600).cum_sum()
        for _, seg in part.with_columns(seg=breaks).partition_by("seg", as_dict=True, maintain_order=True).items():
            coords = tuple((round(x, 5), round(y, 5)) for x, y in zip(seg["lon"], seg["lat"], strict=True))
            out.append(TrackSegment(mmsi_key[int(mmsi)], int(mmsi), seg["ts"][0], seg["ts"][-1], coords,
                                    int(seg["n"].sum())))
    return tuple(out)


def read_gaps(con: duckdb.DuckDBPyConnection, mmsi_key: dict[int, str],
              window: tuple[datetime, datetime]) -> tuple[DarkLeg, ...]:
    if not mmsi_key or "events" not in _views(con):
        return ()
    df = _frame(con, """SELECT id, mmsi, start, "end", lon, lat, end_lon, end_lat, attributes FROM events
                        WHERE kind = 'gap' AND mmsi IN (SELECT unnest(?)) AND "end" >= ? AND start < ?
                        ORDER BY start, mmsi, id""", [sorted(mmsi_key), *window])
    out = []
    for r in df.iter_rows(named=True):
        hours = (r["end"] - r["start"]).total_seconds() / 3600
        a = (r["lon"], r["lat"]) if r["lon"] is not None else None
        b = (r["end_lon"], r["end_lat"]) if r["end_lon"] is not None else None
        out.append(DarkLeg(r["id"], "gap", mmsi_key[r["mmsi"]], r["start"], r["end"], a, b,
                           f"AIS gap {hours:.1f} h (MMSI {r['mmsi']}, event {r['id']})"))
    return tuple(out)


def read_port_visits(con: duckdb.DuckDBPyConnection, mmsi_key: dict[int, str],
                     window: tuple[datetime, datetime]) -> tuple[Call, ...]:
    if not mmsi_key or "events" not in _views(con):
        return ()
    df = _frame(con, """SELECT id, mmsi, start, "end", place_id, attributes FROM events
                        WHERE kind = 'port_visit' AND mmsi IN (SELECT unnest(?)) AND "end" >= ? AND start < ?
                        ORDER BY start, mmsi, id""", [sorted(mmsi_key), *window])
    out = []
    for r in df.iter_rows(named=True):
        name = json.loads(r["attributes"] or "{}").get("place_name") or r["place_id"] or "port"
        out.append(Call(mmsi_key[r["mmsi"]], name, r["start"], r["end"], f"AIS port visit {r['id']}"))
    return tuple(out)


def read_detections(con: duckdb.DuckDBPyConnection, mmsi_key: dict[int, str], evidence_ids: dict[str, str | None],
                    window: tuple[datetime, datetime], near: list[LonLat]) -> tuple[DetectionMark, ...]:
    views = _views(con)
    if "detections" not in views:
        return ()
    has_matches = "sar_matches" in views
    match_sql = ("LEFT JOIN (SELECT detection_id, any_value(kind) AS kind, any_value(mmsi) AS mmsi FROM sar_matches "
                 "WHERE detection_id IS NOT NULL GROUP BY detection_id) m USING (detection_id)") if has_matches else ""
    cols = "m.kind AS match_kind, m.mmsi AS match_mmsi" if has_matches else "NULL AS match_kind, NULL AS match_mmsi"
    df = _frame(con, f"""SELECT d.detection_id, d.acquired_at, d.lon, d.lat, d.length_m, d.scene_id, d.sha256, {cols}
                         FROM detections d {match_sql}
                         WHERE d.lon IS NOT NULL AND d.acquired_at >= ? AND d.acquired_at < ?
                         ORDER BY d.acquired_at, d.detection_id""", list(window))
    out: list[DetectionMark] = []
    dark = 0
    for r in df.iter_rows(named=True):
        key = mmsi_key.get(r["match_mmsi"]) if r["match_mmsi"] is not None else None
        status = {"matched": "matched", "dark": "dark"}.get(r["match_kind"] or "", "unmatched")
        cited = r["detection_id"] in evidence_ids
        key = key or evidence_ids.get(r["detection_id"])  # identified to the vessel by the finding citing it
        if not cited and key is None:
            close = any(abs(r["lon"] - x) < DARK_DETECTION_NEAR_DEG and abs(r["lat"] - y) < DARK_DETECTION_NEAR_DEG
                        for x, y in near)
            if status == "matched" or not close or dark >= MAX_DARK_DETECTIONS:
                continue
            dark += 1
        out.append(DetectionMark(r["detection_id"], key, status, r["acquired_at"],
                                 (round(r["lon"], 5), round(r["lat"], 5)), r["length_m"], r["scene_id"], r["sha256"]))
    return tuple(out)


def lake_sources(lake: Lake) -> tuple[SourceFile, ...]:
    rows = lake.sources().to_pylist()
    return tuple(sorted((SourceFile(Path(r["path"]).name, r["sha256"], f"AIS ({r['format']}), {r['read']:,} lines")
                         for r in rows), key=lambda s: (s.name, s.sha256)))


# -- case store ------------------------------------------------------------------------------------


def place_mark(p: Place) -> PlaceMark:
    rings: tuple[tuple[LonLat, ...], ...] = ()
    if p.geometry_geojson:
        geom = json.loads(p.geometry_geojson)
        polys = [geom["coordinates"]] if geom.get("type") == "Polygon" else geom.get("coordinates", [])
        rings = tuple(tuple((float(x), float(y)) for x, y, *_ in ring) for poly in polys for ring in poly)
    return PlaceMark(p.name, p.kind, p.lon, p.lat, p.radius_m, rings, p.source)


def count_series(counts: Iterable[Any], place_names: dict[int, str]) -> tuple[CountSeries, ...]:
    groups: dict[tuple[str, str], list[CountPoint]] = {}
    for c in counts:
        place = place_names.get(c.place_id, "") if c.place_id else (c.site or "no place")
        label = " ".join(x for x in (c.object_class, c.size_class, c.colour) if x)
        if c.site:
            label += f" ({c.site})"
        groups.setdefault((place, label), []).append(CountPoint(c.observed_at, c.count, c.uid, c.image_id or ""))
    return tuple(CountSeries(p, lab, tuple(sorted(pts, key=lambda q: (q.time, q.uid))))
                 for (p, lab), pts in sorted(groups.items()))


def gather(lake_dir: Path, case_name: str, findings: tuple[Finding, ...]) -> ReportData:
    """Everything the report shows. Raises StoreError for an unknown case."""
    from darkfleet.report.sanctions_panel import sanctions_panel

    lake = Lake.open(lake_dir, create=False)
    store = CaseStore.open(store_url(lake.root))
    case = store.case(case_name)
    places = store.places()
    place_names = {p.id: p.name for p in places}
    place_pos = {p.name: (p.lon, p.lat) for p in places}
    sightings = store.sightings(case_name)
    counts = store.counts(case_name)
    con = connect(lake)
    statics = _frame(con, "SELECT DISTINCT mmsi, imo, upper(trim(name)) AS name FROM statics ORDER BY ALL")
    vessels = resolve_vessels(findings, statics)
    keys = _vessel_matcher(vessels)
    mmsi_key = {m: v.key for v in vessels for m in v.mmsis}
    window = case_window([t for f in findings for t in (f.start, f.end)] + [s.observed_at for s in sightings]
                         + [c.observed_at for c in counts])
    calls = list(read_port_visits(con, mmsi_key, window))
    event_ids = {c.source.rsplit(" ", 1)[-1] for c in calls}
    dark_legs = list(read_gaps(con, mmsi_key, window))
    for f in findings:
        if f.vessel is None:
            continue
        if f.kind == "dark_leg" and f.start and f.end:
            a, b = (place_pos.get(f.places[0]), place_pos.get(f.places[-1])) if f.places else (None, None)
            dark_legs.append(DarkLeg(f.id, "dark_leg", f.vessel.key, f.start, f.end, a, b, f.claim))
        for e in f.evidence:
            if e.kind in CALL_EVIDENCE_KINDS and e.place and e.time and e.id not in event_ids:
                calls.append(Call(f.vessel.key, e.place, e.time, e.time, f"{e.kind} {e.id}"))
    marks = []
    for s in sightings:
        pos = (s.lon, s.lat) if s.lon is not None and s.lat is not None else None
        place = place_names.get(s.place_id) if s.place_id else None
        what = s.vessel_name or s.vessel_type or (f"IMO {s.imo}" if s.imo else f"MMSI {s.mmsi}")
        label = f"{what} seen{' at ' + place if place else ''}, {iso(s.observed_at)} ({s.confidence})"
        marks.append(SightingMark(s.uid, _match(keys, s.imo, s.mmsi, s.vessel_name), label, s.observed_at,
                                  pos or place_pos.get(place or ""), place, s.image_id or "", s.provider or "",
                                  s.image_sha256 or "", s.confidence))
    evidence_ids: dict[str, str | None] = {}
    for f in findings:
        for e in f.evidence:
            evidence_ids[e.id] = evidence_ids.get(e.id) or (f.vessel.key if f.vessel else None)
    near = [place_pos[p] for f in findings for p in f.places if p in place_pos]
    return ReportData(
        case_name=case.name, case_title=case.title or case.name, case_description=case.description,
        findings=findings, window=window, vessels=vessels,
        places=tuple(place_mark(p) for p in places),
        tracks=read_tracks(con, mmsi_key, window),
        dark_legs=tuple(sorted(dark_legs, key=lambda g: (g.vessel_key, g.start, g.kind, g.id))),
        calls=tuple(sorted(set(calls), key=lambda c: (c.vessel_key, c.start, c.end, c.place, c.source))),
        sightings=tuple(sorted(marks, key=lambda m: (m.time, m.uid))),
        detections=read_detections(con, mmsi_key, evidence_ids, window, near),
        counts=count_series(counts, place_names),
        sanctions=sanctions_panel(lake.root, vessels, findings),
        sources=lake_sources(lake),
    )
