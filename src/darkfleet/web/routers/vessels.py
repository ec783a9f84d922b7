"""Vessels: search, one vessel's identity, sanctions and events, and its track as GeoJSON."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import numpy as np
import polars as pl
from fastapi import APIRouter, Path, Query, Request

from darkfleet.report.model import iso
from darkfleet.web.auth import Viewer
from darkfleet.web.errors import ApiError
from darkfleet.web.paging import Paging
from darkfleet.web.params import When
from darkfleet.web.state import WebState, json_or_empty
from darkfleet.web.track import DarkLeg, track_geojson

router = APIRouter(prefix="/api/vessels", tags=["vessels"])

MMSI = Annotated[int, Path(ge=0, le=999_999_999, description="The vessel's MMSI (nine digits).")]

VESSELS_SQL = """
WITH p AS (
    SELECT mmsi, count(*) AS positions, min(ts) AS first_ts, max(ts) AS last_ts FROM positions GROUP BY mmsi
), s AS (
    SELECT mmsi,
           arg_max(imo, ts) FILTER (WHERE imo IS NOT NULL AND imo > 0) AS imo,
           arg_max(trim(name), ts) FILTER (WHERE nullif(trim(name), '') IS NOT NULL) AS name,
           arg_max(trim(callsign), ts) FILTER (WHERE nullif(trim(callsign), '') IS NOT NULL) AS callsign,
           arg_max(ship_type, ts) FILTER (WHERE ship_type IS NOT NULL) AS ship_type,
           min(ts) AS s_first, max(ts) AS s_last
    FROM statics GROUP BY mmsi
)
SELECT coalesce(p.mmsi, s.mmsi) AS mmsi, s.imo, s.name, s.callsign, s.ship_type,
       least(p.first_ts, s.s_first) AS first_seen, greatest(p.last_ts, s.s_last) AS last_seen,
       coalesce(p.positions, 0) AS positions
FROM p FULL OUTER JOIN s ON p.mmsi = s.mmsi
"""


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def vessel_table(state: WebState) -> pl.DataFrame:
    """One row per MMSI in the lake with its latest identity and screening result (cached)."""

    def build() -> pl.DataFrame:
        from darkfleet.tracks.mid import flag_of

        df = state.sql(VESSELS_SQL)
        if "matches" in state.views():
            hits = state.sql("SELECT mmsi, bool_or(alert) AS sanctioned, max(score) AS score "
                             "FROM matches WHERE mmsi IS NOT NULL GROUP BY mmsi")
            df = df.join(hits, on="mmsi", how="left")
        else:
            df = df.with_columns(sanctioned=pl.lit(None, pl.Boolean), score=pl.lit(None, pl.Float64))
        df = df.with_columns(sanctioned=pl.col("sanctioned").fill_null(False),
                             flag=flag_of(df["mmsi"].to_numpy()) if df.height else pl.lit(None, pl.String),
                             name_key=pl.col("name").str.to_uppercase())
        return df.sort(["sanctioned", "name", "mmsi"], descending=[True, False, False], nulls_last=True)

    return state.cached("vessels", build)


def vessel_item(r: dict[str, Any]) -> dict[str, Any]:
    return {"mmsi": r["mmsi"], "imo": r["imo"], "name": r["name"], "callsign": r["callsign"], "flag": r["flag"],
            "ship_type": r["ship_type"], "first_seen": iso(r["first_seen"]), "last_seen": iso(r["last_seen"]),
            "positions": r["positions"], "sanctioned": bool(r["sanctioned"]),
            "score": None if r["score"] is None else round(float(r["score"]), 4)}


@router.get("", summary="Search vessels by name (substring), IMO or MMSI (exact)")
def search_vessels(request: Request, user: Viewer, page: Paging,
                   q: Annotated[str | None, Query(max_length=200, description="Name part, IMO or MMSI.")] = None,
                   sanctioned: Annotated[bool | None, Query(description="Only (not) sanctioned vessels.")] = None,
                   ) -> dict[str, Any]:
    df = vessel_table(state_of(request))
    text = (q or "").strip()
    if text:
        hit = pl.col("name_key").str.contains(text.upper(), literal=True).fill_null(False)
        digits = text.upper().removeprefix("IMO").strip()
        if digits.isdigit() and len(digits) <= 12:
            number = int(digits)
            hit = hit | (pl.col("mmsi") == number) | (pl.col("imo") == number).fill_null(False)
        df = df.filter(hit)
    if sanctioned is not None:
        df = df.filter(pl.col("sanctioned") == sanctioned)
    rows = df.slice(page.offset, page.limit).to_dicts()
    return page.wrap([vessel_item(r) for r in rows], df.height)


def _one(state: WebState, mmsi: int) -> dict[str, Any]:
    rows = vessel_table(state).filter(pl.col("mmsi") == mmsi).to_dicts()
    if not rows:
        raise ApiError(404, f"no vessel with MMSI {mmsi} in this lake")
    return rows[0]


def identity(state: WebState, mmsi: int) -> list[dict[str, Any]]:
    from darkfleet.tracks.identity import identity_history

    statics = state.sql("SELECT mmsi, ts, imo, name, callsign, ship_type, length_m, width_m, destination "
                        "FROM statics WHERE mmsi = ? ORDER BY ts", [mmsi])
    hist = identity_history(statics).sort("field", "first_seen")
    return [{"field": r["field"], "value": r["value"], "start": iso(r["first_seen"]), "end": iso(r["last_seen"]),
             "reports": r["reports"]} for r in hist.iter_rows(named=True)]


def _programs(k: Any, entity_id: str) -> list[str]:
    progs: set[str] = set()
    for item in k.listed:
        e = item.entity
        if e.schema.name == "Sanction" and entity_id in e.get("entity"):
            progs.update(e.get("program"))
    return sorted(progs)


def sanctions(state: WebState, v: dict[str, Any]) -> dict[str, Any]:
    """Screening matches from ``sanctions/matches.parquet`` and the exposure paths of the alerts."""
    out: dict[str, Any] = {"matches": [], "exposure": [], "note": ""}
    if "matches" not in state.views():
        out["note"] = "the lake's AIS identities have not been screened (darkfleet screen --lake DIR)"
        return out
    rows = state.sql("""SELECT entity_id, any_value(caption) AS caption, max(score) AS score, bool_or(alert) AS alert,
                               any_value(list_name) AS list_name, any_value(version_id) AS version_id,
                               any_value(features) AS features, any_value(status_on_last_seen) AS status
                        FROM matches WHERE mmsi = ? GROUP BY entity_id ORDER BY score DESC, entity_id""", [v["mmsi"]])
    k = knowledge_of(state)
    for r in rows.iter_rows(named=True):
        features = [{"feature": f["feature"], "value": f["value"], "detail": f["detail"]} for f in r["features"] or []]
        out["matches"].append({
            "entity_id": r["entity_id"], "name": r["caption"], "score": r["score"], "alert": r["alert"],
            "programs": _programs(k, r["entity_id"]) if k is not None else [], "list": r["list_name"],
            "version": r["version_id"], "status": r["status"],
            "explanation": "; ".join(f"{f['feature']} {f['value']:+.2f} ({f['detail']})" for f in features),
            "features": features})
    if k is not None and bool(rows.height) and bool(rows["alert"].any()):
        out["exposure"] = exposure(k, v)
    return out


def knowledge_of(state: WebState) -> Any:
    def build() -> Any:
        from darkfleet.sanctions.service import knowledge

        try:
            return knowledge(state.root)
        except FileNotFoundError:
            return None

    return state.cached("knowledge", build)


def exposure(k: Any, v: dict[str, Any]) -> list[dict[str, Any]]:
    from darkfleet.sanctions.service import screen_one

    on: date = (v["last_seen"] or datetime.now(UTC)).date()
    r = screen_one(k, on, v["name"], str(v["imo"]) if v["imo"] else None, str(v["mmsi"]))
    paths = []
    for p in r.paths:
        nodes = [(p.start, None), *((s.node, s) for s in p.steps)]
        steps = []
        for node_id, step in nodes:
            n = k.graph.nodes[node_id]
            steps.append({"id": node_id, "name": n.caption, "schema": n.schema,
                          "relation": step.edge.relation if step else None,
                          "evidence": step.edge.evidence if step else None,
                          "listed": any(s.status == "listed" for s in r.node_status.get(node_id, []))})
        end = k.graph.nodes[p.end]
        lists = sorted(end.target_lists)
        paths.append({"path": steps, "listed_on": ", ".join(lists), "lists": lists, "on": on.isoformat()})
    return paths


@router.get("/{mmsi}", summary="One vessel: identity history, sanctions matches and exposure, event counts")
def vessel(request: Request, user: Viewer, mmsi: MMSI) -> dict[str, Any]:
    state = state_of(request)
    v = _one(state, mmsi)
    events = state.sql("SELECT kind, count(*) AS n FROM events WHERE mmsi = ? OR other_mmsi = ? GROUP BY kind "
                       "ORDER BY kind", [mmsi, mmsi])
    return {**vessel_item(v), "identity": identity(state, mmsi), "sanctions": sanctions(state, v),
            "events": {r["kind"]: r["n"] for r in events.iter_rows(named=True)}}


@router.get("/{mmsi}/track", summary="The vessel's track as GeoJSON: observed pieces and dark legs, simplified")
def track(request: Request, user: Viewer, mmsi: MMSI, start: When = None, end: When = None,
          max_points: Annotated[int, Query(ge=10, le=100_000, description="Vertex budget of the answer.")] = 2000,
          ) -> dict[str, Any]:
    state = state_of(request)
    _one(state, mmsi)
    t0, t1 = start, end
    if t0 is not None and t1 is not None and t1 <= t0:
        raise ApiError(400, f"end {iso(t1)} is not after start {iso(t0)}")
    # the day partitions prune files before any row is read
    by_day = state.cached("positions_by_day", lambda: "day" in state.sql("SELECT * FROM positions LIMIT 0").columns)
    where: list[str] = ["mmsi = ?"]
    params: list[Any] = [mmsi]
    if t0 is not None:
        where.append("ts >= ?")
        params.append(t0)
        if by_day:
            where.append("day >= ?")
            params.append((t0 - timedelta(days=1)).date())
    if t1 is not None:
        where.append("ts < ?")
        params.append(t1)
        if by_day:
            where.append("day <= ?")
            params.append((t1 + timedelta(days=1)).date())
    pos = state.sql(f"SELECT epoch_us(ts) / 1e6 AS t, lon, lat FROM positions WHERE {' AND '.join(where)} "
                    "ORDER BY ts", params)
    gap_where = ["kind = 'gap'", "mmsi = ?", "lon IS NOT NULL", "end_lon IS NOT NULL"]
    gap_params: list[Any] = [mmsi]
    if t0 is not None:
        gap_where.append('"end" > ?')
        gap_params.append(t0)
    if t1 is not None:
        gap_where.append("start < ?")
        gap_params.append(t1)
    gaps = state.sql(f'SELECT id, start, "end", lon, lat, end_lon, end_lat, attributes FROM events '
                     f"WHERE {' AND '.join(gap_where)} ORDER BY start, id", gap_params)
    legs = []
    for g in gaps.iter_rows(named=True):
        attrs = json_or_empty(g["attributes"])
        disabled = attrs.get("likely_disabled")
        legs.append(DarkLeg(g["id"], g["start"], g["end"], g["lon"], g["lat"], g["end_lon"], g["end_lat"],
                            None if disabled is None else bool(disabled), attrs.get("reason")))
    return track_geojson(mmsi, pos["t"].to_numpy().astype(np.float64), pos["lon"].to_numpy().astype(np.float64),
                         pos["lat"].to_numpy().astype(np.float64), legs, max_points)


__all__ = ["router", "vessel_table"]
