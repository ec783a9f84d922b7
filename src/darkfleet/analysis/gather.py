"""Reading the evidence: AIS events and identities from the lake, SAR matches, and the case
store's places, sightings and counts, as the tables the kernels take. The only module here that
touches files."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from darkfleet.analysis.voyages import OBS_SCHEMA
from darkfleet.cases.store import CaseStore, store_url
from darkfleet.geo.units import haversine_m
from darkfleet.lake.query import connect
from darkfleet.lake.store import Lake

TS = pl.Datetime("us", "UTC")
EVIDENCE_COLS = pl.Schema({
    "obs_id": pl.String(), "kind": pl.String(), "vessel": pl.String(), "imo": pl.Int64(), "mmsi": pl.Int64(),
    "name": pl.String(), "place": pl.String(), "lon": pl.Float64(), "lat": pl.Float64(), "start": TS, "end": TS,
    "source": pl.String(), "sha256": pl.String(), "summary": pl.String(), "confidence": pl.String(),
})


@dataclass(frozen=True, eq=False)
class Evidence:
    places: pl.DataFrame  # name, kind, lon, lat, radius_m, source
    observations: pl.DataFrame  # EVIDENCE_COLS
    gaps: pl.DataFrame  # vessel, gap_id, start, end, likely_disabled, mmsi, source, sha256, summary
    counts: pl.DataFrame  # count_id, place, site, object_class, size_class, colour, observed_at, count, source...
    identities: pl.DataFrame  # vessel, imo, mmsi, name


def open_store(lake: Path) -> CaseStore:
    return CaseStore.open(store_url(lake))


def store_places(store: CaseStore) -> pl.DataFrame:
    rows = [{"name": p.name, "kind": p.kind, "lon": p.lon, "lat": p.lat, "radius_m": p.radius_m or 0.0,
             "source": p.source} for p in store.places()]
    return pl.DataFrame(rows, schema={"name": pl.String, "kind": pl.String, "lon": pl.Float64, "lat": pl.Float64,
                                      "radius_m": pl.Float64, "source": pl.String})


def at_place(places: pl.DataFrame, lon: np.ndarray, lat: np.ndarray, extra_m: float) -> list[str | None]:
    """The watched place each point lies in (radius + ``extra_m``), nearest first; None elsewhere."""
    if places.height == 0 or len(lon) == 0:
        return [None] * len(lon)
    d = haversine_m(lon[:, None], lat[:, None], places["lon"].to_numpy()[None, :], places["lat"].to_numpy()[None, :])
    inside = d <= places["radius_m"].to_numpy()[None, :] + extra_m
    best = np.where(inside, d, np.inf).argmin(axis=1)
    names = places["name"].to_list()
    return [names[j] if inside[i, j] else None for i, j in enumerate(best)]


def identities(con) -> pl.DataFrame:  # noqa: ANN001
    """mmsi → the IMO and name it broadcast most, and the vessel key (IMO when known)."""
    ids = con.sql("SELECT mmsi, mode(imo) FILTER (WHERE imo > 0) AS imo, mode(name) AS name FROM statics "
                  "GROUP BY mmsi").pl()
    return ids.with_columns(vessel=vessel_key(pl.col("imo"), pl.col("mmsi"), pl.col("name")))


def vessel_key(imo: pl.Expr, mmsi: pl.Expr, name: pl.Expr) -> pl.Expr:
    return (pl.when(imo.is_not_null()).then(pl.format("IMO{}", imo))
            .when(mmsi.is_not_null()).then(pl.format("MMSI{}", mmsi))
            .otherwise(pl.format("NAME:{}", name.str.to_uppercase())))


def _source_hashes(con) -> dict[str, tuple[str, str]]:  # noqa: ANN001
    rows = con.sql("SELECT source, path, sha256 FROM sources").fetchall()
    return {s: (p, h) for s, p, h in rows}


def gather(lake: Lake, store: CaseStore, case: str | None, extra_m: float) -> Evidence:
    from darkfleet.events.store import read_events

    con = connect(lake)
    places = store_places(store)
    ids = identities(con)
    hashes = _source_hashes(con)
    events = read_events(lake, ["port_visit", "stop", "gap"]).join(
        ids.select("mmsi", "vessel", "imo", "name"), on="mmsi", how="left").with_columns(
        vessel=pl.coalesce("vessel", pl.format("MMSI{}", pl.col("mmsi"))))
    src = events["source_rows"].list.first().str.split(":").list.first()
    events = events.with_columns(
        source=src.replace_strict({k: v[0] for k, v in hashes.items()}, default=src, return_dtype=pl.String),
        sha256=src.replace_strict({k: v[1] for k, v in hashes.items()}, default=None, return_dtype=pl.String))
    visits = events.filter(pl.col("kind") != "gap")
    where = at_place(places, visits["lon"].to_numpy(), visits["lat"].to_numpy(), extra_m)
    visits = visits.with_columns(place=pl.Series(where, dtype=pl.String)).with_columns(
        place=pl.when(pl.col("kind") == "port_visit").then(pl.coalesce("place", "place_id")).otherwise("place")
    ).filter(pl.col("place").is_not_null())
    ais = visits.select(
        pl.col("id").alias("obs_id"), pl.format("ais_{}", pl.col("kind")).alias("kind"), "vessel", "imo", "mmsi",
        "name", "place", "lon", "lat", "start", "end", "source", "sha256",
        pl.format("AIS {} of MMSI {} ({} to {})", pl.col("kind").str.replace("_", " "), pl.col("mmsi"),
                  pl.col("start").dt.strftime("%Y-%m-%d %H:%M"), pl.col("end").dt.strftime("%Y-%m-%d %H:%M"))
        .alias("summary"), pl.lit(None, pl.String).alias("confidence"))
    gaps = events.filter(pl.col("kind") == "gap").select(
        "vessel", pl.col("id").alias("gap_id"), "start", "end", "mmsi", "source", "sha256",
        pl.col("attributes").str.json_path_match("$.likely_disabled").eq("true").alias("likely_disabled"),
        pl.format("AIS silent {} h from {} (reason: {})",
                  pl.col("attributes").str.json_path_match("$.duration_h").cast(pl.Float64).round(1),
                  pl.col("start").dt.strftime("%Y-%m-%d %H:%M"),
                  pl.col("attributes").str.json_path_match("$.reason").fill_null("none")).alias("summary"))
    obs = [ais.cast(EVIDENCE_COLS), _sightings(store, case, places), _sar(con, ids, places, extra_m)]
    counts = _counts(store, case, places)
    con.close()
    return Evidence(places, pl.concat(obs, how="vertical").sort("vessel", "start", "obs_id"), gaps, counts, ids)


def _sightings(store: CaseStore, case: str | None, places: pl.DataFrame) -> pl.DataFrame:
    names = {p.id: p.name for p in store.places()}
    rows = [{"obs_id": s.uid, "kind": "sighting", "imo": s.imo, "mmsi": s.mmsi, "name": s.vessel_name,
             "place": names.get(s.place_id or -1), "lon": s.lon, "lat": s.lat, "start": s.observed_at,
             "end": s.observed_at, "source": s.source, "sha256": s.image_sha256,
             "summary": f"{s.vessel_name or s.vessel_type} seen in {s.image_id or 'an image'} ({s.confidence})",
             "confidence": s.confidence}
            for s in store.sightings(case) if s.imo or s.mmsi or s.vessel_name]
    df = pl.DataFrame(rows, schema={k: v for k, v in EVIDENCE_COLS.items() if k != "vessel"})
    if df.height and places.height:
        where = at_place(places, df["lon"].fill_null(0).to_numpy(), df["lat"].fill_null(0).to_numpy(), 0.0)
        df = df.with_columns(pl.coalesce("place", pl.Series(where, dtype=pl.String)))
    return df.with_columns(vessel=vessel_key(pl.col("imo"), pl.col("mmsi"), pl.col("name"))).select(
        list(EVIDENCE_COLS)).filter(pl.col("place").is_not_null())


def _sar(con, ids: pl.DataFrame, places: pl.DataFrame, extra_m: float) -> pl.DataFrame:  # noqa: ANN001
    """Matched detections (the AIS vessel), and dark ones whose best watchlist candidate is
    reachable and clearly ahead of the next (score ≥ 0.5, margin ≥ 0.2)."""
    empty = pl.DataFrame(schema=EVIDENCE_COLS)
    try:
        m = con.sql("SELECT match_id, kind, scene_id, sha256, source_path, acquired_at, detection_id, mmsi, "
                    "det_lon, det_lat, candidates_json FROM sar_matches WHERE kind IN ('matched', 'dark')").pl()
    except Exception:  # noqa: BLE001 - no SAR results in this lake
        return empty
    if m.height == 0:
        return empty
    picks = []
    for r in m.iter_rows(named=True):
        mmsi, how = r["mmsi"], "matched to AIS"
        if r["kind"] == "dark":
            cands = sorted(json.loads(r["candidates_json"] or "[]"), key=lambda c: c["rank"])
            top = cands[0] if cands else None
            second = cands[1]["score"] if len(cands) > 1 else 0.0
            if top is None or not top["reachable"] or top["score"] < 0.5 or top["score"] - second < 0.2:
                continue
            mmsi, how = top["mmsi"], f"dark; best watchlist candidate (score {top['score']:.2f}, next {second:.2f})"
        picks.append({"obs_id": r["detection_id"], "mmsi": mmsi, "lon": r["det_lon"], "lat": r["det_lat"],
                      "start": r["acquired_at"], "source": f"{r['scene_id']} ({r['source_path']})",
                      "sha256": r["sha256"], "how": how, "kind": "sar_detection"})
    if not picks:
        return empty
    df = pl.DataFrame(picks).with_columns(pl.col("start").cast(TS), pl.col("mmsi").cast(pl.Int64)).join(
        ids.select("mmsi", "vessel", "imo", "name"), on="mmsi", how="left")
    where = at_place(places, df["lon"].to_numpy(), df["lat"].to_numpy(), extra_m)
    return df.with_columns(
        place=pl.Series(where, dtype=pl.String), end=pl.col("start"),
        vessel=pl.coalesce("vessel", pl.format("MMSI{}", pl.col("mmsi"))),
        summary=pl.format("SAR detection of {} ({})", pl.coalesce("name", pl.col("mmsi").cast(pl.String)), "how"),
        confidence=pl.lit(None, pl.String),
    ).filter(pl.col("place").is_not_null()).select(list(EVIDENCE_COLS)).cast(EVIDENCE_COLS)


def _counts(store: CaseStore, case: str | None, places: pl.DataFrame) -> pl.DataFrame:
    names = {p.id: p.name for p in store.places()}
    rows = [{"count_id": c.uid, "place": names.get(c.place_id or -1), "site": c.site, "object_class": c.object_class,
             "size_class": c.size_class, "colour": c.colour, "observed_at": c.observed_at, "count": c.count,
             "source": c.source, "sha256": c.image_sha256, "image_id": c.image_id} for c in store.counts(case)]
    schema: dict[str, Any] = {"count_id": pl.String, "place": pl.String, "site": pl.String, "object_class": pl.String,
              "size_class": pl.String, "colour": pl.String, "observed_at": TS, "count": pl.Int64,
              "source": pl.String, "sha256": pl.String, "image_id": pl.String}
    return pl.DataFrame(rows, schema=schema).filter(pl.col("place").is_not_null())


def positions_in_legs(lake: Lake, legs: pl.DataFrame, ids: pl.DataFrame) -> pl.DataFrame:
    """``legs`` with ``ais_positions``: positions heard from the vessel's MMSIs during each leg."""
    keyed = legs.with_row_index("_leg")
    mm = keyed.select("_leg", "vessel", "depart", "arrive").join(ids.select("vessel", "mmsi"), on="vessel")
    con = connect(lake)
    con.register("_legs", mm.to_arrow())
    n = con.sql("SELECT l._leg, count(p.ts) AS ais_positions FROM _legs l JOIN positions p "
                "ON p.mmsi = l.mmsi AND p.ts > l.depart AND p.ts < l.arrive GROUP BY l._leg").pl()
    con.close()
    return keyed.join(n.with_columns(pl.col("_leg").cast(pl.UInt32)), on="_leg", how="left").with_columns(
        pl.col("ais_positions").fill_null(0)).drop("_leg")


__all__ = ["Evidence", "gather", "open_store", "positions_in_legs", "OBS_SCHEMA"]
