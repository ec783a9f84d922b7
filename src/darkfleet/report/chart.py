"""Object counts per site as an SVG line chart: one line per object class / size / colour."""

from __future__ import annotations

from darkfleet.report import svg
from darkfleet.report.model import CountSeries, ReportData

WIDTH_PX = 1000
HEIGHT_PX = 220
LEFT_PX, RIGHT_PX, TOP_PX, BOTTOM_PX = 50, 200, 12, 26


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def render_counts(data: ReportData, place: str, series: tuple[CountSeries, ...]) -> str:
    """One chart per place, on the case window so charts and timelines align."""
    t0, t1 = data.window
    scale = svg.TimeScale(t0, t1, LEFT_PX, WIDTH_PX - RIGHT_PX)
    top = max((p.count for s in series for p in s.points), default=1) or 1
    step = svg.nice_step(top, 4)
    y_max = step * -(-top // step)

    def y(v: float) -> float:
        return TOP_PX + (HEIGHT_PX - TOP_PX - BOTTOM_PX) * (1 - v / y_max)

    parts = [f'<svg id="counts-{_slug(place)}" class="counts" data-place={svg.attr(place)} '
             f'xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH_PX} {HEIGHT_PX}" width="{WIDTH_PX}" '
             f'height="{HEIGHT_PX}" role="img" font-family="DejaVu Sans, Arial, sans-serif" font-size="11">',
             f"<title>Object counts at {svg.text(place)}</title>"]
    v = 0.0
    while v <= y_max + 1e-9:
        parts.append(f'<line x1="{LEFT_PX}" y1="{svg.num(y(v))}" x2="{WIDTH_PX - RIGHT_PX}" y2="{svg.num(y(v))}" '
                     f'stroke="#e0e0e0"/><text x="{LEFT_PX - 6}" y="{svg.num(y(v) + 4)}" text-anchor="end" '
                     f'fill="{svg.MUTED}">{v:g}</text>')
        v += step
    base = y(0)
    for tick, label in scale.ticks(10):
        x = scale(tick)
        parts.append(f'<line x1="{svg.num(x)}" y1="{svg.num(base)}" x2="{svg.num(x)}" y2="{svg.num(base + 4)}" '
                     f'stroke="{svg.MUTED}"/><text x="{svg.num(x + 2)}" y="{svg.num(base + 16)}" '
                     f'fill="{svg.MUTED}">{label}</text>')
    for i, s in enumerate(series):
        colour = svg.colour(i + 3)
        pts = [(scale(p.time), y(p.count)) for p in s.points]
        d = "".join(f"{'L' if j else 'M'}{svg.num(px)} {svg.num(py)}" for j, (px, py) in enumerate(pts))
        parts.append(f'<g class="count-series" data-label={svg.attr(s.label)}>'
                     f'<path class="count-line" d="{d}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for p, (px, py) in zip(s.points, pts, strict=True):
            parts.append(f'<circle class="count-point" cx="{svg.num(px)}" cy="{svg.num(py)}" r="3.5" '
                         f'fill="{colour}"><title>{p.count} × {svg.text(s.label)}, '
                         f'{p.time.strftime("%Y-%m-%d %H:%M")} UTC, image {svg.text(p.image_id)}</title></circle>')
        ly = TOP_PX + 14 + 16 * i
        parts.append(f'<line x1="{WIDTH_PX - RIGHT_PX + 12}" y1="{ly - 4}" x2="{WIDTH_PX - RIGHT_PX + 32}" '
                     f'y2="{ly - 4}" stroke="{colour}" stroke-width="2"/><text x="{WIDTH_PX - RIGHT_PX + 38}" '
                     f'y="{ly}" fill="{svg.INK}">{svg.text(s.label)}</text></g>')
    parts.append(f'<line x1="{LEFT_PX}" y1="{svg.num(base)}" x2="{WIDTH_PX - RIGHT_PX}" y2="{svg.num(base)}" '
                 f'stroke="{svg.INK}"/></svg>')
    return "".join(parts)
