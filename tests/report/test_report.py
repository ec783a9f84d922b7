"""The case report on a small generated case: structure, exports, determinism, CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from typer.testing import CliRunner

from tests.report.conftest import ANGARA_MMSI, CASE, findings

SVG_NS = "{http://www.w3.org/2000/svg}"


def _html(report_dir: Path) -> str:
    return (report_dir / "report.html").read_text(encoding="utf-8")


def _svgs(html: str) -> dict[str, ET.Element]:
    """Every inline SVG, parsed as XML (so each is well-formed), by its id."""
    out = {}
    for text in re.findall(r"<svg .*?</svg>", html, flags=re.S):
        el = ET.fromstring(text)
        out[el.get("id", "")] = el
    return out


def _classes(el: ET.Element) -> list[str]:
    return [c for e in el.iter() for c in (e.get("class") or "").split()]


def test_every_finding_is_summarised_and_its_evidence_listed(report_dir: Path) -> None:
    html = _html(report_dir)
    for f in findings():
        assert f'id="summary-{f["id"]}"' in html
        assert f'id="finding-{f["id"]}"' in html
        rows = re.findall(rf'<tr class="evidence-row" data-finding="{f["id"]}">.*?</tr>', html, flags=re.S)
        assert len(rows) == len(f["evidence"])
        for row, e in zip(rows, f["evidence"], strict=True):
            assert e["sha256"] in row and e["id"] in row and e["source"] in row
    # claims are escaped, not injected
    assert "&lt;within a week&gt; &amp; more" in html
    assert "<within a week>" not in html


def test_self_contained(report_dir: Path) -> None:
    html = _html(report_dir)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "the report must not load anything"
    assert "<link" not in html and "<script" not in html
    assert "@page" in html  # the stylesheet is inlined


def test_map_draws_land_sea_places_tracks_dark_legs_sightings_detections(report_dir: Path) -> None:
    svgs = _svgs(_html(report_dir))
    m = svgs["map"]
    ids = {e.get("id") for e in m.iter() if e.get("id")}
    assert {"map-sea", "map-land", "map-places", "map-tracks", "map-dark-legs", "map-sightings",
            "map-detections", "map-legend", "map-scale"} <= ids
    land = next(e for e in m.iter() if e.get("id") == "map-land")
    assert land.get("d", "").count("Z") >= 3, "the Sea of Japan coast is more than one ring"
    classes = _classes(m)
    assert classes.count("track") >= 2  # ANGARA's two heard stretches
    assert classes.count("dark-leg") >= 2 and "gap" in classes  # the gap event and the finding's dark leg
    assert classes.count("sighting") == 3
    assert classes.count("detection") == 2
    places = {e.get("data-name") for e in m.iter() if "place" in (e.get("class") or "").split()}
    assert places == {"Najin", "Dunai", "Tumangang"}
    dashed = [e for e in m.iter() if e.get("id") == "map-dark-legs"][0]
    assert dashed.get("stroke-dasharray")
    assert "Outside the map: Tikhoretsk depot" in _html(report_dir)


def test_timeline_per_vessel(report_dir: Path) -> None:
    svgs = _svgs(_html(report_dir))
    timelines = [k for k in svgs if k.startswith("timeline-")]
    assert timelines == ["timeline-imo-9179842"]
    classes = _classes(svgs["timeline-imo-9179842"])
    assert classes.count("ais-coverage") == 2
    assert "call" in classes and "sighting" in classes and "dark-leg" in classes
    assert "detection" in classes  # the SAR detection the round-trip finding cites


def test_count_charts_per_site(report_dir: Path) -> None:
    svgs = _svgs(_html(report_dir))
    assert {k for k in svgs if k.startswith("counts-")} == {"counts-najin", "counts-dunai", "counts-tumangang"}
    assert _classes(svgs["counts-tumangang"]).count("count-point") == 2


def test_sanctions_panel_shows_the_exposure_path(report_dir: Path) -> None:
    html = _html(report_dir)
    section = html[html.index('<section id="sanctions">'):html.index('<section id="appendix">')]
    assert "ALERT" in section
    assert "M LEASING LLC" in section and "ADLER" in section
    assert "status on 2023-08-20" in section


def test_exports_parse(report_dir: Path) -> None:
    assert json.loads((report_dir / "findings.json").read_text()) == findings()
    gj = json.loads((report_dir / "case.geojson").read_text())
    assert gj["type"] == "FeatureCollection"
    layers = {f["properties"]["layer"] for f in gj["features"]}
    assert {"place", "ais_track", "gap", "dark_leg", "sighting", "sar_detection"} <= layers
    for f in gj["features"]:
        if f["geometry"] and f["geometry"]["type"] == "LineString":
            assert all(-180 <= x <= 180 and -90 <= y <= 90 for x, y in f["geometry"]["coordinates"])
    root = ET.parse(report_dir / "case.kml").getroot()
    ns = "{http://www.opengis.net/kml/2.2}"
    assert root.tag == f"{ns}kml"
    assert len(root.findall(f".//{ns}Placemark")) == sum(1 for f in gj["features"] if f["geometry"])
    assert root.findall(f".//{ns}LineString")
    rows = list(csv.DictReader(io.StringIO((report_dir / "findings.csv").read_text())))
    assert [r["id"] for r in rows] == [f["id"] for f in findings()]
    ev = list(csv.DictReader(io.StringIO((report_dir / "evidence.csv").read_text())))
    assert len(ev) == sum(len(f["evidence"]) for f in findings())
    assert all(len(r["sha256"]) == 64 for r in ev)


def test_ftm_export_is_valid_followthemoney(report_dir: Path) -> None:
    from followthemoney import model

    lines = (report_dir / "entities.ftm.json").read_text().splitlines()
    entities = [model.get_proxy(json.loads(line)) for line in lines]
    by_schema: dict[str, list[str]] = {}
    for e in entities:
        by_schema.setdefault(e.schema.name, []).extend(e.get("name", quiet=True))
    assert "ANGARA" in by_schema["Vessel"] and "ADLER" in by_schema["Vessel"]
    assert by_schema["Company"] == ["M LEASING LLC"]
    assert "UnknownLink" in by_schema
    ours = [e for e in entities if e.schema.name == "Vessel" and str(ANGARA_MMSI) in e.get("mmsi")]
    assert ours, "the vessel of the findings, with its MMSI from the lake"


def test_same_inputs_give_identical_files(case_lake: tuple[Path, Path], report_dir: Path, tmp_path: Path) -> None:
    from darkfleet.report import write_report

    write_report(case_lake[0], CASE, tmp_path, case_lake[1])
    names = sorted(p.name for p in report_dir.iterdir())
    assert names == sorted(p.name for p in tmp_path.iterdir())
    for name in names:
        assert (tmp_path / name).read_bytes() == (report_dir / name).read_bytes(), name


def test_findings_file_in_the_out_dir_is_left_as_written(case_lake: tuple[Path, Path], tmp_path: Path) -> None:
    from darkfleet.report import write_report

    given = tmp_path / "findings.json"
    given.write_text(case_lake[1].read_text())
    write_report(case_lake[0], CASE, tmp_path, given)
    assert given.read_text() == case_lake[1].read_text()


def test_pdf(case_lake: tuple[Path, Path], tmp_path: Path) -> None:
    from darkfleet.report import PdfUnavailable, write_report

    try:
        html = write_report(case_lake[0], CASE, tmp_path, case_lake[1], pdf=True)
    except PdfUnavailable as exc:
        pytest.skip(str(exc))
    pdf = html.with_name("report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


def test_cli(case_lake: tuple[Path, Path], tmp_path: Path) -> None:
    import typer

    from darkfleet.report.cli import report

    app = typer.Typer()
    app.command()(report)
    app.command("other")(lambda: None)  # two commands, so typer keeps `report` as a sub-command
    runner = CliRunner()
    ok = runner.invoke(app, ["report", "--case", CASE, "--lake", str(case_lake[0]), "--out", str(tmp_path),
                             "--findings", str(case_lake[1])])
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / "report.html").exists()
    bad = runner.invoke(app, ["report", "--case", "no-such-case", "--lake", str(case_lake[0]), "--out",
                              str(tmp_path)])
    assert bad.exit_code == 2
    assert "no case named 'no-such-case'" in bad.output


def test_a_case_without_findings_still_reports(case_lake: tuple[Path, Path], tmp_path: Path) -> None:
    from darkfleet.cases.store import CaseStore, store_url
    from darkfleet.report import write_report

    store = CaseStore.open(store_url(case_lake[0]))
    if "empty-case" not in {c.name for c in store.cases()}:
        store.create_case("empty-case", "tester", "test")
    html = write_report(case_lake[0], "empty-case", tmp_path)
    text = html.read_text()
    assert "No findings for this case." in text and 'id="map"' in text
    # LAKE/findings.json is absent here, so the report has no findings and no vessels
    assert "timeline-" not in text
