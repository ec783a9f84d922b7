"""What the map draws besides tracks: events, SAR detections, watched places, and the basemap."""

from __future__ import annotations

import json
import math
from enum import StrEnum
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request

from darkfleet.events.schema import KINDS
from darkfleet.report.model import iso
from darkfleet.web.auth import Viewer
from darkfleet.web.errors import ApiError
from darkfleet.web.paging import Paging
from darkfleet.web.params import When
from darkfleet.web.state import WebState, json_or_empty

router = APIRouter(prefix="/api", tags=["map"])

EventKind = StrEnum("EventKind", {k: k for k in KINDS})  # type: ignore[misc]


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


@router.get("/events", summary="Events (gaps, port visits, encounters, ...) with filters")
def events(request: Request, user: Viewer, page: Paging,
           kind: Annotated[list[EventKind] | None, Query(description="Event kinds (repeat for several).")] = None,
           mmsi: Annotated[int | None, Query(ge=0, le=999_999_999, description="The vessel or the other vessel.")]
           = None,
           start: When = None, end: When = None) -> dict[str, Any]:
    state = state_of(request)
    where: list[str] = ["true"]
    params: list[Any] = []
    if kind:
        where.append("kind IN (SELECT unnest(?))")
        params.append(sorted({k.value for k in kind}))
    if mmsi is not None:
        where.append("(mmsi = ? OR other_mmsi = ?)")
        params += [mmsi, mmsi]
    if start is not None:
        where.append('"end" >= ?')
        params.append(start)
    if end is not None:
        where.append("start < ?")
        params.append(end)
    cond = " AND ".join(where)
    total = int(state.sql(f"SELECT count(*) AS n FROM events WHERE {cond}", params)["n"][0])
    rows = state.sql(f"""SELECT id, kind, mmsi, other_mmsi, start, "end", lon, lat, end_lon, end_lat, place_id,
                                attributes, detector FROM events WHERE {cond}
                         ORDER BY start, kind, mmsi, id LIMIT ? OFFSET ?""", [*params, page.limit, page.offset])
    items = []
    for r in rows.iter_rows(named=True):
        attrs = json_or_empty(r["attributes"])
        items.append({"id": r["id"], "kind": r["kind"], "mmsi": r["mmsi"], "other_mmsi": r["other_mmsi"],
                      "start": iso(r["start"]), "end": iso(r["end"]), "lon": r["lon"], "lat": r["lat"],
                      "end_lon": r["end_lon"], "end_lat": r["end_lat"],
                      "place": attrs.get("place_name") or r["place_id"], "place_id": r["place_id"],
                      "attributes": attrs, "detector": r["detector"]})
    return page.wrap(items, total)


DETECTIONS_SQL = """
WITH m AS (
    SELECT detection_id, arg_min(kind, kind <> 'matched') AS kind, arg_min(mmsi, kind <> 'matched') AS mmsi,
           arg_min(distance_m, kind <> 'matched') AS distance_m, arg_min(candidates_json, kind <> 'matched') AS cands,
           any_value(scene_id) AS scene_id, any_value(acquired_at) AS acquired_at, any_value(det_lon) AS det_lon,
           any_value(det_lat) AS det_lat, any_value(length_sar_m) AS length_sar_m, any_value(score) AS score
    FROM sar_matches WHERE detection_id IS NOT NULL GROUP BY detection_id
)
"""


def _detections_query(views: set[str]) -> str | None:
    """Detections with their match: from ``detections`` when the lake has it, else from the SAR matches."""
    if "detections" in views and "sar_matches" in views:
        return DETECTIONS_SQL + """SELECT d.detection_id AS id, d.scene_id, d.acquired_at AS time, d.lon, d.lat,
                   d.length_m, d.score, m.kind AS match_kind, m.mmsi AS match_mmsi, m.distance_m, m.cands
            FROM detections d LEFT JOIN m ON m.detection_id = d.detection_id WHERE d.lon IS NOT NULL"""
    if "detections" in views:
        return """SELECT detection_id AS id, scene_id, acquired_at AS time, lon, lat, length_m, score,
                         NULL AS match_kind, NULL::BIGINT AS match_mmsi, NULL::DOUBLE AS distance_m, NULL AS cands
                  FROM detections WHERE lon IS NOT NULL"""
    if "sar_matches" in views:
        return DETECTIONS_SQL + """SELECT detection_id AS id, scene_id, acquired_at AS time, det_lon AS lon,
                   det_lat AS lat, length_sar_m AS length_m, score, kind AS match_kind, mmsi AS match_mmsi,
                   distance_m, cands FROM m WHERE det_lon IS NOT NULL"""
    return None


def _candidate(cands: str | None) -> dict[str, Any] | None:
    try:
        ranked = json.loads(cands) if cands else []
    except ValueError:
        return None
    if not isinstance(ranked, list) or not ranked or not isinstance(ranked[0], dict):
        return None
    c = ranked[0]
    return {"mmsi": c.get("mmsi"), "name": c.get("name"), "score": c.get("score")}


@router.get("/detections", summary="SAR detections and their AIS match (or dark)")
def detections(request: Request, user: Viewer, page: Paging,
               scene: Annotated[str | None, Query(max_length=300, description="Only this scene id.")] = None,
               ) -> dict[str, Any]:
    state = state_of(request)
    sql = _detections_query(state.views())
    if sql is None:
        return page.wrap([], 0)
    cond, params = ("WHERE scene_id = ?", [scene]) if scene is not None else ("", [])
    total = int(state.sql(f"SELECT count(*) AS n FROM ({sql}) {cond}", params)["n"][0])
    rows = state.sql(f"SELECT * FROM ({sql}) {cond} ORDER BY time, id LIMIT ? OFFSET ?",
                     [*params, page.limit, page.offset])
    items = []
    for r in rows.iter_rows(named=True):
        matched = r["match_kind"] == "matched" and r["match_mmsi"] is not None
        dark = r["match_kind"] == "dark"
        items.append({"id": r["id"], "scene_id": r["scene_id"], "time": iso(r["time"]), "lon": r["lon"],
                      "lat": r["lat"], "length_m": r["length_m"], "score": r["score"],
                      "match": {"mmsi": r["match_mmsi"], "distance_m": r["distance_m"]} if matched else None,
                      "dark": dark, "candidate": _candidate(r["cands"]) if dark else None})
    return page.wrap(items, total)


@router.get("/places", summary="Watched places of the case store")
def places(request: Request, user: Viewer, page: Paging) -> dict[str, Any]:
    items = []
    for p in state_of(request).store.places():
        geometry = json.loads(p.geometry_geojson) if p.geometry_geojson else None
        items.append({"id": p.id, "name": p.name, "kind": p.kind, "lon": p.lon, "lat": p.lat, "radius_m": p.radius_m,
                      "geometry": geometry, "aliases": [a for a in p.aliases.split("|") if a], "source": p.source})
    return page.of(items)


# -- basemap ---------------------------------------------------------------------------------------

BASEMAP_PAD_DEG = 1.0


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    parts = text.split(",")
    try:
        values = [float(p) for p in parts]
    except ValueError as exc:
        raise ApiError(400, f"bbox {text!r}: expected four numbers lon0,lat0,lon1,lat1") from exc
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ApiError(400, f"bbox {text!r}: expected four numbers lon0,lat0,lon1,lat1")
    lon0, lat0, lon1, lat1 = values
    if not (-180 <= lon0 < lon1 <= 180 and -90 <= lat0 < lat1 <= 90):
        raise ApiError(400, f"bbox {text!r}: need -180 <= lon0 < lon1 <= 180 and -90 <= lat0 < lat1 <= 90")
    return lon0, lat0, lon1, lat1


def snap_bbox(bbox: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """Widen the box to a grid of its own scale, so nearby requests share one cached basemap."""
    span = max(bbox[2] - bbox[0], bbox[3] - bbox[1])
    step = 0.25 if span <= 4 else 1.0 if span <= 20 else 5.0
    return (max(-180.0, math.floor(bbox[0] / step) * step), max(-90.0, math.floor(bbox[1] / step) * step),
            min(180.0, math.ceil(bbox[2] / step) * step), min(90.0, math.ceil(bbox[3] / step) * step))


def lake_extent(state: WebState) -> tuple[float, float, float, float]:
    def build() -> tuple[float, float, float, float]:
        r = state.sql("SELECT min(lon) AS a, min(lat) AS b, max(lon) AS c, max(lat) AS d FROM positions "
                      "WHERE lon BETWEEN -180 AND 180 AND lat BETWEEN -90 AND 90").row(0)
        if r[0] is not None:  # where the ships are (a far inland depot would shrink the sea to a strip)
            xs, ys = [r[0], r[2]], [r[1], r[3]]
        else:
            xs, ys = [p.lon for p in state.store.places()], [p.lat for p in state.store.places()]
        if not xs:
            return (-180.0, -80.0, 180.0, 84.0)
        return (max(-180.0, min(xs) - BASEMAP_PAD_DEG), max(-90.0, min(ys) - BASEMAP_PAD_DEG),
                min(180.0, max(xs) + BASEMAP_PAD_DEG), min(90.0, max(ys) + BASEMAP_PAD_DEG))

    return state.cached("extent", build)


def land_polygons(rings: tuple[tuple[tuple[float, float], ...], ...]) -> list[dict[str, Any]]:
    """The coast module's rings, filled even-odd as its map draws them (a lake inside land is a hole,
    an island in that lake land again), as GeoJSON polygons. The rings are contours of one grid,
    so they never cross: a ring's nesting depth is the number of rings around its first vertex."""
    import shapely
    from shapely.geometry import Polygon

    shells = [Polygon(r) for r in rings if len(r) >= 4]
    if not shells:
        return []
    tree = shapely.STRtree(shells)
    first = shapely.points([s.exterior.coords[0] for s in shells])
    inside, around = tree.query(first, predicate="within")  # (ring i's first vertex, ring j around it)
    keep = inside != around
    inside, around = inside[keep], around[keep]
    depth = np.bincount(inside, minlength=len(shells))
    holes: dict[int, list[int]] = {}
    for i, j in zip(inside.tolist(), around.tolist(), strict=True):
        if depth[i] % 2 == 1 and depth[j] == depth[i] - 1:  # a hole, in the ring one level up
            holes.setdefault(j, []).append(i)
    out = []
    for i, shell in enumerate(shells):
        if depth[i] % 2 == 0:
            poly = Polygon(shell.exterior.coords, [shells[h].exterior.coords for h in holes.get(i, [])])
            out.append(shapely.geometry.mapping(poly))
    return out


@router.get("/basemap", summary="Land polygons for the map, from the packaged land mask (no tile server)")
def basemap(request: Request, user: Viewer,
            bbox: Annotated[str | None, Query(max_length=200, description="lon0,lat0,lon1,lat1 (default: the lake's "
                                                                          "area)")] = None) -> dict[str, Any]:
    from darkfleet.report.coast import coastline_rings

    state = state_of(request)
    box = snap_bbox(parse_bbox(bbox) if bbox is not None else lake_extent(state))

    # rings are cached on disk per box by the coast module (the grid snapping keeps the boxes few)
    geometries = land_polygons(coastline_rings(box, state.root / "cache" / "report"))
    return {"type": "FeatureCollection", "bbox": list(box),
            "features": [{"type": "Feature", "geometry": g, "properties": {"kind": "land"}} for g in geometries],
            "properties": {"source": "global-land-mask (GLOBE 30 arc-second grid), darkfleet.report.coast"}}
