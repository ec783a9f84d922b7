"""Assemble a world: plan every vessel, then hear it as AIS would, planting and recording events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import numpy as np
import polars as pl

from darkfleet.geo.shore import LandMask, ShoreDistance
from darkfleet.geo.units import M_PER_NM
from darkfleet.lake import schema
from darkfleet.scenario.track import TrackBuilder
from darkfleet.scenario.truth import TRUTH_SCHEMA
from darkfleet.scenario.world import MIDS, ScenarioParams, World, _Planner, region_rasters, scenario_places
from darkfleet.tracks.flags import DECLARED_SCHEMA
from darkfleet.tracks.identity import imo_check_digit
from darkfleet.tracks.mid import flag_code_of

SHADOW_MIDS = (620, 667, 341)
NAMES = ("ORIENT", "PACIFIC", "NORTH", "EASTERN", "GOLDEN", "SEA", "OCEAN", "STAR", "PEARL", "GRACE")


def generate(params: ScenarioParams | None = None) -> World:
    p = params or ScenarioParams()
    rng = np.random.default_rng(p.seed)
    places = scenario_places(p)
    lons, lats = places["lon"].to_numpy(), places["lat"].to_numpy()
    bbox = (float(lons.min()) - 3, float(lats.min()) - 3, float(lons.max()) + 3, float(lats.max()) + 3)
    land, shore = region_rasters(bbox)
    planner = _Planner(p, places, shore, rng)
    n = p.n_vessels
    tbs = [TrackBuilder(np.random.default_rng([p.seed, i])) for i in range(n + len(p.shuttles))]
    roles: list[list[str]] = [[] for _ in range(n + len(p.shuttles))]
    ports = sorted(planner.pts)
    for j in range(p.n_encounter_pairs):
        a, b = 2 * j, 2 * j + 1
        planner.encounter_pair(tbs[a], tbs[b], a, b)
        roles[a].append("encounter")
        roles[b].append("encounter")
    for i in range(2 * p.n_encounter_pairs, n):
        planner.call(tbs[i], str(rng.choice(ports)))
    for i in range(n):
        loiter = 2 * p.n_encounter_pairs <= i < 2 * p.n_encounter_pairs + p.n_loiterers
        if loiter:
            roles[i].append("loiter")
        planner.wander(tbs[i], tbs[i].phases[-1].place_id, loiter=loiter)
    for k, sh in enumerate(p.shuttles):
        planner.shuttle(tbs[n + k], sh)
        roles[n + k].append("shuttle")
    return _hear(p, rng, planner, tbs, roles, places, land, shore)


def _identities(p: ScenarioParams, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    mids = rng.choice(MIDS, n)
    mmsi = mids * 1_000_000 + rng.choice(900_000, n, replace=False) + 100_000
    imo6 = rng.choice(np.arange(800_000, 999_999), n, replace=False)
    imo = np.array([i * 10 + imo_check_digit(int(i)) for i in imo6], np.int64)
    names = [f"{rng.choice(NAMES)} {rng.choice(NAMES)} {k + 1}" for k in range(n)]
    return mmsi.astype(np.int64), imo, names


def _hear(p: ScenarioParams, rng: np.random.Generator, planner: _Planner, tbs: list[TrackBuilder],
          roles: list[list[str]], places: pl.DataFrame, land: LandMask, shore: ShoreDistance) -> World:
    n, end = len(tbs), planner.end_min
    t0 = p.start
    mmsi, imo, names = _identities(p, rng, n)
    for k, sh in enumerate(p.shuttles):  # given identities where the params carry them
        v = p.n_vessels + k
        names[v] = sh.name
        mmsi[v] = sh.mmsi or mmsi[v]
        imo[v] = sh.imo or imo[v]
    # MMSIs shared by two transmitters at once (its own random stream: other draws do not shift)
    pairs = np.random.default_rng([p.seed, 9]).permutation(p.n_vessels)[: 2 * p.n_shared_mmsis].reshape(-1, 2)
    for a, b in pairs:
        mmsi[b] = mmsi[a]
        roles[int(a)].append("shared_mmsi")
        roles[int(b)].append("shared_mmsi")
    arrays = []
    for tb in tbs:
        a = {k: v[:end] for k, v in tb.arrays().items()}
        km = shore.distance_km(a["lon"], a["lat"])
        terrestrial = (km <= p.terrestrial_range_km) & ~_outage(p, a["lon"], a["lat"])
        interval = np.where(terrestrial, p.terrestrial_interval_s, p.satellite_interval_s)
        a["heard"] = rng.random(len(km)) < 1 - np.exp(-60.0 / interval)
        a["shore_km"] = km
        arrays.append(a)
    for k, sh in enumerate(p.shuttles):  # transponder off from this day on
        arrays[p.n_vessels + k]["heard"][int(sh.dark_from_day * 1440):] = False
    truth: list[dict] = []

    def ts(minute: float) -> object:
        return t0 + timedelta(minutes=float(minute))

    # MMSI switches (reflagging): at the start of a mid-world voyage, a new MID
    switch = np.full(n, end + 1)
    new_mmsi = mmsi.copy()
    order = [int(i) for i in rng.permutation(n)]
    order = [i for i in order if i < p.n_vessels]  # planted events go to the generated fleet only
    for i in order[: p.n_reflags]:
        sails = [ph for ph in tbs[i].phases if ph.kind == "sail" and end * 0.3 < ph.start_min < end * 0.7]
        if sails:
            switch[i] = sails[0].start_min
            new_mmsi[i] = _fresh_mmsi(rng, SHADOW_MIDS, set(mmsi) | set(new_mmsi))
            roles[i].append("reflag")
            truth.append(dict(kind="identity_change", mmsi=new_mmsi[i], other_mmsi=mmsi[i], start=ts(switch[i]),
                              end=ts(switch[i]), detail="imo_shared"))

    def who(i: int, minute: float) -> int:
        return int(new_mmsi[i] if minute >= switch[i] else mmsi[i])

    # phases → truth
    for i, tb in enumerate(tbs):
        for ph in tb.phases:
            s, e = ph.start_min, min(ph.end_min, end)
            if e - s < 150:
                continue
            span = dict(_v=i, _s=s, _e=e)
            if ph.kind in ("dwell", "anchor_wait", "idle"):
                truth.append(dict(kind="stop", mmsi=who(i, s), start=ts(s), end=ts(e - 1), **span))
            if ph.kind == "dwell" and ph.place_id:
                truth.append(dict(kind="port_visit", mmsi=who(i, s), start=ts(s), end=ts(e - 1), place_id=ph.place_id,
                                  **span))
            if ph.kind == "loiter" or (ph.kind == "idle" and e - s > 270
                                        and arrays[i]["shore_km"][s:e].mean() >= 20 * M_PER_NM / 1000):
                truth.append(dict(kind="loitering", mmsi=who(i, s), start=ts(s), end=ts(e - 1), **span))
            if ph.kind == "encounter" and ph.other is not None and i < ph.other:
                truth.append(dict(kind="encounter", mmsi=who(i, s), other_mmsi=who(ph.other, s),
                                  start=ts(s), end=ts(e - 1), **span))

    for i, a in enumerate(arrays):  # short reception outages, before the planted gaps are measured
        noise = np.random.default_rng([p.seed, i, 3])
        for _ in range(noise.poisson(p.outages_per_day * p.days)):
            s0 = int(noise.integers(0, end))
            a["heard"][s0:s0 + int(noise.uniform(*p.outage_h) * 60)] = False
    used: set[int] = set()
    taken: set[int] = set()  # clone MMSIs handed out
    # planted gaps: transponder off for 13–36 h inside a long voyage
    gaps = 0
    for i in order:
        if gaps >= p.n_gaps:
            break
        sails = [ph for ph in tbs[i].phases if ph.kind == "sail" and ph.end_min <= end
                 and ph.end_min - ph.start_min >= (p.gap_h[0] + 5) * 60]
        if not sails:
            continue
        ph = max(sails, key=lambda x: x.end_min - x.start_min)
        length = ph.end_min - ph.start_min
        dur = int(rng.uniform(p.gap_h[0], min(p.gap_h[1], length / 60 - 5)) * 60)
        g0 = ph.start_min + int(rng.uniform(120, length - dur - 120))
        h = arrays[i]["heard"]
        h[g0:g0 + dur] = False
        before = g0 - 1 - int(np.argmax(h[:g0][::-1]))
        after = g0 + dur + int(np.argmax(h[g0 + dur:]))
        truth.append(dict(kind="gap", mmsi=who(i, before), start=ts(before), end=ts(after), detail=f"dark {dur} min"))
        roles[i].append("gap")
        used.add(i)
        gaps += 1
    spoofs: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    kinds = ["jump"] * p.n_jump_spoofs + ["land"] * p.n_land_spoofs + ["clone"] * p.n_clones
    for i in order:
        if not kinds or i in used:
            continue
        h = arrays[i]["heard"]
        sails = [ph for ph in tbs[i].phases if ph.kind == "sail" and ph.end_min <= end
                 and h[ph.start_min:ph.end_min].sum() >= 40]
        if not sails:
            continue
        kind = kinds.pop(0)
        used.add(i)
        ph = sails[0]
        heard_idx = ph.start_min + np.flatnonzero(h[ph.start_min:ph.end_min])
        if kind == "clone":
            k0 = int(rng.integers(5, len(heard_idx) - 30))
            rows = heard_idx[k0:k0 + 25]
            ghost_mmsi = _fresh_mmsi(rng, MIDS, set(mmsi) | set(new_mmsi) | taken)
            taken.add(ghost_mmsi)
            spoofs[i] = (rows, np.array([ghost_mmsi]), np.array([]))
            lo_id, hi_id = sorted((who(i, rows[0]), ghost_mmsi))
            truth.append(dict(kind="spoofing", mmsi=lo_id, other_mmsi=hi_id, start=ts(rows[0]), end=ts(rows[-1]),
                              detail="shared_track"))
        else:
            k = int(rng.integers(3, 9))
            k0 = int(rng.integers(5, len(heard_idx) - k - 5))
            rows = heard_idx[k0:k0 + k]
            if kind == "jump":
                ang, dist = rng.uniform(0, 2 * np.pi), rng.uniform(2.0, 4.0)
                dlon, dlat = np.full(k, dist * np.cos(ang)), np.full(k, dist * np.sin(ang))
                lon = arrays[i]["lon"][rows] + dlon
                lat = arrays[i]["lat"][rows] + dlat
            else:  # a spoofed position well inland (≥ 20 km from the sea on the land mask)
                ii, jj = np.nonzero(land.inland_km >= 20)
                c = int(rng.integers(len(ii)))
                x = land.lon0_deg + (jj[c] + 0.5) * land.step_deg
                y = land.lat0_deg + (ii[c] + 0.5) * land.step_deg
                lon, lat = x + rng.normal(0, 0.01, k), y + rng.normal(0, 0.01, k)
            spoofs[i] = (rows, lon, lat)
            truth.append(dict(kind="spoofing", mmsi=who(i, rows[0]), start=ts(rows[0]), end=ts(rows[-1]),
                              detail="on_land" if kind == "land" else "impossible_jump"))
        roles[i].append(f"spoof_{kind}")

    frames = []
    for i, a in enumerate(arrays):
        m = np.flatnonzero(a["heard"])
        lon, lat = a["lon"][m].copy(), a["lat"][m].copy()
        clone: tuple[np.ndarray, int] | None = None
        if i in spoofs:
            rows, x, y = spoofs[i]
            if len(y):
                pos = np.searchsorted(m, rows)
                lon[pos], lat[pos] = x, y
            else:
                clone = (rows, int(x[0]))
        sec = np.random.default_rng([p.seed, i, 1]).integers(0, 6, len(m))
        ids = np.where(m >= switch[i], new_mmsi[i], mmsi[i])
        noise = np.random.default_rng([p.seed, i, 4])
        sog = np.where(noise.random(len(m)) < p.sog_missing_fraction, np.nan, a["sog"][m])  # SOG not available
        frames.append(_rows(ids, m, sec, lon, lat, sog, a["cog"][m], a["status"][m]))
        twice = np.flatnonzero(noise.random(len(m)) < p.duplicate_fraction)  # heard by a second receiver
        frames.append(_rows(ids[twice], m[twice], sec[twice], lon[twice], lat[twice], sog[twice],
                            a["cog"][m][twice], a["status"][m][twice]))
        if clone is not None:
            rows, g = clone
            pos = np.searchsorted(m, rows)
            frames.append(_rows(np.full(len(rows), g), rows, sec[pos], lon[pos], lat[pos],
                                a["sog"][rows], a["cog"][rows], a["status"][rows]))
    positions = _finish_positions(pl.concat(frames), p)
    statics, id_truth = _statics(p, rng, n, end, mmsi, new_mmsi, switch, imo, names, roles, ts, who)
    truth.extend(id_truth)
    declared, flag_truth = _registry(p, statics, mmsi, new_mmsi, switch, imo, roles, ts)
    truth.extend(flag_truth)
    for r in truth:  # a stay the AIS did not hear (transponder off) cannot be scored
        if "_v" in r:
            r["observable"] = int(arrays[r["_v"]]["heard"][r["_s"]:r["_e"]].sum()) >= 2
    truth_df = pl.DataFrame([{k: r.get(k) for k in TRUTH_SCHEMA} for r in truth], schema=TRUTH_SCHEMA)
    tracks = pl.concat([
        pl.DataFrame({"vessel": np.full(len(a["lon"]), i), "minute": np.arange(len(a["lon"])),
                      "lon": a["lon"], "lat": a["lat"], "sog_kn": a["sog"].astype(np.float32)})
        .with_columns(mmsi=pl.when(pl.col("minute") >= int(switch[i])).then(int(new_mmsi[i])).otherwise(int(mmsi[i])))
        for i, a in enumerate(arrays)
    ]).with_columns(ts=pl.lit(t0) + pl.duration(minutes=pl.col("minute"))).drop("minute")
    vessels = pl.DataFrame({"vessel": np.arange(n), "mmsi": mmsi, "mmsi_after": new_mmsi, "imo": imo,
                            "name": names, "roles": [",".join(r) for r in roles]})
    return World(p, positions, statics, places, truth_df.sort("kind", "mmsi", "start"), vessels,
                 tracks.select("vessel", "mmsi", "ts", "lon", "lat", "sog_kn"), land, shore, declared)


def _registry(p: ScenarioParams, statics: pl.DataFrame, mmsi: np.ndarray, new_mmsi: np.ndarray,
              switch: np.ndarray, imo: np.ndarray, roles: list[list[str]],
              ts: Callable[[float], object]) -> tuple[pl.DataFrame, list[dict]]:
    """The world's registry: each IMO's flag, that of its MMSI's MID (the new one's from a
    reflagging on). ``n_false_flags`` vessels are registered under another flag than their MID's;
    the truth spans their static reports. (Its own random stream: other draws do not shift.)"""
    rng = np.random.default_rng([p.seed, 8])
    codes = flag_code_of(np.r_[mmsi, new_mmsi]).to_list()
    n = len(mmsi)
    reflagged = switch <= int(p.days * 1440)
    pool = [i for i in rng.permutation(p.n_vessels).tolist() if not reflagged[i] and "bad_imo" not in roles[i]]
    false = {int(i): str(rng.choice(sorted({flag_code_of([m * 1_000_000]).item() for m in MIDS} - {codes[i]})))
             for i in pool[: p.n_false_flags]}
    rows, truth = [], []
    for i in range(n):
        key = f"{int(imo[i]):07d}"
        if reflagged[i]:
            rows += [{"imo": key, "flag": codes[i], "valid_to": ts(switch[i])},
                     {"imo": key, "flag": codes[n + i], "valid_from": ts(switch[i])}]
        else:
            rows.append({"imo": key, "flag": false.get(i, codes[i])})
        if i in false:
            roles[i].append("false_flag")
            seen = statics.filter(pl.col("mmsi") == int(mmsi[i]))["ts"]
            truth.append(dict(kind="identity_change", mmsi=int(mmsi[i]), start=seen.min(), end=seen.max(),
                              detail="flag_mid_mismatch"))
    declared = pl.DataFrame([{"mmsi": None, "valid_from": None, "valid_to": None, **r, "source": "scenario-registry"}
                             for r in rows], schema=DECLARED_SCHEMA)
    return declared.select(list(DECLARED_SCHEMA)), truth


def _outage(p: ScenarioParams, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Minutes (the array index) at which a position lies in a terrestrial receiver outage."""
    out = np.zeros(len(lon), bool)
    minute = np.arange(len(lon))
    for x0, y0, x1, y1, d0, d1 in p.terrestrial_outages:
        out |= ((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
                & (minute >= d0 * 1440) & (minute < d1 * 1440))
    return out


def _fresh_mmsi(rng: np.random.Generator, mids: tuple[int, ...], taken: set[int]) -> int:
    while True:
        m = int(rng.choice(mids)) * 1_000_000 + int(rng.integers(100_000, 999_999))
        if m not in taken:
            return m


def _rows(mmsi, minute, sec, lon, lat, sog, cog, status) -> pl.DataFrame:  # noqa: ANN001
    return pl.DataFrame({"mmsi": np.asarray(mmsi, np.int64), "us": (minute * 60 + sec).astype(np.int64) * 1_000_000,
                         "lon": lon, "lat": lat, "sog_kn": np.round(sog, 1).astype(np.float32),
                         "cog_deg": np.round(cog, 1).astype(np.float32),
                         "nav_status": status.astype(np.int8)})


def _finish_positions(df: pl.DataFrame, p: ScenarioParams) -> pl.DataFrame:
    base = int(p.start.timestamp() * 1_000_000)
    df = df.sort("mmsi", "us").with_columns(
        ts=pl.from_epoch(pl.col("us") + base, time_unit="us").dt.replace_time_zone("UTC"),
        heading_deg=pl.col("cog_deg").round(0).cast(pl.Int16),
        msg_type=pl.lit(1, pl.Int8), rot_raw=pl.lit(None, pl.Int16), accuracy=pl.lit(False),
        utc_second=(pl.col("us") // 1_000_000 % 60).cast(pl.Int8),
        source=pl.lit(f"scenario-{p.seed}"), line=pl.int_range(1, pl.len() + 1, dtype=pl.Int64),
        station=pl.lit(None, pl.String),
    )
    return pl.from_arrow(df.to_arrow().select(schema.POSITIONS.names).cast(schema.POSITIONS))  # type: ignore[return-value]


def _statics(p, rng, n, end, mmsi, new_mmsi, switch, imo, names, roles, ts, who):  # noqa: ANN001, ANN202
    """Type 5 reports every ``statics_interval_h``; renames and a bad IMO planted with truth."""
    truth: list[dict] = []
    rows = []
    step = int(p.statics_interval_h * 60)
    order = [int(i) for i in rng.permutation(n) if i < p.n_vessels]
    given = {p.n_vessels + k: sh.callsign for k, sh in enumerate(p.shuttles) if sh.callsign}
    renamed = {i: int(rng.integers(end * 0.3, end * 0.7)) for i in order[: p.n_renames]}
    bad = set(order[p.n_renames: p.n_renames + p.n_bad_imo])
    for i in range(n):
        first = int(rng.integers(0, step))
        vimo = int(imo[i] + (1 if imo[i] % 10 != 9 else -1)) if i in bad else int(imo[i])
        for m in range(first, end, step):
            r = i in renamed and m >= renamed[i]
            rows.append({"mmsi": who(i, m), "us": m * 60_000_000, "imo": vimo,
                         "callsign": given.get(i) or f"{'X' if r else 'C'}{mmsi[i] % 100000:05d}",
                         "name": f"NEW {names[i]}" if r else names[i], "ship_type": 70, "length_m": 120, "width_m": 20})
        if i in renamed:
            roles[i].append("rename")
            for f in ("name", "callsign"):
                truth.append(dict(kind="identity_change", mmsi=who(i, renamed[i]), start=ts(renamed[i]),
                                  end=ts(renamed[i]), detail=f))
        if i in bad:
            roles[i].append("bad_imo")
            truth.append(dict(kind="identity_change", mmsi=who(i, first), start=ts(first), end=ts(first),
                              detail="imo_check_digit"))
            if switch[i] <= end:  # first reported by the new MMSI at its first static report
                seen = first + -(-(int(switch[i]) - first) // step) * step
                truth.append(dict(kind="identity_change", mmsi=int(new_mmsi[i]), start=ts(seen),
                                  end=ts(seen), detail="imo_check_digit"))
    base = int(p.start.timestamp() * 1_000_000)
    df = pl.DataFrame(rows).with_columns(
        ts=pl.from_epoch(pl.col("us") + base, time_unit="us").dt.replace_time_zone("UTC"),
        msg_type=pl.lit(5, pl.Int8), source=pl.lit(f"scenario-{p.seed}"),
    ).sort("mmsi", "ts").with_columns(line=pl.int_range(1, pl.len() + 1, dtype=pl.Int64))
    tbl = df.to_arrow()
    cols = {f.name: (tbl[f.name].cast(f.type) if f.name in tbl.column_names else
                     __import__("pyarrow").nulls(tbl.num_rows, f.type)) for f in schema.STATICS}
    import pyarrow as pa

    return pl.from_arrow(pa.table(cols, schema=schema.STATICS)), truth
