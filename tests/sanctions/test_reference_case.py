"""End to end through the CLI: load, diff, screen with exposure, screen the lake's statics.

The lake holds the real SDN of 2024-05-03, a copy of it without MARIA's row standing in for the
list of 2023-09-01 (when, per REFERENCE-CASE.md, MARIA was not yet listed; the copy is written to
a temporary folder, never into the repo), and the analyst's facts: RUSI's ownership of MARIA by
Marine Trans Shipping and her December 2023 designation.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from typer.testing import CliRunner

from darkfleet.lake.schema import STATICS
from darkfleet.sanctions.cli import sanctions_app, screen
from darkfleet.sanctions.exposure import exposure_paths
from darkfleet.sanctions.service import knowledge

from .conftest import SDN_CSV, need

app = typer.Typer()
app.add_typer(sanctions_app, name="sanctions")
app.command("screen")(screen)
runner = CliRunner()

FACTS = """fact,subject,subject_imo,object,object_imo,start_date,end_date,source,source_url,note
owner,MARIA,8517839,MARINE TRANS SHIPPING LLC,,,,"RUSI, The Orient Express (16 Oct 2023)",,
listed,MARIA,8517839,us_ofac_sdn,,2023-12,,REFERENCE-CASE.md,,December 2023
"""


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = need(SDN_CSV)
    base = tmp_path_factory.mktemp("ref")
    older = base / "sdn_2023-09-01.csv"
    lines = src.read_text(encoding="utf-8").splitlines(keepends=True)
    older.write_text("".join(x for x in lines if not x.startswith("46773,")), encoding="utf-8")
    facts = base / "facts.csv"
    facts.write_text(FACTS)
    lake = base / "lake"
    result = runner.invoke(app, ["sanctions", "load", str(src), str(older), "--lake", str(lake)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["sanctions", "load", str(facts), "--lake", str(lake),
                                 "--list-date", "2024-06-01"])  # fmt: skip
    assert result.exit_code == 0, result.output
    return lake


def test_load_is_idempotent_and_needs_a_date(lake: Path, tmp_path: Path):
    again = runner.invoke(app, ["sanctions", "load", str(SDN_CSV), "--lake", str(lake)])
    assert again.exit_code == 0 and "unchanged" in again.output
    undated = tmp_path / "sdn.csv"
    undated.write_text('1,"X","vessel","P",-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- ,-0- \n')
    result = runner.invoke(app, ["sanctions", "load", str(undated), "--lake", str(tmp_path / "l")])
    assert result.exit_code == 1 and "--list-date" in result.output


def test_diff_between_versions(lake: Path):
    result = runner.invoke(app, ["sanctions", "diff", "--lake", str(lake), "--json",
                                 "us_ofac_sdn@2023-09-01", "us_ofac_sdn@2024-05-03"])  # fmt: skip
    assert result.exit_code == 0, result.output
    changes = {(c["entity_id"], c["change"]) for c in json.loads(result.output)["changes"]}
    assert ("ofac-sdn-46773", "added") in changes  # MARIA
    assert ("ofac-sdn-sanction-46773", "added") in changes
    assert ("ofac-sdn-link-46773-ofac-sdn-46768", "added") in changes  # Linked To IBEX
    assert all(c == "added" for _, c in changes) and len(changes) == 3


def _screen_json(lake: Path, *args: str) -> dict:
    result = runner.invoke(app, ["screen", "--lake", str(lake), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_angara_exposure(lake: Path):
    out = _screen_json(lake, "--name", "ANGARA", "--on", "2023-09-01")
    top = out["matches"][0]
    assert top["entity_id"] == "ofac-sdn-37059" and top["alert"]
    assert top["imo"] == ["IMO9179842"] and top["list"] == "us_ofac_sdn"
    assert top["features"][0]["feature"] == "name_match"
    assert top["status"][0]["status"] == "listed"
    ends = {p["path"][-1]["caption"]: p["path"] for p in out["exposure"]}
    assert {"M LEASING LLC", "ADLER", "ASCALON"} <= set(ends)
    adler = ends["ADLER"]
    assert [s.get("caption") or s["relation"] for s in adler] == [
        "ANGARA", "linked to", "M LEASING LLC", "linked to", "ADLER"]  # fmt: skip
    assert adler[2]["listed"] and adler[4]["listed"]
    assert adler[1]["evidence"] == "us_ofac_sdn@2023-09-01"


def test_maria_not_listed_during_the_trips_but_exposed_through_her_owner(lake: Path):
    out = _screen_json(lake, "--name", "MARIA", "--imo", "8517839", "--on", "2023-09-01")
    sdn = next(m for m in out["matches"] if m["entity_id"] == "ofac-sdn-46773")
    assert sdn["score"] == 1.0
    (status,) = sdn["status"]
    assert status["status"] == "not_listed" and status["listed_from"] == "2023-12"
    owner = next(p["path"] for p in out["exposure"]
                 if p["path"][-1]["caption"] == "MARINE TRANS SHIPPING LLC")  # fmt: skip
    assert owner[1]["relation"] == "owned by" and "RUSI" in owner[1]["evidence"]
    assert owner[2]["listed"]
    later = _screen_json(lake, "--imo", "8517839", "--on", "2024-05-03")
    (status,) = later["matches"][0]["status"]
    assert status["status"] == "listed" and status["since"] == "2023-12"


def test_exposure_kernel_depth_and_dates(lake: Path):
    k = knowledge(lake)
    one_hop = exposure_paths(k.graph, ["ofac-sdn-37059"], max_depth=1)
    assert {k.graph.nodes[p.end].caption for p in one_hop} == {"M LEASING LLC"}
    with pytest.raises(ValueError):
        exposure_paths(k.graph, ["ofac-sdn-37059"], max_depth=0)


def _statics(path: Path, rows: list[dict]) -> None:
    cols = {f.name: [r.get(f.name) for r in rows] for f in STATICS}
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(cols, schema=STATICS), path)


def test_screen_every_identity_in_the_lake(lake: Path):
    ts = datetime(2023, 9, 1, 6, tzinfo=UTC)
    base = {"ts": ts, "msg_type": 5, "source": "0" * 16, "line": 1}
    _statics(lake / "statics" / "day=2023-09-01" / "part-0.parquet", [
        {**base, "mmsi": 273000001, "imo": 9179842, "name": "ANGARA", "callsign": "UBXX"},
        {**base, "mmsi": 273000002, "imo": 8517839, "name": "MARIA  ", "ship_type": 70},
        {**base, "mmsi": 367000003, "imo": None, "name": "SAN JOSE", "ship_type": 31},
        {**base, "mmsi": 273000001, "msg_type": 24, "part": "B", "ship_type": 69},
    ])  # fmt: skip
    result = runner.invoke(app, ["screen", "--lake", str(lake), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["identities"] == 3 and summary["alerts"] >= 2
    matches = pq.read_table(lake / "sanctions" / "matches.parquet").to_pylist()
    by_name = {(m["ais_name"], m["entity_id"]): m for m in matches if m["alert"]}
    maria = by_name[("MARIA", "ofac-sdn-46773")]
    assert maria["status_on_last_seen"].startswith("us_ofac_sdn: not_listed")
    assert by_name[("ANGARA", "ofac-sdn-37059")]["score"] == 1.0
    assert not any(m["ais_name"] == "SAN JOSE" for m in matches)


def test_screen_all_without_statics_says_so(tmp_path: Path, lake: Path):
    empty = tmp_path / "lake"
    (empty / "sanctions").mkdir(parents=True)
    for f in (lake / "sanctions").iterdir():
        if f.name == "versions.parquet":
            (empty / "sanctions" / f.name).write_bytes(f.read_bytes())
    (empty / "sanctions" / "lists").symlink_to(lake / "sanctions" / "lists")
    result = runner.invoke(app, ["screen", "--lake", str(empty)])
    assert result.exit_code == 1 and "no AIS static reports" in result.output
    nothing = runner.invoke(app, ["screen", "--lake", str(tmp_path / "none"), "--name", "X"])
    assert nothing.exit_code == 1 and "no lists loaded" in nothing.output


def test_party_command(lake: Path):
    result = runner.invoke(app, ["sanctions", "party", "M LEASING LLC", "--lake", str(lake),
                                 "--schema", "Company", "--json"])  # fmt: skip
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)["matches"]
    assert found[0]["entity_id"] == "ofac-sdn-37065" and found[0]["score"] >= 0.9


def test_versions_command(lake: Path):
    result = runner.invoke(app, ["sanctions", "versions", "--lake", str(lake)])
    assert result.exit_code == 0 and "us_ofac_sdn" in result.output
