"""Import analyst observations (sightings and object counts) from CSV or GeoJSON.

CSV: one observation a row, with a ``kind`` column (``sighting`` or ``count``; rows with an
``object_class`` are counts when ``kind`` is absent). GeoJSON: Point features with the same
properties. Bad rows stop the import with the file, line (or feature) and field named; rows
already in the store (same observation) are counted, not added again.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from darkfleet.cases.store import CaseStore, StoreError

SIGHTING_FIELDS = {"vessel_name": str, "imo": int, "mmsi": int, "vessel_type": str, "length_m": float,
                   "colours": str, "lon": float, "lat": float, "image_id": str, "provider": str,
                   "image_sha256": str, "confidence": str, "note": str}
COUNT_FIELDS = {"site": str, "size_class": str, "colour": str, "image_id": str, "provider": str,
                "image_sha256": str, "confidence": str, "note": str}


@dataclass
class ImportReport:
    path: str
    read: int = 0
    added: int = 0
    already: int = 0


def parse_time(text: str) -> datetime:
    when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if when.tzinfo is None:
        raise ValueError("no time zone (write it in UTC, e.g. 2023-08-15T06:00:00Z)")
    return when.astimezone(UTC)


def import_observations(store: CaseStore, path: Path, analyst: str, case: str | None = None) -> ImportReport:
    rows = list(_rows(path))
    report = ImportReport(str(path))
    for where, row in rows:
        report.read += 1
        try:
            new = _add(store, row, analyst, case, default_source=f"{path.name} {where}")
        except (StoreError, ValueError, KeyError) as exc:
            raise StoreError(f"{path}: {where}: {exc}") from exc
        report.added += new
        report.already += not new
    return report


def _rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix.lower() in (".geojson", ".json"):
        doc = json.loads(text)
        out = []
        for i, feature in enumerate(doc.get("features", []), start=1):
            props = dict(feature.get("properties") or {})
            geom = feature.get("geometry")
            if geom and geom.get("type") == "Point":
                props.setdefault("lon", geom["coordinates"][0])
                props.setdefault("lat", geom["coordinates"][1])
            out.append((f"feature {i}", props))
        return out
    reader = csv.DictReader(text.splitlines())
    return [(f"line {i}", row) for i, row in enumerate(reader, start=2)]


def _value(row: dict[str, Any], field: str, kind: type) -> Any:
    raw = row.get(field)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    try:
        return kind(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        raise ValueError(f"field {field!r}: {raw!r} is not a {kind.__name__}") from None


def _add(store: CaseStore, row: dict[str, Any], analyst: str, case: str | None, default_source: str) -> bool:
    kind = (row.get("kind") or ("count" if row.get("object_class") else "sighting")).strip()
    if not row.get("observed_at"):
        raise ValueError("field 'observed_at' is missing")
    try:
        when = parse_time(str(row["observed_at"]))
    except ValueError as exc:
        raise ValueError(f"field 'observed_at': {exc}") from None
    source = str(row.get("source") or default_source)
    place = row.get("place") or None
    case = row.get("case") or case
    if kind == "sighting":
        fields = {k: _value(row, k, t) for k, t in SIGHTING_FIELDS.items()}
        fields = {k: v for k, v in fields.items() if v is not None}
        _, new = store.add_sighting(analyst, source, when, case=case, place=place, **fields)
    elif kind == "count":
        count = _value(row, "count", int)
        if count is None or not row.get("object_class"):
            raise ValueError("a count needs 'object_class' and 'count'")
        fields = {k: _value(row, k, t) for k, t in COUNT_FIELDS.items()}
        fields = {k: v for k, v in fields.items() if v is not None}
        _, new = store.add_count(analyst, source, when, str(row["object_class"]).strip(), count, case=case,
                                 place=place, **fields)
    else:
        raise ValueError(f"field 'kind': {kind!r} is neither 'sighting' nor 'count'")
    return new
