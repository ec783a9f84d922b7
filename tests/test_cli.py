"""The command line: each command documented, JSON shapes, clear errors for bad input."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from darkfleet.cli import app

runner = CliRunner()
README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_command_is_documented_in_the_readme() -> None:
    names = [c.name or c.callback.__name__ for c in app.registered_commands]  # type: ignore[union-attr]
    names += [g.name for g in app.registered_groups if g.name]
    assert names
    for name in names:
        assert f"darkfleet {name}" in README, f"README has no usage for `darkfleet {name}`"


def test_ingest_json_and_query(shared_data: Path, tmp_path: Path) -> None:
    lake = str(tmp_path / "lake")
    res = runner.invoke(app, ["ingest", str(shared_data / "ais/nmea/aisdb"), "--lake", lake, "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert {"read", "accepted", "rejected"} <= set(doc)
    assert doc["read"] == sum(doc["accepted"].values()) + sum(doc["rejected"].values())
    assert doc["accepted"]["positions"] > 900

    res = runner.invoke(app, ["query", "--lake", lake, "SELECT count(*) AS n FROM positions", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == [{"n": doc["rows"]["positions"]}]
    res = runner.invoke(app, ["query", "--lake", lake, "SELECT mmsi FROM positions ORDER BY mmsi LIMIT 2",
                              "--format", "csv"])
    assert res.stdout.splitlines()[0] == "mmsi" and len(res.stdout.splitlines()) == 3


def test_assume_time(shared_data: Path, tmp_path: Path) -> None:
    path = str(shared_data / "ais/nmea/pyais/ais_test_messages")
    lake = str(tmp_path / "lake")
    res = runner.invoke(app, ["ingest", path, "--lake", lake, "--json", "--assume-time", "2023-08-15T06:00:00Z"])
    doc = json.loads(res.stdout)
    assert doc["rejected"] == {"comment line": 1} and doc["accepted"] == {"positions": 6, "statics": 2}


def test_errors_are_for_people(tmp_path: Path) -> None:
    res = runner.invoke(app, ["ingest", str(tmp_path / "missing.nmea"), "--lake", str(tmp_path / "l")])
    assert res.exit_code == 2 and "no such file" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["ingest", str(tmp_path), "--lake", str(tmp_path / "l"), "--assume-time", "yesterday"])
    assert res.exit_code == 2 and "ISO 8601" in res.output
    bad = tmp_path / "x.csv"
    bad.write_text("a,b\n1,2\n")
    res = runner.invoke(app, ["ingest", str(bad), "--lake", str(tmp_path / "l")])
    assert res.exit_code == 2 and "cannot tell the format" in res.output
    res = runner.invoke(app, ["query", "--lake", str(tmp_path / "nolake"), "SELECT 1"])
    assert res.exit_code == 2 and "no lake" in res.output
    res = runner.invoke(app, ["query", "--lake", str(tmp_path / "l"), "SELECT * FROM nothing"])
    assert res.exit_code == 2 and "nothing" in res.output


def test_demo(shared_data: Path, tmp_path: Path) -> None:
    """The reference-case demo: raw files in, findings (and the report when available) out; DIR is a lake."""
    res = runner.invoke(app, ["demo", "--data", str(shared_data), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "ANGARA: 5 round trips found, 5 planted" in res.stdout
    assert "MARIA: 4 round trips found, 4 planted" in res.stdout
    assert "0 trip finding(s) about other vessels" in res.stdout
    findings = json.loads((tmp_path / "findings.json").read_text())
    assert {f["kind"] for f in findings} >= {"round_trips", "sanctions_exposure", "cargo_flow", "count_surge"}
    assert (tmp_path / "raw" / "README.txt").exists() and (tmp_path / "truth.json").exists()
    q = runner.invoke(app, ["query", "--lake", str(tmp_path), "--format", "json",
                            "SELECT count(*) AS n FROM positions"])
    assert q.exit_code == 0 and json.loads(q.stdout)[0]["n"] > 100_000
