"""Case reports: self-contained HTML (and PDF) with map, timelines, counts, sanctions and evidence,
and GeoJSON / KML / CSV / FtM exports beside it.

Layout: :mod:`~darkfleet.report.model` (records), :mod:`~darkfleet.report.gather` (reads the lake,
case store and findings), pure renderers (:mod:`~darkfleet.report.svgmap`,
:mod:`~darkfleet.report.timeline`, :mod:`~darkfleet.report.chart`, :mod:`~darkfleet.report.exports`)
and :mod:`~darkfleet.report.render`, which puts them together.
"""

from darkfleet.report.render import PdfUnavailable, write_report

__all__ = ["PdfUnavailable", "write_report"]
