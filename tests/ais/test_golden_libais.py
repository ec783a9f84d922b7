"""Golden test: darkfleet's decoder against libais's expected decodes (``*.json``).

libais ships ``typeexamples.nmea`` (one message of every type, real USCG captures with
trailing receive times) and ``tagblock.nmea`` (NMEA 4.0 tag blocks, a multipart message whose
parts are interleaved with other traffic) with the JSON libais makes of them, one object per
message in the order the messages complete. Objects are aligned to the messages of the input
(found and grouped independently of darkfleet, see ``golden_support``) in that order by
(type, MMSI), and every column darkfleet has is compared.

libais stores lon/lat, speed, course, draught and rate of turn as C ``float`` (float32), so
those are compared at float32 precision: ``np.float32(ours) == np.float32(theirs)``. lon/lat
need one more step: the libais that wrote these files divides in float32 (``float lng_deg =
ToInt(...); lng_deg / divisor`` with a ``float`` divisor in ``AisBitset::ToAisPoint``), which
can land one float32 step (about 1.5e-5 degree at 160°) away from the float32 nearest to the
exact value, so ``np.float32(ours)`` alone can differ from libais by one step (three of the
tag-block positions do). The raw integer is recovered from darkfleet's float64 value (exact)
and divided the way libais divides; the result must equal libais's value bit for bit. (The
pyais and gpsd tests compare the same fields to within 1e-6 degree.)

libais (like old gpsd) maps six-bit value 31 to '-' and 39 to '`' where ITU-R M.1371-5
table 47, pyais and darkfleet have '_' and "'": darkfleet's text is mapped the same way
before comparing (one aid-to-navigation name in typeexamples.nmea).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from darkfleet.ais import decode as df_decode
from tests.ais import golden_support as gs

JSON_FILES = {
    "libais/typeexamples.nmea": "libais/typeexamples.json",
    "libais/tagblock.nmea": "libais/tagblock.json",
}


@dataclass
class Result:
    compared: Counter[int] = field(default_factory=Counter)  # libais objects compared, per type
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, documented reason)
    translated: int = 0  # texts mapped to libais's six-bit table before comparing
    mismatches: list[str] = field(default_factory=list)


def _f32(x) -> np.float32 | None:
    return None if x is None else np.float32(x)


def _na(v, sentinel):
    return None if v is None or v == sentinel else v


def turn_raw_matches(raw: int | None, turn) -> bool:
    """libais's rate of turn: None for -128 ("no turn information"), else
    sign(raw) * (raw / 4.733)**2 in float32."""
    if raw is None:
        return turn is None
    if turn is None:
        return False
    return np.float32(math.copysign((raw / 4.733) ** 2, raw)) == np.float32(turn)


def expected_position(o: dict) -> dict:
    t = o["type"]
    if t == 27:  # knots and degrees, raw
        return {"sog_kn": _na(o["speed"], 63), "cog_deg": _na(o["course"], 511),
                "heading_deg": None, "nav_status": o["status"], "rot_raw": None,
                "accuracy": o["accuracy"], "utc_second": None}
    out = {
        "sog_kn": _na(_f32(o["speed"]), np.float32(102.3)),
        "cog_deg": _na(_f32(o["course"]), np.float32(360.0)),
        "heading_deg": _na(o["heading"], 511), "accuracy": o["accuracy"],
        "utc_second": o["second"],
    }
    if t in (1, 2, 3):
        out["nav_status"] = o["status"]
    else:
        out.update(nav_status=None, rot_raw=None)
    return out


def _dims(o: dict) -> dict:
    length, width = o["to_bow"] + o["to_stern"], o["to_port"] + o["to_starboard"]
    return {"to_bow_m": o["to_bow"], "to_stern_m": o["to_stern"], "to_port_m": o["to_port"],
            "to_starboard_m": o["to_starboard"], "length_m": length or None,
            "width_m": width or None}


def expected_static(o: dict) -> dict:
    t = o["type"]
    if t == 5:
        out = {
            "imo": _na(int(o["imo"]), 0), "ais_version": o["ais_version"],
            "callsign": o["callsign"], "name": o["shipname"], "ship_type": o["shiptype"],
            **_dims(o), "epfd": o["epfd"], "draught_m": _f32(o["draught"]),
            "destination": o["destination"],
        }
        if "eta" in o:
            month, rest = o["eta"].split("-")
            day, hm = rest.split("T")
            hour, minute = hm.rstrip("Z").split(":")
            out.update(eta_month=int(month), eta_day=int(day), eta_hour=int(hour),
                       eta_minute=int(minute))
        return out
    if t == 24 and o["part_num"] == 0:
        return {"part": "A", "name": o["shipname"]}
    if t == 24:
        out = {"part": "B", "ship_type": o["shiptype"], "callsign": o["callsign"]}
        out.update(_dims(o))
        return out
    raise AssertionError(t)


def expected_station(o: dict) -> dict:
    try:
        when = datetime.strptime(o["timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:  # "0000-00-00T24:60:60Z": no valid time
        when = None
    return {"station_time": when, "accuracy": o["accuracy"], "epfd": o["epfd"]}


def expected_aid(o: dict) -> dict:
    return {
        "aid_type": o["aid_type"], "name": o["name"] + o.get("name_ext", ""),
        "accuracy": o["accuracy"], "to_bow_m": o["to_bow"], "to_stern_m": o["to_stern"],
        "to_port_m": o["to_port"], "to_starboard_m": o["to_starboard"],
        "off_position": o["off_position"], "virtual_aid": o["virtual_aid"],
    }


def expected_provenance(o: dict) -> dict:
    """Tag-block time and station (tagblock.nmea)."""
    out = {}
    if "tagblock_timestamp" in o:
        out["ts"] = datetime.strptime(o["tagblock_timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=UTC)
    if "tagblock_station" in o:
        out["station"] = o["tagblock_station"]
    return out


TEXT = {"name", "callsign", "destination"}
LIBAIS_SIXBIT = str.maketrans({"_": "-", "'": "`"})


def compare(row: dict, expected: dict, where: str, res: Result) -> None:
    for k, v in gs.not_available(expected).items():
        ours = row[k]
        if k in TEXT and isinstance(ours, str) and ours.translate(LIBAIS_SIXBIT) != ours:
            ours = ours.translate(LIBAIS_SIXBIT)
            res.translated += 1
        if ours is None or v is None:
            same = ours is None and v is None
        elif isinstance(v, float | np.floating) or isinstance(ours, float):
            same = np.float32(ours) == np.float32(v)  # libais holds these as float32
        else:
            same = ours == v
        if not same:
            res.mismatches.append(f"{where}: {k}: darkfleet {ours!r} != libais {v!r}")


def as_libais(deg: float, unit: float) -> np.float32:
    """darkfleet's degrees as libais computes them: float32(raw) / float32(unit) in float32."""
    raw = round(deg * unit)  # exact: deg is raw / unit in float64 and |raw| < 2**28
    assert raw / unit == deg
    return np.float32(raw) / np.float32(unit)


def _within_one_step(ours: float, theirs: float) -> bool:
    """At most one float32 step apart (the most libais's float32 division can add)."""
    a, b = np.float32(ours), np.float32(theirs)
    return bool(abs(a - b) <= abs(np.spacing(b)))


def compare_lonlat(row: dict, o: dict, where: str, res: Result) -> None:
    # float32 in libais: compare at float32 precision (see the module docstring).
    unit = 600.0 if o["type"] == 27 else 600_000.0
    if o["lon"] == 181.0 or o["lat"] == 91.0:
        ok = row["lon"] is None and row["lat"] is None
    else:
        ok = (row["lon"] is not None
              and as_libais(row["lon"], unit) == np.float32(o["lon"])
              and as_libais(row["lat"], unit) == np.float32(o["lat"])
              and _within_one_step(row["lon"], o["lon"]) and _within_one_step(row["lat"], o["lat"]))
    if not ok:
        res.mismatches.append(f"{where}: lon/lat {row['lon']},{row['lat']} != libais "
                              f"{o['lon']},{o['lat']}")


def run(shared: Path, rel: str) -> Result:
    base = shared / "ais" / "nmea"
    objects = [json.loads(ln) for ln in (base / JSON_FILES[rel]).read_text().splitlines() if ln]
    d = gs.decode_and_match(base / rel)
    res = Result()
    outcomes, pos = d.outcomes, 0
    if len(objects) != len(outcomes):
        res.mismatches.append(f"{len(objects)} libais objects for {len(outcomes)} messages")
    for o in objects:
        t, mmsi = o["type"], o["mmsi"]
        k = pos
        while k < len(outcomes) and (outcomes[k].msg_type, outcomes[k].mmsi) != (t, mmsi):
            k += 1
        if k == len(outcomes):
            res.mismatches.append(f"libais object type {t} mmsi {mmsi} matches no message left")
            continue
        for j in range(pos, k):
            res.mismatches.append(f"line {outcomes[j].msg.line}: no libais object")
        pos = k + 1
        oc = outcomes[k]
        where = f"line {oc.msg.line} type {t} mmsi {mmsi}"
        if not oc.rows:
            documented = [r for r in oc.rejects
                          if r in (df_decode.NO_POSITION, df_decode.OUT_OF_RANGE)]
            if documented and (abs(o["lon"]) > 180 or abs(o["lat"]) > 90):
                res.rejected.append((oc.msg.line, documented[0]))
            else:
                res.mismatches.append(f"{where}: libais decodes it, darkfleet: {oc.rejects}")
            continue
        row = next(iter(oc.rows.values()))
        compare(row, expected_provenance(o), where, res)
        if t in (1, 2, 3, 18, 19, 27):
            row = oc.rows["positions"]
            compare_lonlat(row, o, where, res)
            compare(row, expected_position(o), where, res)
            if t in (1, 2, 3) and not turn_raw_matches(row["rot_raw"], o["turn"]):
                res.mismatches.append(f"{where}: rot_raw {row['rot_raw']} vs libais {o['turn']}")
        elif t in (5, 24):
            compare(oc.rows["statics"], expected_static(o), where, res)
        elif t in (4, 11):
            row = oc.rows["stations"]
            compare_lonlat(row, o, where, res)
            compare(row, expected_station(o), where, res)
        elif t == 21:
            row = oc.rows["aids"]
            compare_lonlat(row, o, where, res)
            compare(row, expected_aid(o), where, res)
        elif "other" not in oc.rows:  # a type darkfleet keeps raw
            res.mismatches.append(f"{where}: not kept in other")
        res.compared[t] += 1
    for j in range(pos, len(outcomes)):
        res.mismatches.append(f"line {outcomes[j].msg.line}: no libais object")
    return res


# Per file: libais objects compared, per type (every object of both files is compared or
# rejected below).
EXPECTED: dict[str, dict[int, int]] = {
    "libais/tagblock.nmea": {1: 3, 5: 1},
    # Every type 1..27 once, but 2 and 27 (rejected below) and 19 (not in the file).
    "libais/typeexamples.nmea": {t: 1 for t in range(1, 27) if t not in (2, 19)},
}
# Texts mapped to libais's six-bit table before comparing (see the module docstring).
EXPECTED_TRANSLATED = {"libais/typeexamples.nmea": 1}

# libais decodes these, darkfleet rejects them for a documented reason: a type 27 at lon
# 200.2° and a type 2 at lat -101.5° (positions out of range).
DOCUMENTED_REJECTIONS: dict[str, list[tuple[int, str]]] = {
    "libais/typeexamples.nmea": [(11, df_decode.OUT_OF_RANGE), (21, df_decode.OUT_OF_RANGE)],
}


@pytest.mark.parametrize("rel", sorted(JSON_FILES))
def test_matches_libais_field_for_field(shared_data: Path, rel: str) -> None:
    res = run(shared_data, rel)
    report = [f"{len(res.mismatches)} mismatches:", *res.mismatches[:40]]
    assert not res.mismatches, "\n".join(report)
    assert dict(res.compared) == EXPECTED[rel]
    assert sorted(res.rejected) == sorted(DOCUMENTED_REJECTIONS.get(rel, []))
    assert res.translated == EXPECTED_TRANSLATED.get(rel, 0)
