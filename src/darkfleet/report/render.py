"""Assemble the case report: HTML from the Jinja2 templates, exports beside it, PDF on request.

:func:`render_html` is pure (data and coastline rings in, text out); :func:`write_report` is the
library entry point the CLI and the demo call.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

import darkfleet
from darkfleet.report import svg
from darkfleet.report.chart import render_counts
from darkfleet.report.coast import BBox, Ring, coastline_rings
from darkfleet.report.exports import EXPORTS, write_exports
from darkfleet.report.model import Finding, FindingsError, ReportData, iso, load_findings
from darkfleet.report.svgmap import map_bbox, render_map
from darkfleet.report.timeline import place_legend, render_timeline

REPORT_VERSION = "report/1"
REPORT_FILE = "report.html"
PDF_FILE = "report.pdf"
CACHE_DIR = "cache/report"  # inside the lake: coastline rings per map box


class PdfUnavailable(RuntimeError):
    """WeasyPrint (or the Debian libraries it loads) is missing; the message says what to install."""


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _day(when: datetime | None) -> str:
    return "" if when is None else when.strftime("%Y-%m-%d")


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("darkfleet.report", "templates"),
                      autoescape=select_autoescape(["html", "j2"], default_for_string=True),
                      undefined=StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.globals.update(slug=_slug, day=_day, iso=iso)
    return env


def render_html(data: ReportData, rings: tuple[Ring, ...], bbox: BBox) -> str:
    map_svg, off_map = render_map(data, rings, bbox)
    timelines = [(v, Markup(render_timeline(data, v, svg.colour(i)))) for i, v in enumerate(data.vessels)]
    places = sorted({s.place for s in data.counts})
    charts = []
    for place in places:
        series = tuple(s for s in data.counts if s.place == place)
        charts.append((place, Markup(render_counts(data, place, series)), sum(len(s.points) for s in series)))
    template = _environment().get_template("report.html.j2")
    return template.render(
        data=data, map_svg=Markup(map_svg), off_map=off_map, timelines=timelines, count_charts=charts,
        call_places=place_legend(data), exports=list(EXPORTS),
        bbox_text=f"{bbox[0]:.2f}–{bbox[2]:.2f} E, {bbox[1]:.2f}–{bbox[3]:.2f} N",
        version=darkfleet.__version__, report_version=REPORT_VERSION,
    )


def write_pdf(html_path: Path, pdf_path: Path) -> Path:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:  # OSError: the pango / harfbuzz libraries are missing
        raise PdfUnavailable(
            "PDF output needs WeasyPrint (pip install weasyprint) and the Debian packages libpango-1.0-0 "
            f"libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core ({exc})"
        ) from exc
    weasyprint.HTML(filename=str(html_path), base_url=str(html_path.parent)).write_pdf(str(pdf_path))
    return pdf_path


def _same_file(a: Path, b: Path) -> bool:
    return a.exists() and b.exists() and os.path.samefile(a, b)


def write_report(lake_dir: Path, case_name: str, out_dir: Path, findings_path: Path | None = None,
                 pdf: bool = False) -> Path:
    """Write ``out_dir/report.html`` and the exports (and ``report.pdf``); return the HTML's path.

    Findings come from ``findings_path``, else ``lake_dir/findings.json`` when it exists, else the
    report has none. Raises FindingsError, StoreError (unknown case), FileNotFoundError (no lake)
    and PdfUnavailable.
    """
    from darkfleet.report.gather import gather

    lake_dir, out_dir = Path(lake_dir), Path(out_dir)
    if findings_path is None and (lake_dir / "findings.json").exists():
        findings_path = lake_dir / "findings.json"
    findings: tuple[Finding, ...] = load_findings(findings_path) if findings_path is not None else ()
    data = gather(lake_dir, case_name, findings)
    bbox = map_bbox(data)
    rings = coastline_rings(bbox, lake_dir / CACHE_DIR)
    out_dir.mkdir(parents=True, exist_ok=True)
    html_path = out_dir / REPORT_FILE
    html_path.write_text(render_html(data, rings, bbox), encoding="utf-8")
    given_here = findings_path is not None and _same_file(findings_path, out_dir / "findings.json")
    write_exports(data, out_dir, skip={"findings.json"} if given_here else set())
    if pdf:
        write_pdf(html_path, out_dir / PDF_FILE)
    return html_path


__all__ = ["FindingsError", "PdfUnavailable", "render_html", "write_pdf", "write_report"]
