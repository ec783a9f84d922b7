"""The case map as inline SVG: land, places, AIS tracks, dark legs (dashed), sightings, detections.

Pure: :func:`map_bbox` chooses the box from the data, the caller fetches coastline rings for it
(:mod:`darkfleet.report.coast`), and :func:`render_map` draws. Presentation attributes are written
on the elements (not only classes) so Chromium and WeasyPrint draw the same map.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from darkfleet.report import svg
from darkfleet.report.coast import BBox, Ring
from darkfleet.report.model import LonLat, PlaceMark, ReportData

WIDTH_PX = 1000
MAX_HEIGHT_PX = 760
MIN_PAD_DEG = 0.25
KM_PER_DEG_LAT = 111.2


def _vessel_points(data: ReportData) -> list[LonLat]:
    pts: list[LonLat] = [c for t in data.tracks for c in t.coords]
    for leg in data.dark_legs:
        pts.extend(p for p in (leg.start_lonlat, leg.end_lonlat) if p is not None)
    pts.extend(s.lonlat for s in data.sightings if s.lonlat is not None)
    pts.extend(d.lonlat for d in data.detections)
    return pts


def map_bbox(data: ReportData) -> BBox:
    """Vessel geometry and the places the vessel findings name, padded; else every place.

    Places far from the vessels (a depot 7,000 km inland) are left off and listed under the map.
    """
    pts = _vessel_points(data)
    named = {p for f in data.findings if f.vessel is not None for p in f.places}
    pts.extend((p.lon, p.lat) for p in data.places if p.name in named)
    if not pts:
        pts = [(p.lon, p.lat) for p in data.places] or [(0.0, 0.0)]
    lons, lats = [p[0] for p in pts], [p[1] for p in pts]
    pad_lon = max(MIN_PAD_DEG, 0.12 * (max(lons) - min(lons)))
    pad_lat = max(MIN_PAD_DEG, 0.12 * (max(lats) - min(lats)))
    return (round(min(lons) - pad_lon, 2), round(min(lats) - pad_lat, 2),
            round(max(lons) + pad_lon, 2), round(max(lats) + pad_lat, 2))


@dataclass(frozen=True, slots=True)
class Projection:
    """Equirectangular with longitudes shrunk by cos(mid latitude): true shape at this scale."""

    bbox: BBox
    width: float
    height: float

    @classmethod
    def fit(cls, bbox: BBox) -> Projection:
        kx = math.cos(math.radians((bbox[1] + bbox[3]) / 2))
        aspect = (bbox[3] - bbox[1]) / max((bbox[2] - bbox[0]) * kx, 1e-9)
        width = float(WIDTH_PX)
        height = width * aspect
        if height > MAX_HEIGHT_PX:
            width, height = MAX_HEIGHT_PX / aspect, float(MAX_HEIGHT_PX)
        return cls(bbox, round(width), round(height))

    def __call__(self, p: LonLat) -> tuple[float, float]:
        x = (p[0] - self.bbox[0]) / (self.bbox[2] - self.bbox[0]) * self.width
        y = (self.bbox[3] - p[1]) / (self.bbox[3] - self.bbox[1]) * self.height
        return x, y

    def inside(self, p: LonLat) -> bool:
        return self.bbox[0] <= p[0] <= self.bbox[2] and self.bbox[1] <= p[1] <= self.bbox[3]

    @property
    def km_per_px(self) -> float:
        return (self.bbox[3] - self.bbox[1]) * KM_PER_DEG_LAT / self.height


def _path(points: Iterable[tuple[float, float]], close: bool = False, min_step_px: float = 0.0) -> str:
    out: list[str] = []
    last: tuple[float, float] | None = None
    for x, y in points:
        if last is not None and min_step_px and abs(x - last[0]) + abs(y - last[1]) < min_step_px:
            continue
        out.append(f"{'L' if out else 'M'}{svg.num(x)} {svg.num(y)}")
        last = (x, y)
    return "".join(out) + ("Z" if close and out else "")


def _land(proj: Projection, rings: tuple[Ring, ...]) -> str:
    d = "".join(_path((proj(p) for p in ring), close=True, min_step_px=0.6) for ring in rings)
    return (f'<path id="map-land" class="land" d="{d}" fill="{svg.LAND}" fill-rule="evenodd" '
            f'stroke="{svg.COAST}" stroke-width="0.7"/>')


def _graticule(proj: Projection) -> str:
    lon0, lat0, lon1, lat1 = proj.bbox
    step = svg.nice_step(max(lon1 - lon0, lat1 - lat0), 5)
    parts = ['<g id="map-graticule" class="graticule" stroke="#ffffff" stroke-width="0.8" '
             f'font-size="11" fill="{svg.MUTED}">']
    v = math.ceil(lon0 / step) * step
    while v <= lon1:
        x, _ = proj((v, lat0))
        parts.append(f'<line x1="{svg.num(x)}" y1="0" x2="{svg.num(x)}" y2="{svg.num(proj.height)}"/>'
                     f'<text x="{svg.num(x + 3)}" y="{svg.num(proj.height - 4)}" stroke="none">{v:g}°E</text>')
        v += step
    v = math.ceil(lat0 / step) * step
    while v <= lat1:
        _, y = proj((lon0, v))
        parts.append(f'<line x1="0" y1="{svg.num(y)}" x2="{svg.num(proj.width)}" y2="{svg.num(y)}"/>'
                     f'<text x="4" y="{svg.num(y - 3)}" stroke="none">{v:g}°N</text>')
        v += step
    parts.append("</g>")
    return "".join(parts)


def _place(proj: Projection, p: PlaceMark) -> str:
    x, y = proj((p.lon, p.lat))
    if p.rings:
        d = "".join(_path((proj(c) for c in ring), close=True) for ring in p.rings)
        area = f'<path class="place-area" d="{d}" fill="#fdd835" fill-opacity="0.35" stroke="#8d6e00"/>'
    else:
        r = max(3.0, (p.radius_m or 0) / 1000 / proj.km_per_px)
        area = (f'<circle class="place-area" cx="{svg.num(x)}" cy="{svg.num(y)}" r="{svg.num(r)}" '
                f'fill="#fdd835" fill-opacity="0.35" stroke="#8d6e00"/>')
    return (f'<g class="place" data-name={svg.attr(p.name)} data-kind={svg.attr(p.kind)}>{area}'
            f'<rect class="place-dot" x="{svg.num(x - 3.5)}" y="{svg.num(y - 3.5)}" width="7" height="7" '
            f'fill="#000" stroke="#fff"/>'
            f'<text class="place-label" x="{svg.num(x + 8)}" y="{svg.num(y - 6)}" font-size="13" '
            f'font-weight="bold" fill="{svg.INK}" stroke="#fff" stroke-width="3" paint-order="stroke">'
            f'{svg.text(p.name)}</text></g>')


def _legend(proj: Projection, vessels: list[tuple[str, str]]) -> str:
    rows: list[str] = []
    y = 18
    for label, colour in vessels:
        rows.append(f'<line x1="10" y1="{y}" x2="36" y2="{y}" stroke="{colour}" stroke-width="2.5"/>'
                    f'<text x="42" y="{y + 4}">{svg.text(label)} (AIS)</text>')
        y += 18
    rows.append(f'<line x1="10" y1="{y}" x2="36" y2="{y}" stroke="{svg.DARK}" stroke-width="2" '
                f'stroke-dasharray="6 4"/><text x="42" y="{y + 4}">dark leg / AIS gap</text>')
    y += 18
    rows.append(f'<path d="M23 {y - 6}L29 {y}L23 {y + 6}L17 {y}Z" fill="{svg.SIGHTING}"/>'
                f'<text x="42" y="{y + 4}">sighting (optical imagery)</text>')
    y += 18
    rows.append(f'<rect x="19" y="{y - 4}" width="8" height="8" fill="none" stroke="{svg.DETECTION}" '
                f'stroke-width="1.5"/><text x="42" y="{y + 4}">SAR detection</text>')
    y += 18
    rows.append(f'<rect x="19" y="{y - 4}" width="8" height="8" fill="#000" stroke="#fff"/>'
                f'<text x="42" y="{y + 4}">watched place</text>')
    height = y + 12
    width = 250
    x0 = proj.width - width - 10
    return (f'<g id="map-legend" class="legend" transform="translate({svg.num(x0)} 10)" font-size="12" '
            f'fill="{svg.INK}"><rect width="{width}" height="{height}" fill="#ffffff" fill-opacity="0.9" '
            f'stroke="#999"/>{"".join(rows)}</g>')


def _scale_bar(proj: Projection) -> str:
    km = svg.nice_step(proj.width * proj.km_per_px / 5, 1)
    px = km / proj.km_per_px
    x, y = proj.width - px - 20, proj.height - 28
    return (f'<g id="map-scale" class="scale" font-size="11" fill="{svg.INK}">'
            f'<rect x="{svg.num(x)}" y="{svg.num(y)}" width="{svg.num(px)}" height="5" fill="{svg.INK}"/>'
            f'<text x="{svg.num(x)}" y="{svg.num(y - 4)}">{km:g} km</text></g>')


def render_map(data: ReportData, rings: tuple[Ring, ...], bbox: BBox) -> tuple[str, tuple[PlaceMark, ...]]:
    """The map's SVG and the places left off it (outside the box)."""
    proj = Projection.fit(bbox)
    colours = {v.key: svg.colour(i) for i, v in enumerate(data.vessels)}
    w, h = svg.num(proj.width), svg.num(proj.height)
    parts = [f'<svg id="map" class="map" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" '
             f'width="{w}" height="{h}" role="img" font-family="DejaVu Sans, Arial, sans-serif">',
             f"<title>Map of case {svg.text(data.case_name)}</title>",
             f'<rect id="map-sea" class="sea" width="{w}" height="{h}" fill="{svg.SEA}"/>',
             _land(proj, rings), _graticule(proj)]
    shown = [p for p in data.places if proj.inside((p.lon, p.lat))]
    off = tuple(p for p in data.places if not proj.inside((p.lon, p.lat)))
    parts.append('<g id="map-places">' + "".join(_place(proj, p) for p in shown) + "</g>")
    parts.append('<g id="map-tracks" fill="none" stroke-width="1.8" stroke-linejoin="round">')
    for t in data.tracks:
        d = _path((proj(c) for c in t.coords), min_step_px=1.0)
        parts.append(f'<path class="track" data-vessel="{t.vessel_key}" data-mmsi="{t.mmsi}" d="{d}" '
                     f'stroke="{colours.get(t.vessel_key, svg.MUTED)}"/>')
    parts.append("</g>")
    parts.append(f'<g id="map-dark-legs" fill="none" stroke="{svg.DARK}" stroke-width="2" stroke-dasharray="6 4">')
    for leg in data.dark_legs:
        if leg.start_lonlat is None or leg.end_lonlat is None:
            continue
        (x1, y1), (x2, y2) = proj(leg.start_lonlat), proj(leg.end_lonlat)
        parts.append(f'<line class="dark-leg {leg.kind}" data-vessel="{leg.vessel_key}" data-id={svg.attr(leg.id)} '
                     f'x1="{svg.num(x1)}" y1="{svg.num(y1)}" x2="{svg.num(x2)}" y2="{svg.num(y2)}">'
                     f"<title>{svg.text(leg.label)}</title></line>")
    parts.append("</g>")
    parts.append(f'<g id="map-detections" fill="none" stroke="{svg.DETECTION}" stroke-width="1.5">')
    for det in data.detections:
        x, y = proj(det.lonlat)
        parts.append(f'<rect class="detection {det.status}" data-id={svg.attr(det.id)} x="{svg.num(x - 4)}" '
                     f'y="{svg.num(y - 4)}" width="8" height="8"><title>SAR detection {svg.text(det.id)} '
                     f"({det.status})</title></rect>")
    parts.append("</g>")
    parts.append(f'<g id="map-sightings" fill="{svg.SIGHTING}" stroke="#fff" stroke-width="1">')
    for s in data.sightings:
        if s.lonlat is None:
            continue
        x, y = proj(s.lonlat)
        parts.append(f'<path class="sighting" data-uid="{s.uid}" d="M{svg.num(x)} {svg.num(y - 7)}'
                     f'L{svg.num(x + 6)} {svg.num(y)}L{svg.num(x)} {svg.num(y + 7)}L{svg.num(x - 6)} {svg.num(y)}Z">'
                     f"<title>{svg.text(s.label)}</title></path>")
    parts.append("</g>")
    parts.append(_legend(proj, [(v.name or v.label, colours[v.key]) for v in data.vessels]))
    parts.append(_scale_bar(proj))
    parts.append("</svg>")
    return "".join(parts), off
