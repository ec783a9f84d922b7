"""`detect` and `events` as the lead registers them, and the DuckDB `events` view."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from darkfleet.events.cli import detect, events
from darkfleet.events.store import events_view_sql
from darkfleet.lake.query import connect
from darkfleet.lake.store import Lake
from darkfleet.scenario import ScenarioParams, generate
from darkfleet.scenario.lake import write_world

app = typer.Typer()
app.command("detect")(detect)
app.command("events")(events)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cli")
    w = generate(ScenarioParams(seed=2, days=3.0, n_vessels=10, n_encounter_pairs=2, n_loiterers=1, n_gaps=1,
                                n_jump_spoofs=1, n_land_spoofs=0, n_clones=0, n_renames=1, n_reflags=0))
    write_world(w, Lake.open(root))
    return root


def test_detect_then_list(lake: Path, tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[stops]\nmin_duration_h = 3.0\n")
    r = CliRunner().invoke(app, ["detect", "--lake", str(lake), "--config", str(config), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["events"]["port_visit"] > 0 and out["path"].endswith("events/*.parquet")
    anchorages = pl.read_parquet(out["anchorages_path"])
    assert anchorages.height == out["inferred_anchorages"] > 0 and set(anchorages["kind"]) == {"anchorage"}
    r = CliRunner().invoke(app, ["events", "--lake", str(lake), "--kind", "stop", "--json"])
    rows = [json.loads(line) for line in r.output.splitlines()]
    assert rows and all(x["kind"] == "stop" and x["params"]["min_duration_h"] == 3.0 for x in rows)
    some = rows[0]["mmsi"]
    r = CliRunner().invoke(app, ["events", "--lake", str(lake), "--mmsi", str(some)])
    assert r.exit_code == 0 and str(some) in r.output
    con = connect(Lake.open(lake), {"events": events_view_sql(Lake.open(lake))})
    kinds = dict(con.sql("SELECT kind, count(*) FROM events GROUP BY kind").fetchall())
    assert kinds == out["events"]


def test_errors_are_for_people(lake: Path, tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["events", "--lake", str(lake), "--kind", "parties"])
    assert r.exit_code == 2 and "unknown event kind" in r.output
    r = CliRunner().invoke(app, ["detect", "--lake", str(tmp_path / "nope")])
    assert r.exit_code == 2 and "no lake" in r.output
    bad = tmp_path / "bad.toml"
    bad.write_text("[gaps]\nmin_gap = 1\n")
    r = CliRunner().invoke(app, ["detect", "--lake", str(lake), "--config", str(bad)])
    assert r.exit_code == 2 and "unknown key" in r.output


def test_empty_view_before_detect(tmp_path: Path) -> None:
    con = connect(Lake.open(tmp_path), {"events": events_view_sql(Lake.open(tmp_path))})
    assert con.sql("SELECT count(*) FROM events").fetchall() == [(0,)]
    assert "attributes" in [d[0] for d in con.sql("SELECT * FROM events").description]


def test_cleaned_out_stored_counted_and_idempotent(lake: Path) -> None:
    r = CliRunner().invoke(app, ["detect", "--lake", str(lake), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    counts = out["cleaned_out"]
    assert counts["duplicate"] > 0 and counts["impossible_jump"] > 0
    stored = pl.read_parquet(out["cleaned_out_path"])
    assert set(stored.columns) == {"mmsi", "ts", "lon", "lat", "reason", "segment", "source", "line"}
    con = connect(Lake.open(lake))  # the view darkfleet query sees
    assert dict(con.sql("SELECT reason, count(*) FROM cleaned_out GROUP BY reason").fetchall()) == counts
    # every row it names is a lake row, once
    joined = con.sql("SELECT count(*) FROM cleaned_out c JOIN positions p USING (source, line)").fetchall()[0][0]
    assert joined == stored.height == sum(counts.values())
    first = Path(out["cleaned_out_path"]).read_bytes()
    again = CliRunner().invoke(app, ["detect", "--lake", str(lake)])
    assert again.exit_code == 0, again.output
    assert Path(out["cleaned_out_path"]).read_bytes() == first  # a re-run replaces it with the same rows
    for reason, n in counts.items():  # the table output prints the counts
        assert reason in again.stdout and f"{n:,}" in again.stdout


def test_cleaned_out_view_empty_before_detect(tmp_path: Path) -> None:
    con = connect(Lake.open(tmp_path))
    assert con.sql("SELECT count(*) FROM cleaned_out").fetchall() == [(0,)]
    assert "reason" in [d[0] for d in con.sql("SELECT * FROM cleaned_out").description]
