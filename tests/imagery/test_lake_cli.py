"""`sar detect --lake` writes detections with provenance into the lake; `sar match` reads AIS
from the lake and writes matches, dark detections with watchlist candidates, and missed AIS."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
from typer.testing import CliRunner

from darkfleet.imagery.cli import sar_app
from darkfleet.imagery.matchio import SAR_MATCHES, sar_matches_view
from darkfleet.lake import schema
from darkfleet.lake.query import connect
from darkfleet.lake.store import Lake

from .test_readers_cli import _write_scene

T = datetime(2023, 8, 20, 21, 0, tzinfo=UTC)


def _write_ais(lake: Lake, rows: list[tuple], statics: list[tuple]) -> None:
    """Positions (mmsi, seconds from T, lon, lat, sog_kn, cog_deg) and statics (mmsi, length_m)
    as the lake's own Parquet schemas."""
    n = len(rows)
    pos = {
        "mmsi": [r[0] for r in rows],
        "ts": [T + timedelta(seconds=r[1]) for r in rows],
        "msg_type": [1] * n,
        "lon": [r[2] for r in rows],
        "lat": [r[3] for r in rows],
        "sog_kn": [r[4] for r in rows],
        "cog_deg": [r[5] for r in rows],
        "source": ["test"] * n,
        "line": list(range(1, n + 1)),
    }
    table = pa.Table.from_pydict(
        {f.name: pos.get(f.name, [None] * n) for f in schema.POSITIONS}, schema=schema.POSITIONS
    )
    pq.write_table(table, lake.root / "positions" / "day=2023-08-20" / "part-test.parquet")
    m = len(statics)
    st = {
        "mmsi": [s[0] for s in statics],
        "ts": [T - timedelta(hours=1)] * m,
        "msg_type": [5] * m,
        "length_m": [s[1] for s in statics],
        "name": [f"V{s[0]}" for s in statics],
        "source": ["test"] * m,
        "line": list(range(1, m + 1)),
    }
    table = pa.Table.from_pydict({f.name: st.get(f.name, [None] * m) for f in schema.STATICS}, schema=schema.STATICS)
    pq.write_table(table, lake.root / "statics" / "day=2023-08-20" / "part-test.parquet")


def test_detect_into_lake_then_match(tmp_path):
    scene = str(_write_scene(tmp_path / "s.tif"))  # one 150 m vessel at pixel (200, 200)
    lake = Lake.open(tmp_path / "lake")
    for d in ("positions/day=2023-08-20", "statics/day=2023-08-20"):
        (lake.root / d).mkdir(parents=True)
    out = tmp_path / "d.geojson"
    args = ["detect", scene, "--pixel-spacing-m", "10", "--lake", str(lake.root), "--out", str(out)]
    res = CliRunner().invoke(sar_app, args)
    assert res.exit_code == 2 and "--acquired" in res.output  # no time, nothing half-written
    res = CliRunner().invoke(sar_app, [*args, "--acquired", T.isoformat()])
    assert res.exit_code == 0, res.output
    files = list((lake.root / "detections").rglob("*.parquet"))
    assert len(files) == 1 and files[0].parent.name == "day=2023-08-20"
    res = CliRunner().invoke(sar_app, [*args, "--acquired", T.isoformat()])  # idempotent
    assert list((lake.root / "detections").rglob("*.parquet")) == files

    con = connect(
        lake,
        extra_views={
            "detections": f"SELECT * FROM read_parquet('{lake.root}/detections/**/*.parquet', hive_partitioning=true)"
        },
    )
    row = con.execute(
        "SELECT scene_id, sha256, epoch(acquired_at), detector_version, params_json, "
        "lon, lat, length_m, day FROM detections"
    ).fetchall()
    assert len(row) == 1
    scene_id, sha, when, version, params, lon, lat, length, day = row[0]
    assert scene_id == "s" and len(sha) == 64 and when == T.timestamp() and version == "sar-cfar-v2"
    assert json.loads(params)["detector"]["cfar"]["pfa"] == 1e-6
    assert str(day) == "2023-08-20"

    # AIS: vessel 1 sails through the detection; vessel 2 is in the footprint but not imaged;
    # the watchlisted vessel 3 was last seen 20 nm south 6 h earlier (under 50 km: great circle).
    _write_ais(
        lake,
        [
            (1, -60, lon, lat - 0.003, 5.0, 0.0),
            (1, 60, lon, lat + 0.003, 5.0, 0.0),
            (2, -30, 30.03, 39.97, 0.0, None),
            (3, -6 * 3600, lon, lat - 20 / 60, 8.0, 0.0),
        ],
        [(1, 150), (2, 60), (3, 140)],
    )
    (tmp_path / "watch.csv").write_text("mmsi,name\n3,ANGARA\n")
    result = tmp_path / "m.json"
    res = CliRunner().invoke(
        sar_app, ["match", "--lake", str(lake.root), "--detections", str(out), "--out", str(result)]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(result.read_text())["scenes"][0]
    assert [m["mmsi"] for m in doc["matches"]] == [1]
    assert doc["matches"][0]["explanation"][0]["feature"] == "distance"
    assert [u["mmsi"] for u in doc["undetected"]] == [2]
    assert doc["scene"]["sha256"] == sha and doc["matcher_version"]

    # the results are in the lake's sar_matches table, queryable with DuckDB, and a re-run
    # replaces them rather than adding rows
    stored = list((lake.root / "sar_matches").rglob("*.parquet"))
    assert len(stored) == 1 and stored[0].parent.name == "day=2023-08-20"
    res = CliRunner().invoke(sar_app, ["match", "--lake", str(lake.root), "--detections", str(out)])
    assert res.exit_code == 0 and list((lake.root / "sar_matches").rglob("*.parquet")) == stored
    con = connect(lake, extra_views=sar_matches_view(lake))
    rows = con.execute(
        "SELECT kind, mmsi, detection_id IS NOT NULL, distance_m < 500, sha256, detector_version, "
        "matcher_version, json_extract(match_params_json, '$.match.max_distance_m')::DOUBLE, "
        "json_extract(explanation_json, '$[0].feature')::VARCHAR, abs(det_lat - ais_lat) < 0.01 "
        "FROM sar_matches ORDER BY kind"
    ).fetchall()
    assert [r[:2] for r in rows] == [("matched", 1), ("undetected", 2)]
    m = rows[0]
    assert m[2] and m[3] and m[4] == sha and m[5] == "sar-cfar-v2" and m[6] and m[7] == 2000.0
    assert m[8] == '"distance"' and m[9]
    assert set(con.execute("SELECT * FROM sar_matches").arrow().schema.names) >= set(SAR_MATCHES.names)

    # drop vessel 1's AIS: the detection is dark, and the watchlisted vessel could be it
    _write_ais(
        lake, [(2, -30, 30.03, 39.97, 0.0, None), (3, -6 * 3600, lon, lat - 20 / 60, 8.0, 0.0)], [(2, 60), (3, 140)]
    )
    res = CliRunner().invoke(
        sar_app,
        [
            "match",
            "--lake",
            str(lake.root),
            "--detections",
            str(files[0]),
            "--watchlist",
            str(tmp_path / "watch.csv"),
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout[: res.stdout.rindex("}") + 1])["scenes"][0]
    assert doc["matches"] == [] and len(doc["dark"]) == 1
    cand = doc["dark"][0]["candidates"][0]
    assert cand["mmsi"] == 3 and cand["reachable"] and cand["name"] == "ANGARA"
    con = connect(lake, extra_views=sar_matches_view(lake))
    dark = con.execute(
        "SELECT kind, detection_id, json_extract(candidates_json, '$[0].mmsi')::BIGINT, det_lon "
        "FROM sar_matches WHERE kind = 'dark'"
    ).fetchall()
    assert len(dark) == 1 and dark[0][2] == 3 and dark[0][3] == lon
    assert abs(cand["required_speed_kn"] - 20 / 6) < 0.2 and cand["reasons"]


def test_sar_matches_view_exists_before_any_result(tmp_path):
    lake = Lake.open(tmp_path / "lake")
    con = connect(lake, extra_views=sar_matches_view(lake))
    cur = con.execute("SELECT * FROM sar_matches")
    assert cur.fetchall() == [] and [d[0] for d in cur.description] == SAR_MATCHES.names
