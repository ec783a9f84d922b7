"""Arrow schemas of the lake's tables.

Column names carry their unit where they have one (``sog_kn``, ``cog_deg``, ``length_m``).
Times are ``timestamp[us, UTC]``; positions are WGS84 degrees. ``source`` is the first 16 hex
digits of the source file's sha256 and ``line`` its 1-based line number, so every row can be
traced back to the exact input line it came from (for a multipart message, its first part).
"""

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")

_PROVENANCE = [
    pa.field("source", pa.string(), nullable=False),
    pa.field("line", pa.int64(), nullable=False),
    pa.field("station", pa.string()),
]

POSITIONS = pa.schema(
    [
        pa.field("mmsi", pa.int64(), nullable=False),
        pa.field("ts", TS, nullable=False),
        pa.field("msg_type", pa.int8(), nullable=False),
        pa.field("lon", pa.float64(), nullable=False),
        pa.field("lat", pa.float64(), nullable=False),
        pa.field("sog_kn", pa.float32()),
        pa.field("cog_deg", pa.float32()),
        pa.field("heading_deg", pa.int16()),
        pa.field("nav_status", pa.int8()),
        pa.field("rot_raw", pa.int16()),
        pa.field("accuracy", pa.bool_()),
        pa.field("utc_second", pa.int8()),
        *_PROVENANCE,
    ]
)

STATICS = pa.schema(
    [
        pa.field("mmsi", pa.int64(), nullable=False),
        pa.field("ts", TS, nullable=False),
        pa.field("msg_type", pa.int8(), nullable=False),
        # 'A' or 'B' for type 24 parts, null otherwise.
        pa.field("part", pa.string()),
        pa.field("imo", pa.int64()),
        pa.field("callsign", pa.string()),
        pa.field("name", pa.string()),
        pa.field("ship_type", pa.int16()),
        pa.field("to_bow_m", pa.int16()),
        pa.field("to_stern_m", pa.int16()),
        pa.field("to_port_m", pa.int16()),
        pa.field("to_starboard_m", pa.int16()),
        pa.field("length_m", pa.int16()),
        pa.field("width_m", pa.int16()),
        pa.field("draught_m", pa.float32()),
        pa.field("destination", pa.string()),
        pa.field("eta_month", pa.int8()),
        pa.field("eta_day", pa.int8()),
        pa.field("eta_hour", pa.int8()),
        pa.field("eta_minute", pa.int8()),
        pa.field("epfd", pa.int8()),
        pa.field("ais_version", pa.int8()),
        pa.field("vendor_id", pa.string()),
        pa.field("mothership_mmsi", pa.int64()),
        # The flag state as the source declares it (a CSV export's flag column; AIS carries none).
        pa.field("flag", pa.string()),
        *_PROVENANCE,
    ]
)

# Type 4 (and 11) base station reports: a fixed station's position and its UTC clock.
STATIONS = pa.schema(
    [
        pa.field("mmsi", pa.int64(), nullable=False),
        pa.field("ts", TS, nullable=False),
        pa.field("msg_type", pa.int8(), nullable=False),
        pa.field("station_time", TS),
        pa.field("lon", pa.float64()),
        pa.field("lat", pa.float64()),
        pa.field("accuracy", pa.bool_()),
        pa.field("epfd", pa.int8()),
        *_PROVENANCE,
    ]
)

# Type 21 aids to navigation.
AIDS = pa.schema(
    [
        pa.field("mmsi", pa.int64(), nullable=False),
        pa.field("ts", TS, nullable=False),
        pa.field("msg_type", pa.int8(), nullable=False),
        pa.field("aid_type", pa.int8()),
        pa.field("name", pa.string()),
        pa.field("lon", pa.float64()),
        pa.field("lat", pa.float64()),
        pa.field("accuracy", pa.bool_()),
        pa.field("to_bow_m", pa.int16()),
        pa.field("to_stern_m", pa.int16()),
        pa.field("to_port_m", pa.int16()),
        pa.field("to_starboard_m", pa.int16()),
        pa.field("off_position", pa.bool_()),
        pa.field("virtual_aid", pa.bool_()),
        *_PROVENANCE,
    ]
)

# Every message type darkfleet does not decode into columns, kept whole so nothing is lost.
OTHER = pa.schema(
    [
        pa.field("mmsi", pa.int64(), nullable=False),
        pa.field("ts", TS, nullable=False),
        pa.field("msg_type", pa.int8(), nullable=False),
        pa.field("payload", pa.string(), nullable=False),
        pa.field("fill_bits", pa.int8(), nullable=False),
        *_PROVENANCE,
    ]
)

REJECTS = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("path", pa.string(), nullable=False),
        pa.field("line", pa.int64(), nullable=False),
        pa.field("text", pa.string(), nullable=False),
        pa.field("reason", pa.string(), nullable=False),
    ]
)

SOURCES = pa.schema(
    [
        pa.field("source", pa.string(), nullable=False),
        pa.field("path", pa.string(), nullable=False),
        pa.field("sha256", pa.string(), nullable=False),
        pa.field("size_bytes", pa.int64(), nullable=False),
        pa.field("format", pa.string(), nullable=False),
        pa.field("ingested_at", TS, nullable=False),
        pa.field("read", pa.int64(), nullable=False),
        pa.field("accepted_json", pa.string(), nullable=False),
        pa.field("rejected_json", pa.string(), nullable=False),
        pa.field("darkfleet_version", pa.string(), nullable=False),
    ]
)

# Tables written by ingest, partitioned by UTC day of `ts`.
DAY_PARTITIONED = {
    "positions": POSITIONS,
    "statics": STATICS,
    "stations": STATIONS,
    "aids": AIDS,
    "other": OTHER,
}
