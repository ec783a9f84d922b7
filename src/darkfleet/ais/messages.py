"""AIS message layouts (ITU-R M.1371-5) and their bulk decoding into lake tables.

Each layout lists fields as ``(column, start_bit, width)``; reading it against the standard's
tables is the review. Scaling and "not available" values are applied per column below, the same
way for every message type that carries the column.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from darkfleet.ais import bits
from darkfleet.lake import schema

Field = tuple[str, int, int]

# Types 1, 2, 3: position report class A.
CLASS_A: list[Field] = [
    ("nav_status", 38, 4), ("rot_raw", 42, 8), ("sog", 50, 10), ("accuracy", 60, 1),
    ("lon", 61, 28), ("lat", 89, 27), ("cog", 116, 12), ("heading", 128, 9), ("utc_second", 137, 6),
]
# Type 18: standard class B position report.
CLASS_B: list[Field] = [
    ("sog", 46, 10), ("accuracy", 56, 1), ("lon", 57, 28), ("lat", 85, 27), ("cog", 112, 12),
    ("heading", 124, 9), ("utc_second", 133, 6),
]
# Type 19: extended class B report; the position part equals type 18's.
CLASS_B_EXTENDED_STATIC: list[Field] = [
    ("ship_type", 263, 8), ("to_bow_m", 271, 9), ("to_stern_m", 280, 9), ("to_port_m", 289, 6),
    ("to_starboard_m", 295, 6), ("epfd", 301, 4),
]
# Type 27: long-range broadcast; positions in 1/10 minute, speed in knots, course in degrees.
LONG_RANGE: list[Field] = [
    ("accuracy", 38, 1), ("nav_status", 40, 4), ("lon", 44, 18), ("lat", 62, 17),
    ("sog", 79, 6), ("cog", 85, 9),
]
# Type 5: static and voyage related data.
STATIC_VOYAGE: list[Field] = [
    ("ais_version", 38, 2), ("imo", 40, 30), ("ship_type", 232, 8), ("to_bow_m", 240, 9),
    ("to_stern_m", 249, 9), ("to_port_m", 258, 6), ("to_starboard_m", 264, 6), ("epfd", 270, 4),
    ("eta_month", 274, 4), ("eta_day", 278, 5), ("eta_hour", 283, 5), ("eta_minute", 288, 6),
    ("draught", 294, 8),
]
STATIC_VOYAGE_TEXT: list[Field] = [("callsign", 70, 42), ("name", 112, 120), ("destination", 302, 120)]
# Type 24 part B (part A carries only the name at bit 40).
STATIC_B: list[Field] = [
    ("ship_type", 40, 8), ("to_bow_m", 132, 9), ("to_stern_m", 141, 9), ("to_port_m", 150, 6),
    ("to_starboard_m", 156, 6),
]
# Types 4 and 11: base station report / UTC date response.
BASE_STATION: list[Field] = [
    ("year", 38, 14), ("month", 52, 4), ("day", 56, 5), ("hour", 61, 5), ("minute", 66, 6),
    ("second", 72, 6), ("accuracy", 78, 1), ("lon", 79, 28), ("lat", 107, 27), ("epfd", 134, 4),
]
# Type 21: aid to navigation report.
AID_TO_NAVIGATION: list[Field] = [
    ("aid_type", 38, 5), ("accuracy", 163, 1), ("lon", 164, 28), ("lat", 192, 27),
    ("to_bow_m", 219, 9), ("to_stern_m", 228, 9), ("to_port_m", 237, 6), ("to_starboard_m", 243, 6),
    ("epfd", 249, 4), ("off_position", 259, 1), ("virtual_aid", 269, 1),
]

SIGNED = {"rot_raw", "lon", "lat"}
# "Not available" codes of M.1371-5 that become nulls (besides position 181/91, SOG 1023,
# COG 3600, heading 511, IMO 0, draught 0 and ship type 0, handled where they are read).
ETA_NOT_AVAILABLE = {"eta_month": 0, "eta_day": 0, "eta_hour": 24, "eta_minute": 60}
POSITION_TYPES = (1, 2, 3, 18, 19, 27)
STATIC_TYPES = (5, 24)
STATION_TYPES = (4, 11)
AID_TYPES = (21,)

# Minimum payload bits to decode a type into its columns (the end of its last decoded field).
# (Type 19 ends with epfd at 301-305, type 21 with virtual_aid at 269-270; type 5 fields past
# the dimensions and type 24 part B fields are null when the payload stops before them.)
MIN_BITS = {1: 143, 2: 143, 3: 143, 18: 139, 19: 305, 27: 94, 5: 270, 24: 40, 4: 138, 11: 138,
            21: 270}
MIN_BITS_OTHER = 38  # type, repeat indicator and MMSI
# Characters read per type: enough for every decoded field (type 5: 424 bits).
# Type 21: 60 characters reach the end of the 14-character name extension (bit 356).
MAX_CHARS = {1: 28, 2: 28, 3: 28, 18: 28, 19: 52, 27: 16, 5: 71, 24: 28, 4: 28, 11: 28, 21: 60}
MAX_CHARS_OTHER = 7


def read_fields(p: bits.Payloads, layout: list[Field]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for name, start, width in layout:
        out[name] = bits.sint(p, start, width) if name in SIGNED else bits.uint(p, start, width)
    return out


def _masked(values: np.ndarray, mask: np.ndarray, type_: pa.DataType) -> pa.Array:
    return bits.arrow(values, type_, mask=mask)


def _lonlat(f: dict[str, np.ndarray], divisor: float) -> tuple[np.ndarray, np.ndarray]:
    return f["lon"] / divisor, f["lat"] / divisor


def position_columns(p: bits.Payloads, msg_type: np.ndarray) -> dict[str, pa.Array]:
    """Decode position reports of one type family (all rows share the layout of msg_type[0])."""
    t = int(msg_type[0])
    n = len(p)
    if t in (1, 2, 3):
        f = read_fields(p, CLASS_A)
    elif t in (18, 19):
        f = read_fields(p, CLASS_B)
        f["nav_status"] = np.zeros(n, dtype=np.int64)
        f["rot_raw"] = np.zeros(n, dtype=np.int64)
    else:
        f = read_fields(p, LONG_RANGE)
        f["rot_raw"] = np.zeros(n, dtype=np.int64)
    none = np.zeros(n, dtype=bool)
    if t == 27:
        lon, lat = _lonlat(f, 600.0)
        sog = f["sog"].astype(np.float32)
        cog = f["cog"].astype(np.float32)
        sog_na, cog_na = f["sog"] == 63, f["cog"] == 511
        heading = np.zeros(n, dtype=np.int64)
        heading_na = ~none
        second, second_na = np.zeros(n, dtype=np.int64), ~none
        rot_na = ~none
    else:
        lon, lat = _lonlat(f, 600_000.0)
        sog = (f["sog"] / 10.0).astype(np.float32)
        cog = (f["cog"] / 10.0).astype(np.float32)
        sog_na, cog_na = f["sog"] == 1023, f["cog"] == 3600
        heading, heading_na = f["heading"], f["heading"] == 511
        second, second_na = f["utc_second"], none
        rot_na = (f["rot_raw"] == -128) if t in (1, 2, 3) else ~none
    status_na = none if t in (1, 2, 3, 27) else ~none
    return {
        "msg_type": bits.arrow(msg_type, pa.int8()),
        "lon": bits.arrow(lon, pa.float64()),
        "lat": bits.arrow(lat, pa.float64()),
        "sog_kn": _masked(sog, sog_na, pa.float32()),
        "cog_deg": _masked(cog, cog_na, pa.float32()),
        "heading_deg": _masked(heading, heading_na, pa.int16()),
        "nav_status": _masked(f["nav_status"], status_na, pa.int8()),
        "rot_raw": _masked(f["rot_raw"], rot_na, pa.int16()),
        "accuracy": bits.arrow(f["accuracy"], pa.bool_()),
        "utc_second": _masked(second, second_na, pa.int8()),
    }


def position_checks(p: bits.Payloads, msg_type: int) -> tuple[np.ndarray, np.ndarray]:
    """(available, in range) per report: lon 181 / lat 91 mean "not available"."""
    if msg_type == 27:
        lon, lat, unit = bits.sint(p, 44, 18), bits.sint(p, 62, 17), 600
    elif msg_type in (1, 2, 3):
        lon, lat, unit = bits.sint(p, 61, 28), bits.sint(p, 89, 27), 600_000
    else:
        lon, lat, unit = bits.sint(p, 57, 28), bits.sint(p, 85, 27), 600_000
    available = (lon != 181 * unit) & (lat != 91 * unit)
    in_range = (np.abs(lon) <= 180 * unit) & (np.abs(lat) <= 90 * unit)
    return available, in_range


def _dimensions(f: dict[str, np.ndarray], present: np.ndarray) -> dict[str, pa.Array]:
    out: dict[str, pa.Array] = {}
    for k in ("to_bow_m", "to_stern_m", "to_port_m", "to_starboard_m"):
        out[k] = _masked(f[k], ~present, pa.int16())
    length = f["to_bow_m"] + f["to_stern_m"]
    width = f["to_port_m"] + f["to_starboard_m"]
    out["length_m"] = _masked(length, ~present | (length == 0), pa.int16())
    out["width_m"] = _masked(width, ~present | (width == 0), pa.int16())
    return out


def static_columns(p: bits.Payloads, msg_type: int) -> dict[str, pa.Array]:
    """Columns of the statics table for type 5, type 24 (A and B), or type 19."""
    n = len(p)
    out: dict[str, pa.Array] = {}

    def na_int(name: str, type_: pa.DataType) -> None:
        out[name] = pa.nulls(n, type=type_)

    if msg_type == 5:
        f = read_fields(p, STATIC_VOYAGE)
        out["part"] = pa.nulls(n, type=pa.string())
        out["imo"] = _masked(f["imo"], f["imo"] == 0, pa.int64())
        out["callsign"] = bits.text(p, 70, 42)
        out["name"] = bits.text(p, 112, 120)
        out["ship_type"] = _masked(f["ship_type"], ~bits.present(p, 232, 8) | (f["ship_type"] == 0), pa.int16())
        out.update(_dimensions(f, bits.present(p, 240, 30)))
        has_draught = bits.present(p, 294, 8) & (f["draught"] > 0)
        out["draught_m"] = _masked((f["draught"] / 10.0).astype(np.float32), ~has_draught, pa.float32())
        out["destination"] = bits.text(p, 302, 120)
        for k, start, width in (("eta_month", 274, 4), ("eta_day", 278, 5),
                                ("eta_hour", 283, 5), ("eta_minute", 288, 6)):
            na = ~bits.present(p, start, width) | (f[k] == ETA_NOT_AVAILABLE[k])
            out[k] = _masked(f[k], na, pa.int8())
        out["epfd"] = _masked(f["epfd"], ~bits.present(p, 270, 4), pa.int8())
        out["ais_version"] = bits.arrow(f["ais_version"], pa.int8())
        na_int("vendor_id", pa.string())
        na_int("mothership_mmsi", pa.int64())
    elif msg_type == 24:
        part_no = bits.uint(p, 38, 2)
        is_a, is_b = part_no == 0, part_no == 1
        f = read_fields(p, STATIC_B)
        mmsi = bits.uint(p, 8, 30)
        auxiliary = (mmsi // 10_000_000) == 98
        dims_ok = is_b & ~auxiliary & bits.present(p, 132, 30)
        out["part"] = bits.string_array(["A", "B", "?"]).take(bits.arrow(np.where(is_a, 0, np.where(is_b, 1, 2)),
                                                                          pa.int8()))
        out["imo"] = pa.nulls(n, type=pa.int64())
        out["callsign"] = _masked_text(bits.text(p, 90, 42), ~is_b)
        out["name"] = _masked_text(bits.text(p, 40, 120), ~is_a)
        out["ship_type"] = _masked(f["ship_type"], ~(is_b & bits.present(p, 40, 8)) | (f["ship_type"] == 0), pa.int16())
        out.update(_dimensions(f, dims_ok))
        out["draught_m"] = pa.nulls(n, type=pa.float32())
        out["destination"] = pa.nulls(n, type=pa.string())
        for k in ("eta_month", "eta_day", "eta_hour", "eta_minute", "epfd", "ais_version"):
            na_int(k, pa.int8())
        out["vendor_id"] = _masked_text(bits.text(p, 48, 18), ~is_b)
        has_mothership = is_b & auxiliary & bits.present(p, 132, 30)
        out["mothership_mmsi"] = _masked(bits.uint(p, 132, 30), ~has_mothership, pa.int64())
    elif msg_type == 19:
        f = read_fields(p, CLASS_B_EXTENDED_STATIC)
        out["part"] = pa.nulls(n, type=pa.string())
        out["imo"] = pa.nulls(n, type=pa.int64())
        out["callsign"] = pa.nulls(n, type=pa.string())
        out["name"] = bits.text(p, 143, 120)
        out["ship_type"] = _masked(f["ship_type"], f["ship_type"] == 0, pa.int16())
        out.update(_dimensions(f, ~np.zeros(n, dtype=bool)))
        out["draught_m"] = pa.nulls(n, type=pa.float32())
        out["destination"] = pa.nulls(n, type=pa.string())
        for k in ("eta_month", "eta_day", "eta_hour", "eta_minute", "ais_version"):
            na_int(k, pa.int8())
        out["epfd"] = bits.arrow(f["epfd"], pa.int8())
        na_int("vendor_id", pa.string())
        na_int("mothership_mmsi", pa.int64())
    else:
        raise ValueError(f"type {msg_type} carries no static data")
    na_int("flag", pa.string())  # AIS carries no flag: the MID implies one (tracks.mid)
    out["msg_type"] = bits.arrow(np.full(n, msg_type), pa.int8())
    return out


def _masked_text(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    """``arr`` (no nulls, no offset) with nulls where ``mask`` is set."""
    if not mask.any():
        return arr
    validity = np.packbits(~mask, bitorder="little")
    return pa.Array.from_buffers(arr.type, len(arr), [pa.py_buffer(validity), *arr.buffers()[1:]],
                                 null_count=int(mask.sum()))


def station_columns(p: bits.Payloads, msg_type: np.ndarray) -> dict[str, pa.Array]:
    f = read_fields(p, BASE_STATION)
    # ITU-R M.1371-5 message 4: year 1-9999 (0 = not available), month 1-12, day 1-31, hour
    # 0-23, minute and second 0-59; other values (14 bits of year reach 16383) are no time.
    valid_time = (
        (f["year"] >= 1) & (f["year"] <= 9999) & (f["month"] >= 1) & (f["month"] <= 12)
        & (f["day"] >= 1) & (f["day"] <= 31) & (f["hour"] <= 23) & (f["minute"] <= 59)
        & (f["second"] <= 59)
    )
    when = _datetimes(f, valid_time)
    lon, lat = _lonlat(f, 600_000.0)
    na = (np.abs(f["lon"]) > 180 * 600_000) | (np.abs(f["lat"]) > 90 * 600_000)  # 181 / 91 and worse
    return {
        "msg_type": bits.arrow(msg_type, pa.int8()),
        "station_time": when,
        "lon": _masked(lon, na, pa.float64()),
        "lat": _masked(lat, na, pa.float64()),
        "accuracy": bits.arrow(f["accuracy"], pa.bool_()),
        "epfd": bits.arrow(f["epfd"], pa.int8()),
    }


def _datetimes(f: dict[str, np.ndarray], valid: np.ndarray) -> pa.Array:
    months = np.where(valid, (f["year"] - 1970) * 12 + f["month"] - 1, 0)
    month_start = months.astype("datetime64[M]")
    days = month_start.astype("datetime64[D]") + np.where(valid, f["day"] - 1, 0).astype("timedelta64[D]")
    # A day that overflows its month (31 February) is not a valid time either.
    valid = valid & (days.astype("datetime64[M]") == month_start)
    seconds = f["hour"] * 3600 + f["minute"] * 60 + f["second"]
    us = days.astype("datetime64[us]").astype(np.int64) + np.where(valid, seconds, 0) * 1_000_000
    return bits.arrow(us, pa.int64(), mask=~valid).cast(schema.TS)


def aid_columns(p: bits.Payloads, msg_type: np.ndarray) -> dict[str, pa.Array]:
    f = read_fields(p, AID_TO_NAVIGATION)
    lon, lat = _lonlat(f, 600_000.0)
    na = (np.abs(f["lon"]) > 180 * 600_000) | (np.abs(f["lat"]) > 90 * 600_000)  # 181 / 91 and worse
    dims = _dimensions(f, ~np.zeros(len(p), dtype=bool))
    name = _aid_name(p)
    return {
        "msg_type": bits.arrow(msg_type, pa.int8()),
        "aid_type": bits.arrow(f["aid_type"], pa.int8()),
        "name": name,
        "lon": _masked(lon, na, pa.float64()),
        "lat": _masked(lat, na, pa.float64()),
        "accuracy": bits.arrow(f["accuracy"], pa.bool_()),
        **{k: dims[k] for k in ("to_bow_m", "to_stern_m", "to_port_m", "to_starboard_m")},
        "off_position": bits.arrow(f["off_position"], pa.bool_()),
        "virtual_aid": bits.arrow(f["virtual_aid"], pa.bool_()),
    }


def _aid_name(p: bits.Payloads) -> pa.StringArray:
    """Type 21 name: the 20-character name field (bits 43-162) and, when it is full (no '@'),
    the name extension from bit 272 (ITU-R M.1371-5 message 21: up to 14 more characters,
    sent only as far as needed, no '@'; an '@' or the payload's end ends it). Trimmed like
    ``bits.text``: trailing '@', then surrounding spaces.
    """
    name = bits.chars(p, 43, 20)
    ext = bits.chars(p, 272, 14)
    ends = 272 + 6 * np.arange(1, 15)
    gone = (ext == 0) | (ends[None, :] > p.n_bits[:, None])
    gone = np.logical_or.accumulate(gone, axis=1) | (name == 0).any(axis=1)[:, None]
    six = np.concatenate((name, np.where(gone, 0, ext)), axis=1)
    return bits.trimmed(bits.SIXBIT_ASCII[six])


Decoder = Callable[[bits.Payloads, np.ndarray], dict[str, pa.Array]]
