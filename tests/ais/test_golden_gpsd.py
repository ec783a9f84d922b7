"""Golden test: darkfleet's decoder against gpsd's expected decodes (``*.chk``).

gpsd's regression files pair an input log with the JSON gpsd prints for it: ``*.log.chk``
echoes the input and prints each AIS object unscaled (``"scaled":false``: raw integers, lon/lat
in 1/10000 minute), ``sample.aivdm.js.chk`` holds the scaled JSON of ``sample.aivdm`` and
``sample.aivdm.chk`` the same objects unscaled, pipe-delimited, line for line.

gpsd's objects are aligned in order to the messages of the input (found and grouped
independently of darkfleet, see ``golden_support``) by (type, MMSI): each object goes to the
next message with its type and MMSI. Every aligned message darkfleet decodes is compared field
for field; positions to within 1e-6 degree (lon/lat from gpsd's raw integers). A message gpsd
decodes that darkfleet rejects must be rejected for a documented reason, and every message
gpsd skips is accounted for. Counts are pinned per file.

Where gpsd and darkfleet differ by definition, the comparison says so:
- gpsd ends a text field at the first '@'; darkfleet (like pyais) strips trailing '@' only,
  so darkfleet's text is cut at its first '@' before comparing (one name in sample.aivdm,
  'IBC G BUOY@?????????').
- gpsd reads the type 24 vendor ID as 7 characters (ITU-R M.1371-3), darkfleet as the
  3-character manufacturer ID of M.1371-4/-5 (bits 48-65), as pyais does: the first 3
  characters are compared.
- gpsd merges type 24 parts A and B into one object, printed when a part completes the pair;
  it is compared with the latest part A and part B darkfleet decoded for that MMSI.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from darkfleet.ais import decode as df_decode
from tests.ais import golden_support as gs

# input log -> (expected-decode file, unscaled pipe-delimited companion or None)
CHK_FILES = {
    "gpsd/ais-18-27.log": ("gpsd/ais-18-27.log.chk", None),
    "gpsd/ais-nmea.log": ("gpsd/ais-nmea.log.chk", None),
    "gpsd/ais-raw-messages.log": ("gpsd/ais-raw-messages.log.chk", None),
    "gpsd/sample.aivdm": ("gpsd/sample.aivdm.js.chk", "gpsd/sample.aivdm.chk"),
}

TABLES = ("positions", "statics", "stations", "aids")


@dataclass
class Result:
    compared: Counter[int] = field(default_factory=Counter)  # gpsd objects compared, per type
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, documented reason)
    skipped: Counter[str] = field(default_factory=Counter)  # messages gpsd prints nothing for
    repeated: int = 0  # AIS objects gpsd printed again at the end of a GPS cycle
    at_cut: int = 0  # texts compared after cutting darkfleet's at its first '@'
    mismatches: list[str] = field(default_factory=list)


def load_objects(path: Path, pipe: Path | None) -> tuple[list[tuple[dict, list[str] | None]], int]:
    """gpsd's AIS objects (with their pipe line, if any) and how many were re-reports.

    In a ``*.log.chk`` gpsd echoes each input line and prints what it made of it. With GPS
    sentences in the input, gpsd reports the last AIS object again at the end of a GPS cycle:
    an AIS object that does not directly follow an AIS input line is such a re-report, must
    equal the object before it, and is not a message of its own.
    """
    objs: list[dict] = []
    repeats = 0
    echoes = path.name.endswith(".log.chk")  # the .js.chk has no echoes: every object is fresh
    after_ais_input = True
    for line in path.read_text().splitlines():
        if not echoes:
            after_ais_input = True
        if not line.startswith("{"):
            after_ais_input = line.startswith(("!", "\\"))
            continue
        o = json.loads(line)
        if o.get("class") != "AIS":
            continue
        if after_ais_input:
            objs.append(o)
            after_ais_input = False
        else:
            same = {k: v for k, v in o.items() if k != "radio"}
            assert objs and same == {k: v for k, v in objs[-1].items() if k != "radio"}, line
            repeats += 1
    if pipe is None:
        return [(o, None) for o in objs], repeats
    rows = [ln.split("|") for ln in pipe.read_text().splitlines() if ln.strip()]
    assert len(rows) == len(objs), "the pipe-delimited and JSON decodes are line for line"
    for o, r in zip(objs, rows, strict=True):
        assert (int(r[0]), int(r[2])) == (o["type"], o["mmsi"])
    return list(zip(objs, rows, strict=True)), repeats


# -- gpsd object -> expected darkfleet columns ----------------------------------------------


def _na(v, sentinel):
    return None if v is None or v == sentinel else v


def _raw_lonlat(o: dict, pipe: list[str] | None) -> tuple[int, int] | None:
    """lon/lat as raw integers: from the unscaled JSON or, for scaled JSON, from the pipe line."""
    if not o["scaled"]:
        return o["lon"], o["lat"]
    if pipe is None:
        return None
    t = o["type"]
    i = {1: 7, 2: 7, 3: 7, 18: 6, 19: 6, 27: 5, 4: 5, 11: 5, 21: 6}[t]
    return int(pipe[i]), int(pipe[i + 1])


def expected_lonlat(o: dict, pipe: list[str] | None) -> tuple[float, float] | None:
    """Degrees, or None for "not available" (181 / 91)."""
    raw = _raw_lonlat(o, pipe)
    unit = 600.0 if o["type"] == 27 else 600_000.0
    if raw is None:  # no unscaled companion: the scaled value as printed
        lon, lat = o["lon"], o["lat"]
    else:
        lon, lat = raw[0] / unit, raw[1] / unit
    if lon == 181.0 or lat == 91.0:
        return None
    return lon, lat


def expected_position(o: dict, pipe: list[str] | None) -> dict:
    t, scaled = o["type"], o["scaled"]
    if t == 27:  # speed in knots and course in degrees, raw in both forms
        return {
            "sog_kn": _na(o["speed"], 63), "cog_deg": _na(o["course"], 511), "heading_deg": None,
            "nav_status": o["status"], "rot_raw": None, "accuracy": o["accuracy"],
            "utc_second": None,
        }
    if scaled:
        sog, cog = _na(o["speed"], 102.3), _na(o["course"], 360.0)
    else:
        sog = None if o["speed"] == 1023 else o["speed"] / 10
        cog = None if o["course"] == 3600 else o["course"] / 10
    out = {
        "sog_kn": sog, "cog_deg": cog, "heading_deg": _na(o["heading"], 511),
        "nav_status": None, "rot_raw": None, "accuracy": o["accuracy"], "utc_second": o["second"],
    }
    if t in (1, 2, 3):
        # Unscaled JSON and the pipe lines carry the raw rate of turn; scaled JSON does not.
        turn = o["turn"] if not scaled else int(pipe[4]) if pipe is not None else None
        out["nav_status"] = o["status"]
        if turn is not None or not scaled:
            out["rot_raw"] = _na(turn, -128)
        else:
            del out["rot_raw"]
    return out


def _eta(o: dict) -> dict:
    month, rest = o["eta"].split("-")
    day, hm = rest.split("T")
    hour, minute = hm.rstrip("Z").split(":")
    return {"eta_month": int(month), "eta_day": int(day), "eta_hour": int(hour),
            "eta_minute": int(minute)}


def _dims(o: dict) -> dict:
    length, width = o["to_bow"] + o["to_stern"], o["to_port"] + o["to_starboard"]
    return {"to_bow_m": o["to_bow"], "to_stern_m": o["to_stern"], "to_port_m": o["to_port"],
            "to_starboard_m": o["to_starboard"], "length_m": length or None,
            "width_m": width or None}


def expected_static(o: dict) -> dict:
    t = o["type"]
    if t == 5:
        draught = o["draught"] if o["scaled"] else o["draught"] / 10
        return {
            "imo": _na(int(o["imo"]), 0), "ais_version": o["ais_version"],
            "callsign": o["callsign"], "name": o["shipname"], "ship_type": o["shiptype"],
            **_dims(o), "epfd": o["epfd"], **_eta(o), "draught_m": draught,
            "destination": o["destination"],
        }
    if t == 19:
        return {"name": o["shipname"], "ship_type": o["shiptype"], **_dims(o), "epfd": o["epfd"]}
    raise AssertionError(t)


def expected_type24(o: dict) -> tuple[dict, dict]:
    """(part A columns, part B columns) of gpsd's merged type 24 object."""
    b = {"ship_type": o["shiptype"], "callsign": o["callsign"],
         "vendor_id": o["vendorid"][:3].rstrip()}
    if "mothership_mmsi" in o:
        b["mothership_mmsi"] = o["mothership_mmsi"]
    else:
        b.update(_dims(o))
    return {"name": o["shipname"]}, b


def expected_station(o: dict) -> dict:
    try:
        when = datetime.strptime(o["timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:  # "0000-00-00T24:60:60Z" and the like: no valid time
        when = None
    return {"station_time": when, "accuracy": o["accuracy"], "epfd": o["epfd"]}


def expected_aid(o: dict) -> dict:
    return {
        "aid_type": o["aid_type"], "name": o["name"], "accuracy": o["accuracy"],
        "to_bow_m": o["to_bow"], "to_stern_m": o["to_stern"], "to_port_m": o["to_port"],
        "to_starboard_m": o["to_starboard"], "off_position": o["off_position"],
        "virtual_aid": o["virtual_aid"],
    }


TEXT = {"name", "callsign", "destination", "vendor_id"}


def compare(row: dict, expected: dict, where: str, res: Result) -> None:
    for k, v in gs.not_available(expected).items():
        ours = row[k]
        if k in TEXT and isinstance(ours, str) and "@" in ours:
            ours = ours.split("@")[0].rstrip()  # gpsd ends text at the first '@'
            res.at_cut += 1
        if ours is None or v is None:
            same = ours is None and v is None
        elif isinstance(ours, float) or isinstance(v, float):
            same = np.float32(ours) == np.float32(v)
        else:
            same = ours == v
        if not same:
            res.mismatches.append(f"{where}: {k}: darkfleet {ours!r} != gpsd {v!r}")


def compare_lonlat(row: dict, exp: tuple[float, float] | None, where: str, res: Result) -> None:
    if exp is not None and (abs(exp[0]) > 180 or abs(exp[1]) > 90):
        exp = None  # darkfleet stores a station position outside the globe as not available
    if exp is None:
        ok = row["lon"] is None and row["lat"] is None
    else:
        ok = (row["lon"] is not None and abs(row["lon"] - exp[0]) <= 1e-6
              and abs(row["lat"] - exp[1]) <= 1e-6)
    if not ok:
        res.mismatches.append(f"{where}: lon/lat {row['lon']},{row['lat']} != gpsd {exp}")


# -- alignment ------------------------------------------------------------------------------


def run(shared: Path, rel: str) -> Result:
    chk, pipe = CHK_FILES[rel]
    base = shared / "ais" / "nmea"
    objects, repeats = load_objects(base / chk, base / pipe if pipe else None)
    d = gs.decode_and_match(base / rel)
    res = Result(repeated=repeats)
    outcomes = d.outcomes
    pos = 0
    for o, p in objects:
        t, mmsi = o["type"], o["mmsi"]
        k = pos
        seen: dict[str, dict] = {}
        if t == 24:
            # The message that completes the pair: the first type 24 of this MMSI from here on
            # by which darkfleet has decoded both a part A and a part B (the latest of each).
            for j in range(pos):
                oc = outcomes[j]
                if (oc.msg_type, oc.mmsi) == (24, mmsi) and "statics" in oc.rows:
                    seen[oc.rows["statics"]["part"]] = oc.rows["statics"]
            while k < len(outcomes):
                oc = outcomes[k]
                if (oc.msg_type, oc.mmsi) == (24, mmsi) and "statics" in oc.rows:
                    seen[oc.rows["statics"]["part"]] = oc.rows["statics"]
                    if {"A", "B"} <= seen.keys():
                        break
                k += 1
        else:
            while k < len(outcomes) and (outcomes[k].msg_type, outcomes[k].mmsi) != (t, mmsi):
                k += 1
        if k >= len(outcomes):
            res.mismatches.append(f"gpsd object type {t} mmsi {mmsi} matches no message left")
            continue
        for j in range(pos, k):  # messages gpsd printed nothing for
            res.skipped[skip_reason(outcomes[j])] += 1
        pos = k + 1
        oc = outcomes[k]
        where = f"line {oc.msg.line} type {t} mmsi {mmsi}"
        documented = [r for r in oc.rejects if r in (df_decode.NO_POSITION, df_decode.OUT_OF_RANGE,
                                                      df_decode.TOO_SHORT)]
        if not oc.rows:
            if documented:
                res.rejected.append((oc.msg.line, documented[0]))
                # The reason must be what gpsd's own values say.
                if documented[0] == df_decode.NO_POSITION and expected_lonlat(o, p) is not None:
                    res.mismatches.append(f"{where}: rejected as {documented[0]}, gpsd {o}")
            else:
                res.mismatches.append(f"{where}: gpsd decodes it, darkfleet: {oc.rejects}")
            continue
        if t in (1, 2, 3, 18, 19, 27):
            row = oc.rows["positions"]
            compare_lonlat(row, expected_lonlat(o, p), where, res)
            compare(row, expected_position(o, p), where, res)
            if t == 19:
                compare(oc.rows["statics"], expected_static(o), where, res)
        elif t == 5:
            compare(oc.rows["statics"], expected_static(o), where, res)
        elif t == 24:
            exp_a, exp_b = expected_type24(o)
            compare(seen["A"], exp_a, where + " part A", res)
            compare(seen["B"], exp_b, where + " part B", res)
        elif t in (4, 11):
            row = oc.rows["stations"]
            compare_lonlat(row, expected_lonlat(o, p), where, res)
            compare(row, expected_station(o), where, res)
        elif t == 21:
            row = oc.rows["aids"]
            compare_lonlat(row, expected_lonlat(o, p), where, res)
            compare(row, expected_aid(o), where, res)
        else:  # a type darkfleet keeps raw: the same message is in `other`
            if "other" not in oc.rows:
                res.mismatches.append(f"{where}: not kept in other ({oc.rejects})")
        res.compared[t] += 1
    for j in range(pos, len(outcomes)):
        res.skipped[skip_reason(outcomes[j])] += 1
    return res


def skip_reason(oc: gs.Outcome) -> str:
    """Why gpsd printed nothing for a message (a key of EXPECTED's skipped counts)."""
    if not oc.rows:
        return f"rejected by darkfleet too: {'; '.join(sorted(set(oc.rejects)))}"
    if oc.msg_type == 24:
        if "other" in oc.rows:
            return _UNDEFINED
        part = oc.rows["statics"]["part"]
        return {"A": "type 24 part A (gpsd prints it with its part B)",
                "B": "type 24 part B without a part A before it",
                "?": "type 24 with an undefined part number"}[part]
    table = next(iter(oc.rows))
    return f"type {oc.msg_type} ({table}) not printed by gpsd"


# -- the tests ------------------------------------------------------------------------------

# Per file: gpsd objects compared per type; messages gpsd printed nothing for, by reason;
# objects gpsd printed again at the end of a GPS cycle (see load_objects).
_PART_A = "type 24 part A (gpsd prints it with its part B)"
_LONE_B = "type 24 part B without a part A before it"
_UNDEFINED = "type 24 with an undefined part number"

EXPECTED: dict[str, tuple[dict[int, int], dict[str, int], int]] = {
    # 69 type 24 with part number 3 (undefined): gpsd prints nothing, darkfleet a row of nulls
    # (see test_golden_pyais.test_undefined_type24_parts_are_not_decoded_into_statics).
    "gpsd/ais-18-27.log": ({18: 69, 27: 69}, {_PART_A: 69, _UNDEFINED: 69}, 0),
    "gpsd/ais-nmea.log": (
        {1: 116, 3: 18, 5: 12, 8: 6, 18: 7, 24: 4}, {_PART_A: 5}, 108),
    "gpsd/ais-raw-messages.log": (
        {1: 75, 3: 12, 4: 5, 5: 5, 18: 4, 21: 6, 24: 1}, {_PART_A: 1}, 0),
    "gpsd/sample.aivdm": (
        {1: 4, 2: 1, 3: 1, 4: 4, 5: 3, 6: 13, 7: 3, 8: 18, 9: 2, 10: 2, 11: 1, 12: 7, 13: 1,
         14: 3, 15: 3, 16: 2, 17: 2, 18: 3, 19: 1, 20: 5, 21: 2, 22: 3, 23: 1, 24: 2, 25: 3,
         26: 5, 27: 2},
        {_PART_A: 3, _LONE_B: 2}, 0),
}

# gpsd decodes these, darkfleet rejects them for a documented reason: type 3 reports with
# lon 181 / lat 91 (gpsd prints lon 108600000, lat 54600000).
DOCUMENTED_REJECTIONS: dict[str, list[tuple[int, str]]] = {
    "gpsd/ais-nmea.log": [(416, df_decode.NO_POSITION), (504, df_decode.NO_POSITION),
                          (548, df_decode.NO_POSITION)],
}

# Texts compared after cutting darkfleet's at its first '@' (gpsd's convention), per file.
EXPECTED_AT_CUT = {"gpsd/sample.aivdm": 1}


@pytest.mark.parametrize("rel", sorted(CHK_FILES))
def test_matches_gpsd_field_for_field(shared_data: Path, rel: str) -> None:
    res = run(shared_data, rel)
    report = [f"{len(res.mismatches)} mismatches:", *res.mismatches[:40]]
    assert not res.mismatches, "\n".join(report)
    compared, skipped, repeated = EXPECTED[rel]
    assert dict(res.compared) == compared
    assert dict(res.skipped) == skipped
    assert res.repeated == repeated
    assert sorted(res.rejected) == sorted(DOCUMENTED_REJECTIONS.get(rel, []))
    assert res.at_cut == EXPECTED_AT_CUT.get(rel, 0)


def test_totals() -> None:
    """Every gpsd AIS object of the four files is accounted for (compared or rejected)."""
    compared = sum(sum(c.values()) for c, _, _ in EXPECTED.values())
    rejected = sum(len(v) for v in DOCUMENTED_REJECTIONS.values())
    repeated = sum(r for _, _, r in EXPECTED.values())
    # AIS objects in ais-18-27.log.chk, ais-nmea.log.chk, ais-raw-messages.log.chk and
    # sample.aivdm.js.chk.
    assert compared + rejected + repeated == 138 + 274 + 108 + 97
