"""Imagery observations of the reference world: analyst sightings, object counts, SAR detections.

SYNTHETIC: generated from the world's true tracks. Only the Tumangang railcar figures follow a
public source (CSIS Beyond Parallel, 6 Oct 2023: about 73 railcars in imagery of 5 October
2023, against 20 or fewer before); every other number, time, colour and image id is generated.
Optical images are taken at 01:30 UTC (late morning local time, when sun-synchronous optical
satellites pass), SAR scenes at 21:10 UTC.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from darkfleet.scenario.reference import (
    BERTHS,
    DUNAI,
    NAJIN,
    SYNTHETIC,
    TIKHORETSK,
    TUMANGANG,
    Call,
    ReferenceWorld,
)

PROVIDER = "synthetic-optical"
CONTAINER = dict(object_class="container", size_class="20ft", colour="dark green")  # generated attributes
VESSEL_TYPES = {"ANGARA": "Roll-on Roll-off", "MARIA": "General Cargo"}  # SDN records
COLOURS = {"ANGARA": "black hull, white superstructure", "MARIA": "blue hull, white superstructure"}  # generated
OBS_COLUMNS = ("kind", "observed_at", "place", "vessel_name", "imo", "vessel_type", "length_m", "colours", "lon",
               "lat", "image_id", "provider", "confidence", "source", "site", "object_class", "size_class",
               "colour", "count", "note")
PLACE_POINTS = {NAJIN: (130.3, 42.233333), DUNAI: (132.3375, 42.88028), TUMANGANG: (130.6025505, 42.4216825),
                TIKHORETSK: (40.13, 45.85)}


def _pass_after(t: datetime, hour_min: tuple[int, int] = (1, 30)) -> datetime:
    """The first image time (daily at hour:min UTC) at or after ``t``."""
    day = t.replace(hour=hour_min[0], minute=hour_min[1], second=0, microsecond=0)
    return day if day >= t else day + timedelta(days=1)


def _pass_before(t: datetime, hour_min: tuple[int, int] = (1, 30)) -> datetime:
    day = t.replace(hour=hour_min[0], minute=hour_min[1], second=0, microsecond=0)
    return day if day <= t else day - timedelta(days=1)


def _image_id(place: str, when: datetime) -> str:
    return f"SYNTH-OPT-{place.split()[0].upper()}-{when:%Y%m%dT%H%M}Z"


def _row(**values: object) -> dict[str, object]:
    return {c: values.get(c) for c in OBS_COLUMNS}


def sightings(world: ReferenceWorld) -> list[dict[str, object]]:
    """A named sighting in a daily optical image during every shuttle call at Najin and Dunai
    (two for long stays at Najin); at Dunai stays with AIS on, only every other one is imaged."""
    rows = []
    rng = np.random.default_rng([world.params.seed, 11])
    imo = {s.name: s.imo for s in world.params.shuttles}
    length = {s.name: s.length_m for s in world.params.shuttles}
    for i, c in enumerate(world.calls):
        a, d = world.at(c.arrive_min), world.at(c.depart_min)
        first = _pass_after(a + timedelta(hours=2))
        times = [t for t in (first, first + timedelta(days=2)) if t <= d - timedelta(hours=2)]
        if c.place == DUNAI and c.ais_on and i % 2 == 0:
            times = []
        if c.place == DUNAI or len(times) > 1 and rng.random() < 0.5:
            times = times[:1]
        for t in times:
            lon, lat = BERTHS[c.place]
            rows.append(_row(kind="sighting", observed_at=t, place=c.place, vessel_name=c.vessel, imo=imo[c.vessel],
                             vessel_type=VESSEL_TYPES[c.vessel], length_m=length[c.vessel] + int(rng.integers(-6, 7)),
                             colours=COLOURS[c.vessel], lon=round(lon, 5), lat=round(lat, 5),
                             image_id=_image_id(c.place, t), provider=PROVIDER,
                             confidence="highly likely" if rng.random() < 0.8 else "likely",
                             source=f"analyst reading of {_image_id(c.place, t)}", note=SYNTHETIC))
    return rows


def _ramp(t: np.ndarray, t0: np.ndarray, dur_h: float) -> np.ndarray:
    """0 before ``t0``, rising linearly to 1 over ``dur_h`` hours (t, t0 in hours)."""
    return np.clip((t[:, None] - t0[None, :]) / dur_h, 0.0, 1.0)


def counts(world: ReferenceWorld) -> list[dict[str, object]]:
    """Container counts at Najin (quay), Dunai (quay and rail siding) and the Tikhoretsk depot, and
    railcars at Tumangang, in daily optical images bracketing each shuttle call."""
    p = world.params
    rng = np.random.default_rng([p.seed, 12])
    h = lambda t: (t - p.start).total_seconds() / 3600  # noqa: E731
    najin = [c for c in world.calls if c.place == NAJIN]
    loads = rng.integers(90, 131, len(najin)).astype(float)
    # the Dunai call that follows each Najin call of the same vessel receives its load
    after = [next(d for d in world.calls if d.vessel == c.vessel and d.place == DUNAI and d.arrive_min >= c.depart_min)
             for c in najin]
    na_a = np.array([c.arrive_min / 60 for c in najin])
    na_d = np.array([c.depart_min / 60 for c in najin])
    du_a = np.array([c.arrive_min / 60 for c in after])

    def najin_stock(t: np.ndarray) -> np.ndarray:
        inflow = 21.0 * np.clip((t - h(datetime(2023, 8, 8, tzinfo=UTC))) / 24, 0, 60)
        loaded = np.clip((t[:, None] - na_a) / np.maximum(na_d - na_a, 1), 0, 1) @ loads
        return 60 + inflow - loaded

    def dunai_quay(t: np.ndarray) -> np.ndarray:
        return 8 + _ramp(t, du_a, 12) @ loads - _ramp(t, du_a + 24, 36) @ loads

    def dunai_rail(t: np.ndarray) -> np.ndarray:
        return _ramp(t, du_a + 24, 36) @ loads - _ramp(t, du_a + 66, 6) @ loads

    def depot(t: np.ndarray) -> np.ndarray:  # trains reach the depot ~12 days after leaving Dunai
        return 35 + 0.95 * (_ramp(t, du_a + 66 + 288, 24) @ loads)

    when: dict[str, list[datetime]] = {"najin": [], "dunai": []}
    for c in najin:
        when["najin"] += [_pass_before(world.at(c.arrive_min)), _pass_after(world.at(c.depart_min))]
    for c in after:
        a = world.at(c.arrive_min)
        when["dunai"] += [_pass_before(a), _pass_after(a + timedelta(hours=14)), _pass_after(a + timedelta(hours=62))]
    rows = []
    series = (("najin", NAJIN, "quay", najin_stock), ("dunai", DUNAI, "quay", dunai_quay),
              ("dunai", DUNAI, "rail siding", dunai_rail))
    for key, place, site, fn in series:
        times = sorted(set(when[key]))
        values = fn(np.array([h(t) for t in times]))
        for t, v in zip(times, values, strict=True):
            rows.append(_count(place, site, t, max(0, int(round(v + rng.normal(0, 1.5)))), **CONTAINER))
    depot_times = [p.start + timedelta(days=d, hours=8) for d in range(4, p.days, 9)]
    for t, v in zip(depot_times, depot(np.array([h(t) for t in depot_times])), strict=True):
        rows.append(_count(TIKHORETSK, "depot", t, int(round(v + rng.normal(0, 3))), **CONTAINER))
    for d in range(3, p.days, 7):  # Tumangang: ≤ 20 railcars before October, 73 on 5 October (CSIS)
        t = p.start + timedelta(days=d, hours=2)
        n = int(rng.integers(6, 21)) if t < datetime(2023, 10, 1, tzinfo=UTC) else int(rng.integers(55, 72))
        rows.append(_count(TUMANGANG, "rail yard", t, n, object_class="railcar"))
    csis = datetime(2023, 10, 5, 2, tzinfo=UTC)
    rows.append(_count(TUMANGANG, "rail yard", csis, 73, object_class="railcar",
                       note="figure as reported by CSIS Beyond Parallel (6 Oct 2023) for imagery of 5 Oct 2023"))
    return rows


def _count(place: str, site: str, t: datetime, n: int, object_class: str, size_class: str | None = None,
           colour: str | None = None, note: str = SYNTHETIC) -> dict[str, object]:
    lon, lat = PLACE_POINTS[place]
    return _row(kind="count", observed_at=t, place=place, site=site, object_class=object_class,
                size_class=size_class, colour=colour, count=n, lon=lon, lat=lat, image_id=_image_id(place, t),
                provider=PROVIDER, confidence="highly likely", source=f"analyst count in {_image_id(place, t)}",
                note=note)


def observations_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    def text(v: object) -> str | None:
        if v is None:
            return None
        return v.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(v, datetime) else str(v)

    df = pl.DataFrame([{c: text(r[c]) for c in OBS_COLUMNS} for r in rows], schema={c: pl.String for c in OBS_COLUMNS})
    return df.sort("observed_at", "kind", "place", "vessel_name", "site", nulls_last=True)


def sar_scenes(world: ReferenceWorld) -> dict[str, object]:
    """SAR scenes over Najin and Dunai while the shuttles are there, as ``sar detect --out`` GeoJSON:
    every vessel inside the footprint is detected (background ones with 90 % probability)."""
    rng = np.random.default_rng([world.params.seed, 13])
    picks: list[tuple[str, datetime]] = []
    for name in sorted({c.vessel for c in world.calls}):
        mine = [c for c in world.calls if c.vessel == name]
        chosen = [c for c in mine if c.place == NAJIN][1::2] + [c for c in mine if c.place == DUNAI and c.ais_on][1:2]
        picks += [(c.place, _scene_time(world, c)) for c in chosen]
    features, scenes = [], []
    for place, t in sorted(set(picks), key=lambda x: x[1]):
        lon0, lat0 = PLACE_POINTS[place]
        box = (lon0 - 0.3, lat0 - 0.2, lon0 + 0.3, lat0 + 0.2)
        minute = int((t - world.params.start).total_seconds() // 60)
        dets = []
        for k, tr in enumerate(world.tracks):
            i = minute - tr.start_min
            if not 0 <= i < len(tr.lon):
                continue
            x, y = float(tr.lon[i]), float(tr.lat[i])
            if not (box[0] <= x <= box[2] and box[1] <= y <= box[3]) or (k >= 2 and rng.random() > 0.9):
                continue
            dets.append((x + rng.normal(0, 0.0004), y + rng.normal(0, 0.0003), tr.length_m * rng.uniform(0.88, 1.12),
                         float(tr.cog[i]) % 180))
        scene_id = f"SYNTH-S1-{place.split()[0].upper()}-{t:%Y%m%dT%H%M}Z"
        sha = hashlib.sha256(json.dumps([scene_id, dets]).encode()).hexdigest()
        wkt = (f"POLYGON(({box[0]} {box[1]}, {box[2]} {box[1]}, {box[2]} {box[3]}, {box[0]} {box[3]}, "
               f"{box[0]} {box[1]}))")
        scenes.append({"scene_id": scene_id, "source_path": f"{scene_id}.SAFE (synthetic, no image file)",
                       "sha256": sha, "band": "VV", "acquired_at": t.isoformat(), "footprint_wkt": wkt,
                       "detector_version": "synthetic-scenario/1", "params_json": "{}", "stac_item_json": None})
        for j, (x, y, length, heading) in enumerate(dets):
            props = {"detection_id": hashlib.sha256(f"{sha}|{j}".encode()).hexdigest()[:16],
                     "row": round((box[3] - y) * 11_120, 1), "col": round((x - box[0]) * 8_150, 1),
                     "length_m": round(length, 1), "width_m": round(length / 6.5, 1), "heading_deg": round(heading, 1),
                     "peak_snr_db": round(float(rng.uniform(12, 25)), 1), "score": round(float(rng.uniform(0.7, 1)), 3),
                     "file": scenes[-1]["source_path"], "scene_id": scene_id, "sha256": sha, "band": "VV",
                     "detector_version": "synthetic-scenario/1"}
            point = {"type": "Point", "coordinates": [round(x, 6), round(y, 6)]}
            features.append({"type": "Feature", "geometry": point,
                             "properties": props})
    return {"type": "FeatureCollection", "darkfleet:note": SYNTHETIC, "features": features, "darkfleet:scenes": scenes}


def _scene_time(world: ReferenceWorld, c: Call) -> datetime:
    t = world.at(c.arrive_min) + timedelta(hours=6)
    t = t.replace(hour=21, minute=10, second=0, microsecond=0) if t.hour < 21 else (
        t + timedelta(days=1)).replace(hour=21, minute=10, second=0, microsecond=0)
    return t if t < world.at(c.depart_min) - timedelta(hours=1) else world.at((c.arrive_min + c.depart_min) // 2)
