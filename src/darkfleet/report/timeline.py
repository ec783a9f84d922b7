"""A timeline per vessel as inline SVG: AIS coverage, dark legs and gaps, calls, sightings, SAR.

All vessels share the case window so their timelines line up on the page.
"""

from __future__ import annotations

from datetime import datetime

from darkfleet.report import svg
from darkfleet.report.model import ReportData, Vessel

WIDTH_PX = 1000
LABEL_PX = 110
LANE_PX = 26
LANES = ("AIS", "Dark", "Calls", "Sightings", "SAR")
PLACE_COLOURS = ("#fdd835", "#80cbc4", "#ffab91", "#b39ddb", "#a5d6a7", "#90caf9")


def _bar(cls: str, x0: float, x1: float, y: float, h: float, fill: str, title: str, extra: str = "") -> str:
    return (f'<rect class="{cls}" x="{svg.num(x0)}" y="{svg.num(y)}" width="{svg.num(max(x1 - x0, 1.5))}" '
            f'height="{svg.num(h)}" fill="{fill}" {extra}><title>{svg.text(title)}</title></rect>')


def _when(start: datetime, end: datetime | None = None) -> str:
    fmt = "%Y-%m-%d %H:%M"
    return start.strftime(fmt) + (f" – {end.strftime(fmt)}" if end is not None else "") + " UTC"


def render_timeline(data: ReportData, vessel: Vessel, colour: str) -> str:
    t0, t1 = data.window
    scale = svg.TimeScale(t0, t1, LABEL_PX, WIDTH_PX - 10)
    lane_y = {name: 8 + i * LANE_PX for i, name in enumerate(LANES)}
    axis_y = 8 + len(LANES) * LANE_PX
    height = axis_y + 26
    places = sorted({c.place for c in data.calls})
    place_fill = {p: PLACE_COLOURS[i % len(PLACE_COLOURS)] for i, p in enumerate(places)}
    key = vessel.key
    parts = [f'<svg id="timeline-{key}" class="timeline" data-vessel="{key}" xmlns="http://www.w3.org/2000/svg" '
             f'viewBox="0 0 {WIDTH_PX} {height}" width="{WIDTH_PX}" height="{height}" role="img" '
             f'font-family="DejaVu Sans, Arial, sans-serif" font-size="11">',
             f"<title>Timeline of {svg.text(vessel.label)}</title>"]
    for name, y in lane_y.items():
        parts.append(f'<rect x="{LABEL_PX}" y="{y}" width="{WIDTH_PX - 10 - LABEL_PX}" height="{LANE_PX - 4}" '
                     f'fill="#f4f4f4"/><text x="4" y="{y + 15}" fill="{svg.INK}">{name}</text>')
    for tick, label in scale.ticks(10):
        x = scale(tick)
        parts.append(f'<line x1="{svg.num(x)}" y1="8" x2="{svg.num(x)}" y2="{axis_y + 4}" stroke="#cccccc"/>'
                     f'<text x="{svg.num(x + 2)}" y="{axis_y + 16}" fill="{svg.MUTED}">{label}</text>')
    y = lane_y["AIS"]
    for seg in (s for s in data.tracks if s.vessel_key == key):
        parts.append(_bar("ais-coverage", scale(seg.start), scale(seg.end), y + 4, LANE_PX - 12, colour,
                          f"AIS heard, MMSI {seg.mmsi}: {_when(seg.start, seg.end)} ({seg.positions} positions)"))
    y = lane_y["Dark"]
    for leg in (g for g in data.dark_legs if g.vessel_key == key):
        dy = 4 if leg.kind == "gap" else 12
        parts.append(
            f'<line class="dark-leg {leg.kind}" x1="{svg.num(scale(leg.start))}" y1="{y + dy + 3}" '
            f'x2="{svg.num(scale(leg.end))}" y2="{y + dy + 3}" stroke="{svg.DARK}" stroke-width="4" '
            f'stroke-dasharray="6 3"><title>{svg.text(leg.label)}: {_when(leg.start, leg.end)}</title></line>')
    y = lane_y["Calls"]
    for call in (c for c in data.calls if c.vessel_key == key):
        x0, x1 = scale(call.start), scale(call.end)
        parts.append(_bar("call", x0, x1, y + 2, LANE_PX - 8, place_fill[call.place],
                          f"{call.place}: {_when(call.start, call.end)} ({call.source})", 'stroke="#555"'))
        label = call.place if x1 - x0 > 5.5 * len(call.place) + 4 else call.place[:1]
        if x1 - x0 > 9:
            parts.append(f'<text x="{svg.num(x0 + 2)}" y="{y + 15}" fill="{svg.INK}" font-size="9">'
                         f"{svg.text(label)}</text>")
    y = lane_y["Sightings"]
    for s in (s for s in data.sightings if s.vessel_key == key):
        x = scale(s.time)
        cy = y + (LANE_PX - 4) / 2
        parts.append(f'<path class="sighting" d="M{svg.num(x)} {svg.num(cy - 7)}L{svg.num(x + 5)} {svg.num(cy)}'
                     f'L{svg.num(x)} {svg.num(cy + 7)}L{svg.num(x - 5)} {svg.num(cy)}Z" fill="{svg.SIGHTING}">'
                     f"<title>{svg.text(s.label)}: {_when(s.time)}</title></path>")
    y = lane_y["SAR"]
    for d in (d for d in data.detections if d.vessel_key == key):
        x = scale(d.time)
        parts.append(f'<rect class="detection {d.status}" x="{svg.num(x - 4)}" y="{y + 7}" width="8" height="8" '
                     f'fill="none" stroke="{svg.DETECTION}" stroke-width="1.5"><title>SAR detection {svg.text(d.id)}'
                     f" in scene {svg.text(d.scene_id)}: {_when(d.time)}</title></rect>")
    parts.append("</svg>")
    return "".join(parts)


def place_legend(data: ReportData) -> tuple[tuple[str, str], ...]:
    """(place, fill colour) pairs for the calls lane, in the order the timelines use."""
    places = sorted({c.place for c in data.calls})
    return tuple((p, PLACE_COLOURS[i % len(PLACE_COLOURS)]) for i, p in enumerate(places))
