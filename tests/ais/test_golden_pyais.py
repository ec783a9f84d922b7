"""Golden test: darkfleet's bulk decoder against pyais, field for field.

Every AIS sentence of every NMEA file under ../shared/data/ais/nmea is decoded both ways. The
reference side finds sentences with a regular expression, recomputes checksums and groups
multipart messages in this test (``golden_support``), then calls ``pyais.decode(*parts)``.
For each message pyais decodes, darkfleet must either produce the same row(s), every column
compared, or reject it for a reason darkfleet documents (the position is "not available",
out of range, or the payload is shorter than ``messages.MIN_BITS`` for its type). Rows are
matched by (line of the first part, type, MMSI), and darkfleet may not produce any row that
has no reference message. The counts are pinned per file, so the test cannot pass vacuously.

Where pyais and darkfleet represent a field differently, the comparison says how:
- enumerations (navigation status, ship type, EPFD, aid type): darkfleet keeps the raw code,
  pyais folds unknown codes into a default member; the raw bits pyais read are compared, and
  pyais's member must be what the code maps to. The rate of turn likewise (raw, and pyais's
  scaled value must be ``to_turn(raw)``).
- "not available" sentinels pyais keeps (heading 511, SOG 102.3, COG 360, lon 181 / lat 91
  of stations and aids) are nulls in darkfleet.
- a field the payload stops before (short type 5, type 24 part B) is null in darkfleet;
  pyais reads the bits that are left.
- the type 21 name is joined with its extension as ITU-R M.1371-5 says (see ``aid_name``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from pyais import decode
from pyais import exceptions as pyais_exc
from pyais.bit_vector import _SIXBIT_CHAR
from pyais.decode import decode_nmea_and_ais
from pyais.encode import encode_dict
from pyais.messages import to_turn

from darkfleet.ais import decode as df_decode
from darkfleet.ais import messages as df_messages
from darkfleet.ais import nmea as df_nmea
from tests.ais import golden_support as gs

POSITION_TYPES = set(df_messages.POSITION_TYPES)
BAD_CHECKSUM = df_nmea.REASONS[df_nmea.BAD_CHECKSUM]


@dataclass
class Result:
    compared: Counter[str] = field(default_factory=Counter)  # messages compared, per table
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, documented reason)
    undecoded: Counter[str] = field(default_factory=Counter)  # pyais's exception -> messages
    undefined_type24: list[int] = field(default_factory=list)  # lines: part number 2 or 3
    mismatches: list[str] = field(default_factory=list)
    bad_checksum: int = 0  # sentences
    incomplete: int = 0  # parts of multipart messages that never complete


# -- expected darkfleet values from a pyais message -----------------------------------------


def raw(m, bv, name: str) -> int | None:
    """The undecoded bits of pyais field ``name`` (offsets from pyais's own decoder plan).

    pyais maps enumerations (navigation status, ship type, EPFD, aid type) to its enums and
    folds unknown codes into a default member, and it scales the rate of turn; darkfleet keeps
    the raw codes. Comparing against the raw bits pyais read, and separately checking that
    pyais's enum is what the raw code maps to, compares like with like.
    """
    for fname, offset, width, signed, _, _ in type(m).decoder_plan():
        if fname == name:
            if offset + width > len(bv):
                return None
            return bv.get_num(offset, width, signed)
    raise KeyError(name)


_ENUMS = {"status": "nav_status", "ship_type": "ship_type", "epfd": "epfd", "aid_type": "aid_type"}


def check_enums(m, row: dict, where: str, out: list[str]) -> None:
    """pyais's enum members are what darkfleet's raw codes map to."""
    for name, column in _ENUMS.items():
        value = getattr(m, name, None)
        code = row.get(column)
        if value is None or code is None or not hasattr(type(value), "from_value"):
            continue
        if int(type(value).from_value(code)) != int(value):
            out.append(f"{where}: {name}: pyais {value!r} is not what code {code} maps to")


def _na(value, sentinel):
    return None if value == sentinel else value


def _f32(x):
    return None if x is None else float(np.float32(x))


def expected_position(m, bv) -> dict:
    t = m.msg_type
    if t == 27:
        return {
            "sog_kn": _f32(_na(m.speed, 63)), "cog_deg": _f32(_na(m.course, 511)),
            "heading_deg": None, "nav_status": raw(m, bv, "status"), "rot_raw": None,
            "accuracy": bool(m.accuracy), "utc_second": None,
        }
    class_a = t in (1, 2, 3)
    rot = raw(m, bv, "turn") if class_a else None
    return {
        "sog_kn": _f32(_na(m.speed, 102.3)), "cog_deg": _f32(_na(m.course, 360.0)),
        "heading_deg": _na(m.heading, 511), "nav_status": raw(m, bv, "status") if class_a else None,
        "rot_raw": _na(rot, -128), "accuracy": bool(m.accuracy), "utc_second": m.second,
    }


def _dims(m, present: bool = True) -> dict:
    if not present:
        return {k: None for k in ("to_bow_m", "to_stern_m", "to_port_m", "to_starboard_m",
                                  "length_m", "width_m")}
    length, width = m.to_bow + m.to_stern, m.to_port + m.to_starboard
    return {
        "to_bow_m": m.to_bow, "to_stern_m": m.to_stern, "to_port_m": m.to_port,
        "to_starboard_m": m.to_starboard, "length_m": length or None, "width_m": width or None,
    }


_STATIC_NULLS = {
    "part": None, "imo": None, "callsign": None, "name": None, "ship_type": None,
    "draught_m": None, "destination": None, "eta_month": None, "eta_day": None,
    "eta_hour": None, "eta_minute": None, "epfd": None, "ais_version": None,
    "vendor_id": None, "mothership_mmsi": None, **_dims(None, present=False),
}


def expected_static(m, bv, n_bits: int) -> dict:
    t = m.msg_type
    out = dict(_STATIC_NULLS)
    if t == 5:
        # Fields past the end of a short payload are null in darkfleet (pyais reads whatever
        # bits are left); MIN_BITS[5] guarantees everything up to the dimensions is there.
        def have(start: int, width: int) -> bool:
            return n_bits >= start + width

        out.update(
            imo=_na(m.imo, 0), callsign=m.callsign, name=m.shipname,
            ship_type=raw(m, bv, "ship_type"),
            **_dims(m),
            epfd=raw(m, bv, "epfd"),
            eta_month=m.month if have(274, 4) else None,
            eta_day=m.day if have(278, 5) else None,
            eta_hour=m.hour if have(283, 5) else None,
            eta_minute=m.minute if have(288, 6) else None,
            draught_m=_f32(m.draught) if have(294, 8) else None,
            destination=m.destination if have(302, 6) else "",
            ais_version=m.ais_version,
        )
    elif t == 24 and m.partno == 0:
        out.update(part="A", name=m.shipname)
    elif t == 24:
        aux = hasattr(m, "mothership_mmsi")
        out.update(part="B", ship_type=m.ship_type if n_bits >= 48 else None,
                   vendor_id=m.vendorid, callsign=m.callsign)
        if aux:
            out["mothership_mmsi"] = m.mothership_mmsi if n_bits >= 162 else None
        else:
            out.update(_dims(m, present=n_bits >= 162))
    elif t == 19:
        out.update(name=m.shipname, ship_type=raw(m, bv, "ship_type"), epfd=raw(m, bv, "epfd"),
                   **_dims(m))
    return out


def expected_station(m, bv) -> dict:
    try:
        when = datetime(m.year, m.month, m.day, m.hour, m.minute, m.second, tzinfo=UTC)
    except (ValueError, TypeError):
        when = None
    return {"station_time": when, "accuracy": bool(m.accuracy), "epfd": raw(m, bv, "epfd")}


def aid_name(bv, n_bits: int) -> str:
    """The full name of a type 21 report, from pyais's bit reader and six-bit table.

    ITU-R M.1371-5 message 21: when the 20-character name is full (no '@'), the name extension
    (bit 272 on, whole characters up to the payload's end, no '@') continues it. pyais's own
    ``full_name`` appends the extension even after a short name (so it picks up spare bits,
    e.g. 'PUGET SOUND TSL TA@DJD_!N') and reads a partial last character; gpsd and libais
    follow the rule above. Trimmed like pyais's text fields.
    """
    name = [_SIXBIT_CHAR[bv.get(43 + 6 * j, 6)] for j in range(20)]
    ext: list[str] = []
    if "@" not in name:
        for j in range((n_bits - 272) // 6 if n_bits > 272 else 0):
            c = _SIXBIT_CHAR[bv.get(272 + 6 * j, 6)]
            if c == "@":
                break
            ext.append(c)
    return "".join(name + ext).rstrip("@").strip()


def expected_aid(m, bv, n_bits: int) -> dict:
    return {
        "aid_type": raw(m, bv, "aid_type"), "name": aid_name(bv, n_bits),
        "accuracy": bool(m.accuracy),
        "to_bow_m": m.to_bow, "to_stern_m": m.to_stern, "to_port_m": m.to_port,
        "to_starboard_m": m.to_starboard, "off_position": m.off_position,
        "virtual_aid": m.virtual_aid,
    }


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) or isinstance(b, float):
        return np.float32(a) == np.float32(b)
    return a == b


def _lonlat_ok(row: dict, lon, lat, na: bool) -> bool:
    if na:
        return row["lon"] is None and row["lat"] is None
    return (row["lon"] is not None and abs(row["lon"] - lon) <= 1e-6
            and abs(row["lat"] - lat) <= 1e-6)


def compare(row: dict, expected: dict, where: str, out: list[str]) -> None:
    for k, v in gs.not_available(expected).items():
        if not _same(row[k], v):
            out.append(f"{where}: {k}: darkfleet {row[k]!r} != pyais {v!r}")


# -- the comparison -------------------------------------------------------------------------


def documented_rejection(t: int, n_bits: int, m) -> str | None:
    """The reason darkfleet documents for not decoding this message into columns, if any."""
    if n_bits < df_messages.MIN_BITS.get(t, df_messages.MIN_BITS_OTHER):
        return df_decode.TOO_SHORT
    if t in POSITION_TYPES:
        if m.lon == 181.0 or m.lat == 91.0:
            return df_decode.NO_POSITION
        if abs(m.lon) > 180 or abs(m.lat) > 90:
            return df_decode.OUT_OF_RANGE
    return None


def run(path: Path) -> Result:
    d = gs.decode_and_match(path)
    res = Result(bad_checksum=len(d.assembly.bad_checksum), incomplete=len(d.assembly.incomplete))
    rejects = Counter((line, reason) for line, _, reason in d.batch.rejects)

    # Sentences with a bad checksum and parts that never complete are rejected, line by line.
    for s in d.assembly.bad_checksum:
        if not rejects[(s.line, BAD_CHECKSUM)]:
            res.mismatches.append(f"line {s.line}: bad checksum not rejected: {s.core}")
    for s in d.assembly.incomplete:
        if not rejects[(s.line, df_decode.INCOMPLETE)]:
            res.mismatches.append(f"line {s.line}: incomplete part not rejected: {s.core}")

    for o in d.outcomes:
        msg, line = o.msg, o.msg.line
        where = f"line {line} {msg.cores[0][:70]}"
        bad = res.mismatches
        n_bits = len(msg.payload) * 6 - msg.fill
        try:
            # pyais.decode(*parts), keeping pyais's sentence too for its bit vector.
            nmea, m = decode_nmea_and_ais(*msg.cores)
            bv = nmea.bv
        except pyais_exc.MissingPayloadException:
            res.undecoded["MissingPayloadException"] += 1
            if not rejects[(line, df_decode.EMPTY_PAYLOAD)]:
                bad.append(f"{where}: empty payload not rejected")
            continue
        except (pyais_exc.UnknownMessageException, pyais_exc.UnknownPartNoException) as e:
            res.undecoded[type(e).__name__] += 1
            if o.msg_type == 24:  # part number 2 or 3: see test_undefined_type24_parts
                res.undefined_type24.append(line)
                continue
            # A type pyais does not know (25 with 3 parts pyais rejects, 28..63): darkfleet
            # must keep it raw.
            row = o.rows.get("other")
            if gs.table_of(o.msg_type) != "other" or row is None:
                bad.append(f"{where}: type {o.msg_type} not kept in other ({o.rejects})")
            else:
                compare(row, {"payload": msg.payload, "fill_bits": msg.fill}, where, bad)
                res.compared["other"] += 1
            continue

        t, mmsi = m.msg_type, m.mmsi
        if t != o.msg_type or (o.mmsi is not None and mmsi != o.mmsi):
            bad.append(f"{where}: header ({o.msg_type}, {o.mmsi}) != pyais ({t}, {mmsi})")
            continue
        table = gs.table_of(t)
        reason = documented_rejection(t, n_bits, m)
        if reason is not None:
            res.rejected.append((line, reason))
            if not rejects[(line, reason)]:
                bad.append(f"{where}: expected reject {reason!r}, got {o.rejects}")
            if o.rows:
                bad.append(f"{where}: rejected ({reason}) yet decoded into {sorted(o.rows)}")
            continue
        row = o.rows.get(table)
        if row is None:
            bad.append(f"{where}: type {t} mmsi {mmsi} not in {table} (rejects {o.rejects})")
            continue
        if table == "other":
            compare(row, {"payload": msg.payload, "fill_bits": msg.fill}, where, bad)
        elif table == "positions":
            if not _lonlat_ok(row, m.lon, m.lat, na=False):
                bad.append(f"{where}: lon/lat {row['lon']},{row['lat']} != {m.lon},{m.lat}")
            exp = expected_position(m, bv)
            compare(row, exp, where, bad)
            check_enums(m, row, where, bad)
            if exp["rot_raw"] is not None and m.turn != to_turn(row["rot_raw"]):
                bad.append(f"{where}: turn {m.turn} != to_turn({row['rot_raw']})")
            if t == 19:
                srow = o.rows.get("statics")
                if srow is None:
                    bad.append(f"{where}: type 19 missing from statics")
                else:
                    compare(srow, expected_static(m, bv, n_bits), where, bad)
                    check_enums(m, srow, where, bad)
                    res.compared["statics"] += 1
        elif table == "statics":
            compare(row, expected_static(m, bv, n_bits), where, bad)
            check_enums(m, row, where, bad)
        elif table == "stations":
            if not _lonlat_ok(row, m.lon, m.lat, na=abs(m.lon) > 180 or abs(m.lat) > 90):
                bad.append(f"{where}: lon/lat {row['lon']},{row['lat']} != {m.lon},{m.lat}")
            compare(row, expected_station(m, bv), where, bad)
            check_enums(m, row, where, bad)
        elif table == "aids":
            if not _lonlat_ok(row, m.lon, m.lat, na=abs(m.lon) > 180 or abs(m.lat) > 90):
                bad.append(f"{where}: lon/lat {row['lon']},{row['lat']} != {m.lon},{m.lat}")
            compare(row, expected_aid(m, bv, n_bits), where, bad)
            check_enums(m, row, where, bad)
        res.compared[table] += 1

    # darkfleet rows with no reference message; type 24 parts 2/3 have their own test.
    undefined = set(res.undefined_type24)
    for name, row in d.leftovers:
        if not (name == "statics" and row["msg_type"] == 24 and row["line"] in undefined):
            res.mismatches.append(f"line {row['line']}: darkfleet {name} row with no reference "
                                  f"message: type {row['msg_type']} mmsi {row['mmsi']}")
    return res


# -- the tests ------------------------------------------------------------------------------

# Per file: messages compared field for field, per darkfleet table (a type 19 counts in both
# positions and statics); messages pyais does not decode, per pyais exception; sentences with
# a bad checksum; parts of multipart messages that never complete. Pinned, so that the test
# cannot pass by comparing nothing.
EXPECTED: dict[str, tuple[dict[str, int], dict[str, int], int, int]] = {
    "aisdb/test_data_201201.nmea": (
        {"aids": 1, "other": 16, "positions": 3, "statics": 2, "stations": 2}, {}, 0, 0),
    "aisdb/test_data_20211101.nm4": (
        {"aids": 11, "other": 4, "positions": 915, "statics": 46, "stations": 5}, {}, 0, 0),
    "gfw-ais-tools/bad-tagblock-group.nmea": ({"aids": 1}, {}, 0, 0),
    "gfw-ais-tools/bad-type5.nmea": ({"statics": 3}, {}, 0, 0),
    "gfw-ais-tools/ee-multiline.nmea": ({"positions": 6, "statics": 2}, {}, 0, 0),
    "gfw-ais-tools/errors.nmea": ({"positions": 3}, {}, 2, 0),
    "gfw-ais-tools/mixed_types.nmea": (
        {"aids": 5, "other": 44, "positions": 30, "statics": 15, "stations": 10}, {}, 0, 0),
    "gfw-ais-tools/multi-part.nmea": ({"other": 33, "statics": 10}, {}, 0, 0),
    "gfw-ais-tools/sample.nmea": ({"positions": 1, "statics": 2}, {}, 0, 0),
    "gfw-ais-tools/single-message-type-5.nmea": ({}, {}, 1, 0),
    "gfw-ais-tools/spire-test.nmea": ({"statics": 1}, {}, 0, 2),
    "gfw-ais-tools/type1-bad-bitcount.nmea": ({"positions": 12}, {}, 0, 0),
    "gpsd/ais-18-27.log": (
        {"positions": 138, "statics": 69}, {"UnknownPartNoException": 69}, 0, 0),
    "gpsd/ais-nmea-type6-fid55.log": (
        {"aids": 133, "other": 162, "positions": 797, "statics": 194, "stations": 30}, {}, 0, 0),
    "gpsd/ais-nmea.log": ({"other": 6, "positions": 141, "statics": 21}, {}, 0, 0),
    "gpsd/ais-raw-messages.log": (
        {"aids": 6, "positions": 91, "statics": 7, "stations": 5}, {}, 0, 0),
    "gpsd/sample.aivdm": (
        {"aids": 2, "other": 73, "positions": 12, "statics": 11, "stations": 5}, {}, 0, 0),
    "libais/tagblock.nmea": ({"positions": 3, "statics": 1}, {}, 0, 0),
    "libais/test.aivdm": (
        {"aids": 9, "other": 188, "positions": 28, "statics": 15, "stations": 10}, {}, 0, 0),
    "libais/typeexamples.nmea": (
        {"aids": 1, "other": 16, "positions": 3, "statics": 2, "stations": 2}, {}, 0, 0),
    "pyais/ais_test_messages": ({"positions": 6, "statics": 1}, {}, 0, 0),
    "pyais/gatehouse.nmea": ({"positions": 4}, {}, 0, 0),
    "pyais/mixed.txt": ({"positions": 10, "statics": 2}, {}, 0, 0),
    "pyais/nmea_data_sample.txt": (
        {"other": 8, "positions": 758, "statics": 2, "stations": 6},
        {"MissingPayloadException": 100}, 0, 20),
    "pyais/timestamped.ais": ({"positions": 4}, {}, 0, 0),
}

_NA = df_decode.NO_POSITION
_OUT = df_decode.OUT_OF_RANGE
_SHORT = df_decode.TOO_SHORT

# Every message pyais decodes that darkfleet rejects, with darkfleet's documented reason:
# lon 181 / lat 91 ("not available"), |lon| > 180 or |lat| > 90, or fewer payload bits than
# messages.MIN_BITS for the type (the 6-character type 23 at libais line 254 holds 33 bits,
# less than type + repeat + MMSI; the type 27 ones stop before their last field).
DOCUMENTED_REJECTIONS: dict[str, list[tuple[int, str]]] = {
    "aisdb/test_data_201201.nmea": [(11, _OUT), (21, _OUT)],
    "aisdb/test_data_20211101.nm4": [(302, _NA), (350, _NA)],
    "gpsd/ais-nmea-type6-fid55.log": [
        (443, _NA), (495, _NA), (578, _NA), (762, _NA), (763, _NA), (776, _NA), (902, _NA),
        (1312, _NA), (1390, _NA), (1478, _NA), (1485, _NA),
    ],
    "gpsd/ais-nmea.log": [(416, _NA), (504, _NA), (548, _NA)],
    "libais/test.aivdm": [
        (254, _SHORT), (308, _OUT), (310, _OUT), (311, _SHORT), (312, _SHORT), (314, _SHORT),
        (315, _SHORT), (316, _OUT), (317, _OUT), (319, _SHORT), (322, _SHORT), (323, _OUT),
        (324, _SHORT), (325, _OUT),
    ],
    "libais/typeexamples.nmea": [(11, _OUT), (21, _OUT)],
    "pyais/nmea_data_sample.txt": [(351, _NA), (473, _NA), (616, _NA), (744, _NA)],
}


def _nmea_path(shared_data: Path, rel: str) -> Path:
    path = shared_data / "ais" / "nmea" / rel
    assert path.is_file(), f"{path} is missing from the shared data"
    return path


def test_every_file_is_listed(shared_data: Path) -> None:
    """No NMEA file under ais/nmea escapes the golden comparison."""
    base = shared_data / "ais" / "nmea"
    found = {
        str(f.relative_to(base)) for f in base.rglob("*")
        if f.is_file() and f.suffix not in (".chk", ".json")
        and f.name not in ("LICENSE", "COPYING") and not f.name.startswith("MANIFEST")
    }
    assert found == set(gs.NMEA_FILES) == set(EXPECTED)


@pytest.mark.parametrize("rel", gs.NMEA_FILES)
def test_matches_pyais_field_for_field(shared_data: Path, rel: str) -> None:
    res = run(_nmea_path(shared_data, rel))
    report = [f"{len(res.mismatches)} mismatches:", *res.mismatches[:40]]
    assert not res.mismatches, "\n".join(report)
    compared, undecoded, bad_checksum, incomplete = EXPECTED[rel]
    assert dict(res.compared) == compared
    assert dict(res.undecoded) == undecoded
    assert (res.bad_checksum, res.incomplete) == (bad_checksum, incomplete)
    assert sorted(res.rejected) == sorted(DOCUMENTED_REJECTIONS.get(rel, []))


def test_totals() -> None:
    """The pinned counts add up to the whole corpus (a guard against editing them to zero)."""
    compared = sum(sum(c.values()) for c, *_ in EXPECTED.values())
    rejected = sum(len(v) for v in DOCUMENTED_REJECTIONS.values())
    assert compared == 4165
    assert rejected == 38


def test_undefined_type24_parts_are_kept_raw_not_decoded_into_statics(shared_data: Path) -> None:
    """Type 24 part numbers 2 and 3 are undefined in ITU-R M.1371-5 (pyais raises
    UnknownPartNoException, gpsd emits nothing): darkfleet keeps them whole in `other`."""
    _, batch = gs.decode_file(_nmea_path(shared_data, "gpsd/ais-18-27.log"))
    parts = [r["part"] for r in gs.table_rows(batch, "statics")]
    assert parts.count("A") == 69
    assert "?" not in parts
    other24 = [r for r in gs.table_rows(batch, "other") if r["msg_type"] == 24]
    assert len(other24) == 69


# -- edges the corpus does not hold: short payloads, impossible years, name extensions -------
# Each case is a pyais-encoded message; the expectations follow ITU-R M.1371-5 and are checked
# against pyais's decode of the same sentence where pyais has an opinion.


def _sentence(payload: str, fill: int) -> str:
    body = f"AIVDM,1,1,,A,{payload},{fill}"
    cs = 0
    for ch in body.encode():
        cs ^= ch
    return f"!{body}*{cs:02X}"


def truncated(msg: dict, n_bits: int) -> str:
    """pyais's encoding of ``msg``, cut to its first ``n_bits`` bits."""
    [full] = encode_dict(msg)
    payload = full.split(",")[5]
    value, total = 0, len(payload) * 6
    for ch in payload:
        v = ord(ch) - 48
        value = (value << 6) | (v - 8 if v > 40 else v)
    value >>= total - n_bits  # drops the fill bits too
    pad = -n_bits % 6
    value <<= pad
    chars = [(value >> (n_bits + pad - 6 * (i + 1))) & 63 for i in range((n_bits + pad) // 6)]
    return _sentence("".join(chr(c + 48 if c < 40 else c + 56) for c in chars), pad)


def _decode_one(line: str) -> tuple[dict[str, list[dict]], list[str]]:
    batch = df_decode.decode_lines([line], gs.ASSUME)
    return ({k: t.to_pylist() for k, t in batch.tables.items()},
            [reason for _, _, reason in batch.rejects])


def test_short_type21_is_rejected_not_given_a_virtual_aid_flag() -> None:
    # 264 bits end before virtual_aid (bit 269): pyais reads None, darkfleet used to read the
    # zero padding as False. MIN_BITS[21] is now 270.
    line = truncated(dict(msg_type=21, mmsi=992411001, aid_type=1, name="BUOY", lon=10, lat=50,
                          virtual_aid=1, off_position=1), 264)
    assert decode(line).virtual_aid is None
    tables, rejects = _decode_one(line)
    assert tables == {} and rejects == [df_decode.TOO_SHORT]


def test_short_type19_is_rejected_not_given_an_epfd() -> None:
    # 302 bits end inside epfd (bits 301-304). MIN_BITS[19] is now 305.
    line = truncated(dict(msg_type=19, mmsi=367059850, shipname="X", ship_type=70, to_bow=5,
                          to_stern=21, to_port=4, to_starboard=4, epfd=1, lon=1, lat=1), 302)
    tables, rejects = _decode_one(line)
    assert tables == {} and rejects == [df_decode.TOO_SHORT]


@pytest.mark.parametrize(("mmsi", "n_bits", "column", "pyais_field"), [
    (271041815, 44, "ship_type", "ship_type"),  # ship type is bits 40-47
    (981234567, 150, "mothership_mmsi", "mothership_mmsi"),  # auxiliary craft: bits 132-161
])
def test_short_type24b_fields_are_null_not_padding(mmsi: int, n_bits: int, column: str,
                                                   pyais_field: str) -> None:
    msg = dict(msg_type=24, partno=1, mmsi=mmsi, ship_type=60, callsign="TC", to_bow=1,
               mothership_mmsi=271041815)
    line = truncated(msg, n_bits)
    complete = getattr(decode(truncated(msg, 168)), pyais_field)
    partial = getattr(decode(line), pyais_field)
    assert partial != complete  # pyais reads the bits that are left: a wrong value
    tables, _ = _decode_one(line)
    [row] = tables["statics"]
    assert row["part"] == "B" and row[column] is None
    [row] = _decode_one(truncated(msg, 168))[0]["statics"]
    assert row[column] == complete


def test_station_year_past_9999_is_no_time() -> None:
    # 14 bits of year reach 16383; M.1371-5 allows 1-9999. darkfleet used to build a timestamp
    # in year 10196 that Python cannot represent (to_pylist raised OverflowError).
    [line] = encode_dict(dict(msg_type=4, mmsi=3669702, year=10196, month=5, day=24, hour=9,
                              minute=57, second=37, lon=-76.35, lat=36.88, epfd=7))
    assert decode(line).year == 10196
    [row] = _decode_one(line)[0]["stations"]
    assert row["station_time"] is None and row["epfd"] == 7


@pytest.mark.parametrize(("name", "ext", "expected"), [
    ("CHINA ROSE MURPHY EX", "PRESS ALERT", "CHINA ROSE MURPHY EXPRESS ALERT"),
    ("SHORT NAME", "SPARE", "SHORT NAME"),  # the name is not full: no extension
    ("ABCDEFGHIJKLMNOPQRST", "", "ABCDEFGHIJKLMNOPQRST"),
])
def test_aid_name_extension(name: str, ext: str, expected: str) -> None:
    [line] = encode_dict(dict(msg_type=21, mmsi=992411001, aid_type=1, name=name, name_ext=ext,
                              lon=10, lat=50))
    m = decode(line)
    assert (m.name, m.name_ext) == (name, ext)
    [row] = _decode_one(line)[0]["aids"]
    assert row["name"] == expected
