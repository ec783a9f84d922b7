"""Exports written beside the report: findings JSON, GeoJSON, KML, CSV and FtM entities.

Each is a pure function from the report data to text; :func:`write_exports` writes them. Key
order, feature order and number formatting are fixed, so the same inputs give the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from darkfleet.report.model import LonLat, ReportData, iso

KML_NS = "http://www.opengis.net/kml/2.2"


def findings_json(data: ReportData) -> str:
    return json.dumps([f.raw for f in data.findings], indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _feature(geometry: dict[str, Any] | None, **props: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _pt(p: LonLat) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [p[0], p[1]]}


def features(data: ReportData) -> list[dict[str, Any]]:
    """Places, AIS tracks, dark legs and gaps, sightings and SAR detections as GeoJSON features."""
    out = []
    for p in data.places:
        rings = [[list(c) for c in ring] for ring in p.rings]
        geom: dict[str, Any] = {"type": "Polygon", "coordinates": rings} if rings else _pt((p.lon, p.lat))
        out.append(_feature(geom, layer="place", name=p.name, kind=p.kind, radius_m=p.radius_m, source=p.source))
    for t in data.tracks:
        geom = ({"type": "LineString", "coordinates": [list(c) for c in t.coords]} if len(t.coords) > 1
                else _pt(t.coords[0]))
        out.append(_feature(geom, layer="ais_track", vessel=t.vessel_key, mmsi=t.mmsi, start=iso(t.start),
                            end=iso(t.end), positions=t.positions))
    for g in data.dark_legs:
        ends = [list(p) for p in (g.start_lonlat, g.end_lonlat) if p is not None]
        line: dict[str, Any] | None = {"type": "LineString", "coordinates": ends} if len(ends) == 2 else None
        out.append(_feature(line, layer=g.kind, id=g.id, vessel=g.vessel_key, start=iso(g.start), end=iso(g.end),
                            label=g.label))
    for s in data.sightings:
        out.append(_feature(_pt(s.lonlat) if s.lonlat else None, layer="sighting", uid=s.uid, vessel=s.vessel_key,
                            time=iso(s.time), place=s.place, image_id=s.image_id, provider=s.provider,
                            image_sha256=s.sha256, confidence=s.confidence, label=s.label))
    for d in data.detections:
        out.append(_feature(_pt(d.lonlat), layer="sar_detection", id=d.id, vessel=d.vessel_key, status=d.status,
                            time=iso(d.time), length_m=d.length_m, scene_id=d.scene_id, sha256=d.sha256))
    return out


def geojson(data: ReportData) -> str:
    doc = {"type": "FeatureCollection", "name": data.case_name, "features": features(data)}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


def _coords(points: list[list[float]]) -> str:
    return " ".join(f"{x:.5f},{y:.5f}" for x, y in points)


def kml(data: ReportData) -> str:
    """KML 2.2: a folder per layer of :func:`features`, with the properties as ExtendedData."""
    ET.register_namespace("", KML_NS)
    root = ET.Element(f"{{{KML_NS}}}kml")
    doc = ET.SubElement(root, f"{{{KML_NS}}}Document")
    ET.SubElement(doc, f"{{{KML_NS}}}name").text = f"darkfleet case {data.case_name}"
    folders: dict[str, ET.Element] = {}
    for f in features(data):
        geom, props = f["geometry"], f["properties"]
        if geom is None:
            continue
        layer = props["layer"]
        if layer not in folders:
            folders[layer] = ET.SubElement(doc, f"{{{KML_NS}}}Folder")
            ET.SubElement(folders[layer], f"{{{KML_NS}}}name").text = layer
        mark = ET.SubElement(folders[layer], f"{{{KML_NS}}}Placemark")
        name = props.get("name") or props.get("label") or props.get("id") or props.get("vessel") or layer
        ET.SubElement(mark, f"{{{KML_NS}}}name").text = str(name)
        if props.get("start"):
            span = ET.SubElement(mark, f"{{{KML_NS}}}TimeSpan")
            ET.SubElement(span, f"{{{KML_NS}}}begin").text = props["start"]
            ET.SubElement(span, f"{{{KML_NS}}}end").text = props["end"]
        elif props.get("time"):
            stamp = ET.SubElement(mark, f"{{{KML_NS}}}TimeStamp")
            ET.SubElement(stamp, f"{{{KML_NS}}}when").text = props["time"]
        ext = ET.SubElement(mark, f"{{{KML_NS}}}ExtendedData")
        for k, v in sorted(props.items()):
            if v is not None:
                item = ET.SubElement(ext, f"{{{KML_NS}}}Data", name=k)
                ET.SubElement(item, f"{{{KML_NS}}}value").text = str(v)
        if geom["type"] == "Point":
            ET.SubElement(ET.SubElement(mark, f"{{{KML_NS}}}Point"), f"{{{KML_NS}}}coordinates").text = \
                _coords([geom["coordinates"]])
        elif geom["type"] == "LineString":
            line = ET.SubElement(mark, f"{{{KML_NS}}}LineString")
            ET.SubElement(line, f"{{{KML_NS}}}tessellate").text = "1"
            ET.SubElement(line, f"{{{KML_NS}}}coordinates").text = _coords(geom["coordinates"])
        else:
            poly = ET.SubElement(mark, f"{{{KML_NS}}}Polygon")
            for i, ring in enumerate(geom["coordinates"]):
                bound = ET.SubElement(poly, f"{{{KML_NS}}}{'outerBoundaryIs' if i == 0 else 'innerBoundaryIs'}")
                ET.SubElement(ET.SubElement(bound, f"{{{KML_NS}}}LinearRing"), f"{{{KML_NS}}}coordinates").text = \
                    _coords(ring)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _csv(header: list[str], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(["" if v is None else v for v in r] for r in rows)
    return buf.getvalue()


def findings_csv(data: ReportData) -> str:
    rows = [[f.id, f.kind, f.claim, f.vessel.name if f.vessel else None, f.vessel.imo if f.vessel else None,
             f.vessel.mmsi if f.vessel else None, "|".join(f.places), iso(f.start), iso(f.end), f.count,
             f.confidence, len(f.evidence), f.version] for f in data.findings]
    return _csv(["id", "kind", "claim", "vessel", "imo", "mmsi", "places", "start", "end", "count", "confidence",
                 "evidence", "version"], rows)


def evidence_csv(data: ReportData) -> str:
    rows = [[f.id, i + 1, e.kind, e.id, e.source, e.sha256, iso(e.time), e.place, e.summary]
            for f in data.findings for i, e in enumerate(f.evidence)]
    return _csv(["finding_id", "n", "kind", "id", "source", "sha256", "time", "place", "summary"], rows)


def ftm_lines(data: ReportData) -> str:
    """FollowTheMoney entities, one JSON object a line (the format `ftm` tools read)."""
    return "".join(json.dumps(e, sort_keys=True, ensure_ascii=False) + "\n" for e in data.sanctions.ftm_entities)


EXPORTS = {
    "findings.json": findings_json,
    "case.geojson": geojson,
    "case.kml": kml,
    "findings.csv": findings_csv,
    "evidence.csv": evidence_csv,
    "entities.ftm.json": ftm_lines,
}


def write_exports(data: ReportData, out_dir: Path, skip: set[str] | None = None) -> list[Path]:
    """Write every export; ``skip`` names files not to write (the findings file the report was
    given, when it already sits in ``out_dir``: the analysis wrote it, the report leaves it be)."""
    out = []
    for name, render in EXPORTS.items():
        if name in (skip or set()):
            continue
        path = out_dir / name
        path.write_text(render(data), encoding="utf-8")
        out.append(path)
    return out
