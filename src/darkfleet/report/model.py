"""The report's data: typed records read from findings.json, the lake and the case store.

Everything the renderers draw is one of these frozen records, gathered once by
:mod:`darkfleet.report.gather`; the renderers are pure functions of them. Tuples, never lists,
and every collection in a stable order, so the same inputs give byte-identical output.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

LonLat = tuple[float, float]


class FindingsError(ValueError):
    """A findings file that cannot be read, said for people."""


def parse_time(value: Any, what: str) -> datetime | None:
    """An ISO 8601 time as aware UTC; naive times are refused (darkfleet writes UTC only)."""
    if value in (None, ""):
        return None
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise FindingsError(f"{what}: {value!r} is not an ISO 8601 time") from exc
    if when.tzinfo is None:
        raise FindingsError(f"{what}: time {value!r} has no time zone (expected UTC, e.g. 2023-08-15T00:00:00Z)")
    return when.astimezone(UTC)


def iso(when: datetime | None) -> str:
    return "" if when is None else when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class VesselRef:
    name: str | None
    imo: str | None  # seven digits
    mmsi: int | None

    @property
    def key(self) -> str:
        if self.imo:
            return f"imo-{self.imo}"
        if self.mmsi:
            return f"mmsi-{self.mmsi}"
        return "name-" + "".join(c if c.isalnum() else "-" for c in (self.name or "unknown").lower())

    @property
    def label(self) -> str:
        bits = [self.name or "unnamed vessel"]
        if self.imo:
            bits.append(f"IMO {self.imo}")
        if self.mmsi:
            bits.append(f"MMSI {self.mmsi}")
        return " · ".join(bits)


@dataclass(frozen=True, slots=True)
class Evidence:
    kind: str
    id: str
    source: str
    sha256: str
    time: datetime | None
    place: str | None
    summary: str


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    claim: str
    kind: str
    vessel: VesselRef | None
    places: tuple[str, ...]
    start: datetime | None
    end: datetime | None
    count: int | None
    confidence: str
    evidence: tuple[Evidence, ...]
    params: str  # canonical JSON
    version: str
    raw: dict[str, Any] = field(compare=False, hash=False, repr=False)


def _imo(value: Any) -> str | None:
    digits = "".join(c for c in str(value or "") if c.isdigit())
    return digits if len(digits) == 7 else None


def _mmsi(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def finding_from_json(doc: dict[str, Any], where: str) -> Finding:
    for key in ("id", "claim", "kind"):
        if not doc.get(key):
            raise FindingsError(f"{where}: a finding needs {key!r}")
    v = doc.get("vessel")
    vessel = VesselRef(v.get("name") or None, _imo(v.get("imo")), _mmsi(v.get("mmsi"))) if v else None
    evidence = []
    for i, e in enumerate(doc.get("evidence") or []):
        evidence.append(Evidence(
            kind=str(e.get("kind") or ""), id=str(e.get("id") or ""), source=str(e.get("source") or ""),
            sha256=str(e.get("sha256") or ""), time=parse_time(e.get("time"), f"{where} evidence {i + 1} time"),
            place=e.get("place") or None, summary=str(e.get("summary") or ""),
        ))
    count = doc.get("count")
    return Finding(
        id=str(doc["id"]), claim=str(doc["claim"]), kind=str(doc["kind"]), vessel=vessel,
        places=tuple(str(p) for p in doc.get("places") or ()),
        start=parse_time(doc.get("start"), f"{where} start"), end=parse_time(doc.get("end"), f"{where} end"),
        count=int(count) if count is not None else None, confidence=str(doc.get("confidence") or ""),
        evidence=tuple(evidence), params=json.dumps(doc.get("params") or {}, sort_keys=True),
        version=str(doc.get("version") or ""), raw=doc,
    )


def load_findings(path: Path) -> tuple[Finding, ...]:
    """Read a findings file (a JSON list of findings); errors name the file and the finding."""
    try:
        docs = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FindingsError(f"{path}: no such findings file") from exc
    except json.JSONDecodeError as exc:
        raise FindingsError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(docs, list):
        raise FindingsError(f"{path}: expected a JSON list of findings, got {type(docs).__name__}")
    return tuple(finding_from_json(d, f"{path}: finding {i + 1}") for i, d in enumerate(docs))


# -- what the map, timelines and charts draw ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Vessel:
    key: str
    label: str
    name: str | None
    imo: str | None
    mmsis: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class PlaceMark:
    name: str
    kind: str
    lon: float
    lat: float
    radius_m: float | None
    rings: tuple[tuple[LonLat, ...], ...]  # polygon rings, empty for a point with a radius
    source: str


@dataclass(frozen=True, slots=True)
class TrackSegment:
    vessel_key: str
    mmsi: int
    start: datetime
    end: datetime
    coords: tuple[LonLat, ...]
    positions: int  # lake rows this segment was drawn from (before thinning)


@dataclass(frozen=True, slots=True)
class DarkLeg:
    """A span without AIS: a gap event (``kind='gap'``) or a dark leg of a finding."""

    id: str
    kind: str
    vessel_key: str
    start: datetime
    end: datetime
    start_lonlat: LonLat | None
    end_lonlat: LonLat | None
    label: str


@dataclass(frozen=True, slots=True)
class Call:
    vessel_key: str
    place: str
    start: datetime
    end: datetime
    source: str  # "AIS port visit <event id>" or the evidence's kind and id


@dataclass(frozen=True, slots=True)
class SightingMark:
    uid: str
    vessel_key: str | None
    label: str
    time: datetime
    lonlat: LonLat | None
    place: str | None
    image_id: str
    provider: str
    sha256: str
    confidence: str


@dataclass(frozen=True, slots=True)
class DetectionMark:
    id: str
    vessel_key: str | None  # set when matched to a vessel of the report
    status: str  # matched | dark | unmatched
    time: datetime
    lonlat: LonLat
    length_m: float | None
    scene_id: str
    sha256: str


@dataclass(frozen=True, slots=True)
class CountPoint:
    time: datetime
    count: int
    uid: str
    image_id: str


@dataclass(frozen=True, slots=True)
class CountSeries:
    place: str
    label: str  # "container 40ft blue on quay"
    points: tuple[CountPoint, ...]


@dataclass(frozen=True, slots=True)
class ExposureStep:
    caption: str
    schema: str
    listed: bool
    relation: str  # relation followed to reach this node ("" for the start)
    reverse: bool
    evidence: str
    published_after: bool


@dataclass(frozen=True, slots=True)
class ScreeningHit:
    caption: str
    score: float
    alert: bool
    list_version: str
    status: str
    features: str


@dataclass(frozen=True, slots=True)
class VesselSanctions:
    vessel_key: str
    vessel_label: str
    on: date
    hits: tuple[ScreeningHit, ...]
    paths: tuple[tuple[ExposureStep, ...], ...]


@dataclass(frozen=True, slots=True)
class SanctionsPanel:
    note: str  # why the panel is empty, or which lists it used
    vessels: tuple[VesselSanctions, ...]
    ftm_entities: tuple[dict[str, Any], ...]  # FtM JSON of the vessels, companies and links


@dataclass(frozen=True, slots=True)
class SourceFile:
    name: str
    sha256: str
    what: str


@dataclass(frozen=True, slots=True)
class ReportData:
    case_name: str
    case_title: str
    case_description: str
    findings: tuple[Finding, ...]
    window: tuple[datetime, datetime]
    vessels: tuple[Vessel, ...]
    places: tuple[PlaceMark, ...]
    tracks: tuple[TrackSegment, ...]
    dark_legs: tuple[DarkLeg, ...]
    calls: tuple[Call, ...]
    sightings: tuple[SightingMark, ...]
    detections: tuple[DetectionMark, ...]
    counts: tuple[CountSeries, ...]
    sanctions: SanctionsPanel
    sources: tuple[SourceFile, ...]
