"""The gazetteer: places as a Polars table, from searoute's ports, the World Port Index and GeoJSON.

Schema (``PLACES``): ``place_id`` (stable: ``<source>:<code or name>``), ``name``, ``kind``
(``port``, ``anchorage``, ``depot``, ``rail_facility``, ...), ``lon``, ``lat`` (WGS84 degrees of
the reference point), ``radius_m`` (the place's own extent for user places; null for a point
port, whose extent the detector's entry/exit radii give), ``source``.

GeoJSON polygons are stored as their centroid with the radius of the circle about it that
covers every vertex (a deliberate simplification: detectors work on distances to points).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray
from scipy.spatial import cKDTree

from darkfleet.geo import kernels
from darkfleet.geo.units import M_PER_DEG_LAT, chord_to_m, haversine_m, unit_vectors

M_PER_DEG = M_PER_DEG_LAT

PLACES = {
    "place_id": pl.String, "name": pl.String, "kind": pl.String,
    "lon": pl.Float64, "lat": pl.Float64, "radius_m": pl.Float64, "source": pl.String,
}


def empty_places() -> pl.DataFrame:
    return pl.DataFrame(schema=PLACES)


def searoute_ports() -> pl.DataFrame:
    """The ports shipped with the ``searoute`` package (UN/LOCODE ids): 3,962 features, 3,924
    distinct codes (a code listed twice keeps its first position)."""
    import searoute

    path = Path(searoute.__file__).parent / "data" / "ports.geojson"
    feats = json.loads(path.read_text())["features"]
    return pl.DataFrame(
        {
            "place_id": [f"searoute:{f['properties']['port']}" for f in feats],
            "name": [f["properties"].get("name") for f in feats],
            "kind": ["port"] * len(feats),
            "lon": [float(f["geometry"]["coordinates"][0]) for f in feats],
            "lat": [float(f["geometry"]["coordinates"][1]) for f in feats],
            "radius_m": [None] * len(feats),
            "source": ["searoute"] * len(feats),
        },
        schema=PLACES,
    ).unique("place_id", keep="first", maintain_order=True)


def wpi_ports(path: str | Path) -> pl.DataFrame:
    """World Port Index rows as exported by GFW's anchorages pipeline (iso3,label,sublabel,latitude,longitude)."""
    df = pl.read_csv(path, schema_overrides={"sublabel": pl.String})
    missing = {"iso3", "label", "latitude", "longitude"} - set(df.columns)
    if missing:
        raise ValueError(f"{path}: World Port Index CSV lacks column(s) {sorted(missing)}")
    return df.select(
        place_id=pl.format("wpi:{}:{}", pl.col("iso3"), pl.col("label")),
        name=pl.col("label"),
        kind=pl.lit("port"),
        lon=pl.col("longitude").cast(pl.Float64),
        lat=pl.col("latitude").cast(pl.Float64),
        radius_m=pl.lit(None, pl.Float64),
        source=pl.lit("wpi"),
    ).unique("place_id", keep="first", maintain_order=True)


def geojson_places(path: str | Path, default_kind: str = "site") -> pl.DataFrame:
    """User places: Point features (optional ``radius_m`` property) or (Multi)Polygons.

    Properties used: ``id``, ``name``, ``kind``, ``radius_m``. A feature without a name is an
    error naming the file and feature index.
    """
    import shapely.geometry

    doc = json.loads(Path(path).read_text())
    feats = doc["features"] if doc.get("type") == "FeatureCollection" else [doc]
    rows = []
    for i, f in enumerate(feats):
        props = f.get("properties") or {}
        name = props.get("name")
        if not name:
            raise ValueError(f"{path}: feature {i} has no 'name' property")
        geom = shapely.geometry.shape(f["geometry"])
        if geom.geom_type == "Point":
            lon, lat, radius = geom.x, geom.y, props.get("radius_m")
        elif geom.geom_type in ("Polygon", "MultiPolygon"):
            c = geom.centroid
            xy = np.asarray(geom.convex_hull.exterior.coords)
            lon, lat = c.x, c.y
            radius = float(haversine_m(lon, lat, xy[:, 0], xy[:, 1]).max())
        else:
            raise ValueError(f"{path}: feature {i} ({name}): geometry {geom.geom_type} is not a Point or Polygon")
        rows.append({
            "place_id": f"user:{props.get('id') or name}", "name": name, "kind": props.get("kind") or default_kind,
            "lon": float(lon), "lat": float(lat),
            "radius_m": None if radius is None else float(radius), "source": str(path),
        })
    return pl.DataFrame(rows, schema=PLACES)


_INDEX: dict[tuple[int, int, float, float], dict[str, object]] = {}


def _index(places: pl.DataFrame) -> dict[str, object]:
    """The k-d tree (and screening cells) of a places table, built once per distinct table."""
    key = (places.height, int(places["place_id"].hash().sum()), float(places["lon"].sum()), float(places["lat"].sum()))
    if key not in _INDEX:
        if len(_INDEX) > 16:
            _INDEX.clear()
        _INDEX[key] = {"tree": cKDTree(unit_vectors(places["lon"].to_numpy(), places["lat"].to_numpy()))}
    return _INDEX[key]


def nearest_place(places: pl.DataFrame, lon: ArrayLike,
                  lat: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Index (into ``places``) of the nearest place to each point, and the distance in metres.

    With no places, index -1 and distance +inf.
    """
    lo = np.asarray(lon, np.float64)
    if places.height == 0:
        return np.full(lo.shape, -1, np.int64), np.full(lo.shape, np.inf)
    tree: cKDTree = _index(places)["tree"]  # type: ignore[assignment]
    chord, idx = tree.query(unit_vectors(lo, lat), workers=-1)
    return np.asarray(idx, np.int64), chord_to_m(chord)


def near_places(places: pl.DataFrame, lon: ArrayLike, lat: ArrayLike,
                reach_m: float) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Like :func:`nearest_place`, but only for points that may lie within ``reach_m`` (plus the
    place's own ``radius_m``) of some place: index −1 and +inf elsewhere.

    Points are screened with a global grid of 0.1° cells (one array look-up per point: far from
    every place, the usual case, that is all). In a cell only one place can reach, that place is
    the candidate; in a cell several can reach, the nearest of them (a handful). Distances are
    measured on the plane tangent at the mid-latitude, within a millimetre of the great-circle
    distance at these ranges (``reach_m`` of a few km). Beyond ``reach_m`` the answer is always
    −1 / +inf. (Places across the antimeridian are not sought.)
    """
    lo = np.asarray(lon, np.float64)
    idx = np.full(lo.shape, -1, np.int64)
    dist = np.full(lo.shape, np.inf)
    rows, best, d = near_place_rows(places, lon, lat, reach_m)
    idx[rows], dist[rows] = best, d
    return idx, dist


def near_place_rows(places: pl.DataFrame, lon: ArrayLike, lat: ArrayLike,
                    reach_m: float) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    """:func:`near_places` for the points within reach only (1-d input): their indices
    (ascending), the place index and the distance in metres."""
    lo = np.asarray(lon, np.float64)
    la = np.asarray(lat, np.float64)
    none = np.zeros(0, np.int64)
    if places.height == 0 or lo.size == 0:
        return none, none, np.zeros(0)
    grid, cand_start, cand_count, cand = _screen_grid(places, reach_m)
    return kernels.near_rows(lo, la, grid, cand_start, cand_count, cand, places["lon"].to_numpy(),
                             places["lat"].to_numpy(), places["radius_m"].fill_null(0.0).to_numpy(),
                             float(reach_m), 1 / _CELL, _NX, _NY, M_PER_DEG)


_CELL = 0.1
_NX, _NY = 3600, 1800


def _screen_grid(places: pl.DataFrame, reach_m: float) -> tuple[NDArray[np.integer], ...]:
    """The 0.1° cells within ``reach_m`` (+ radius) of some place, as a global grid: −1 none,
    a place index where one place reaches, −2 − j where several do (their indices are
    ``cand[cand_start[j]:cand_start[j] + cand_count[j]]``, ascending). Cached per places table."""
    idx = _index(places)
    key = f"grid:{reach_m}"
    if key in idx:
        return idx[key]  # type: ignore[return-value]
    cells, owner = _marked_cells(places, reach_m, _CELL)
    cy, cx = cells // 10_000, cells % 10_000  # ids are my · 10000 + mx with mx shifted below to stay positive
    keep = (cy >= 0) & (cy < _NY) & (cx >= 0) & (cx < _NX)
    flat = (cy * _NX + cx)[keep]
    owner = owner[keep]
    order = np.lexsort((owner, flat))
    flat, owner = flat[order], owner[order]
    pair_new = np.r_[True, (flat[1:] != flat[:-1]) | (owner[1:] != owner[:-1])]
    flat, owner = flat[pair_new], owner[pair_new]
    uniq, first, count = np.unique(flat, return_index=True, return_counts=True)
    grid = np.full(_NX * _NY, -1, np.int32)
    grid[uniq[count == 1]] = owner[first[count == 1]]
    multi = np.flatnonzero(count > 1)
    grid[uniq[multi]] = -2 - np.arange(len(multi), dtype=np.int32)
    out = (grid, first[multi].astype(np.int64), count[multi].astype(np.int64), owner.astype(np.int64))
    idx[key] = out
    return out


def _marked_cells(places: pl.DataFrame, reach_m: float, cell: float) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Every (cell, place) with the cell within ``reach_m`` (+ radius) of the place; cell ids are
    (row + 900) · 10000 + (column + 1800) of the global ``cell``° grid."""
    plon, plat = places["lon"].to_numpy(), places["lat"].to_numpy()
    reach = reach_m + places["radius_m"].fill_null(0.0).to_numpy()
    dlat = reach / 111_000 + cell
    dlon = dlat / np.maximum(np.cos(np.radians(np.minimum(np.abs(plat) + dlat, 89.0))), 0.01)
    nx = np.ceil(dlon / cell).astype(np.int64)
    ny = np.ceil(dlat / cell).astype(np.int64)
    cx, cy = np.floor(plon / cell).astype(np.int64), np.floor(plat / cell).astype(np.int64)
    w, h = 2 * nx + 1, 2 * ny + 1
    per = w * h  # cells marked around each place
    owner = np.repeat(np.arange(len(cx)), per)
    k = np.arange(per.sum()) - np.repeat(np.cumsum(per) - per, per)
    gx = cx[owner] - nx[owner] + k % w[owner]
    gy = cy[owner] - ny[owner] + k // w[owner]
    # keep the cells the reach disc touches: flat-earth distance from the place to the cell's
    # nearest point, with a margin (a cell kept too many only costs work)
    x0, y0 = gx * cell, gy * cell
    px, py = plon[owner], plat[owner]
    dx = np.maximum(np.maximum(x0 - px, px - (x0 + cell)), 0.0) * np.cos(np.radians(np.minimum(np.abs(py) + 1, 89)))
    dy = np.maximum(np.maximum(y0 - py, py - (y0 + cell)), 0.0)
    touch = np.hypot(dx, dy) * 111_195 <= reach[owner] * 1.05 + 200.0
    return ((gy + _NY // 2) * 10_000 + gx + _NX // 2)[touch], owner[touch]


def within(places: pl.DataFrame, lon: ArrayLike, lat: ArrayLike, radius_m: float) -> tuple[NDArray[np.int64], ...]:
    """All (point index, place index) pairs closer than ``radius_m`` (k-d tree ball query)."""
    from darkfleet.geo.units import m_to_chord

    if places.height == 0:
        e = np.empty(0, np.int64)
        return e, e
    tree = cKDTree(unit_vectors(places["lon"].to_numpy(), places["lat"].to_numpy()))
    pts = cKDTree(unit_vectors(lon, lat))
    pairs = pts.query_ball_tree(tree, m_to_chord(radius_m))
    counts = np.fromiter((len(p) for p in pairs), np.int64, len(pairs))
    return np.repeat(np.arange(len(pairs)), counts), np.fromiter((j for p in pairs for j in p), np.int64, counts.sum())
