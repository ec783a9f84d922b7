"""The ``optical`` sub-app end to end on real files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import typer
from PIL import Image
from typer.testing import CliRunner

from darkfleet.imagery.optical_cli import optical_app

app = typer.Typer()
app.add_typer(optical_app, name="optical")
runner = CliRunner()


def test_ships_json(shared_data: Path) -> None:
    r = runner.invoke(app, ["optical", "ships", str(shared_data / "optical/sen2ships/honolulu"), "--json"])
    assert r.exit_code == 0, r.output
    recs = json.loads(r.stdout)
    assert recs and {"file", "row", "col", "lon", "lat", "length_m", "score"} <= set(recs[0])
    assert all(-158.1 < d["lon"] < -157.8 and 21.2 < d["lat"] < 21.5 for d in recs)  # Honolulu harbour


def test_change_mask_png(shared_data: Path, tmp_path: Path) -> None:
    pair = shared_data / "optical/oscd/beihai/pair"
    out = tmp_path / "mask.png"
    r = runner.invoke(
        app, ["optical", "change", str(pair / "img1.png"), str(pair / "img2.png"), "--out", str(out), "--json"]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    mask = np.asarray(Image.open(out))
    assert mask.dtype == np.uint8 and mask.ndim == 2
    assert mask.shape == np.asarray(Image.open(pair / "img1.png")).shape[:2]
    assert set(np.unique(mask)) <= {0, 255}
    assert doc["changed_area_m2"] == (mask == 255).sum() * 100.0 and doc["coregistered"]


def test_count_overlay_and_confirm(shared_data: Path, tmp_path: Path) -> None:
    img = shared_data / "optical/dota/P1888.png"
    r = runner.invoke(app, ["optical", "count", str(img), "--out", str(tmp_path / "ov.png"), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["counts"]["total"] == len(doc["objects"]) > 0 and len(doc["sha256"]) == 64
    assert Image.open(tmp_path / "ov.png").size == Image.open(img).size
    r = runner.invoke(
        app,
        [
            "optical",
            "confirm",
            str(img),
            "--kind",
            "count",
            "--counts",
            '{"total": 50}',
            "--analyst",
            "jd",
            "--lake",
            str(tmp_path / "lake"),
        ],
    )
    assert r.exit_code == 0, r.output
    t = pq.read_table(next((tmp_path / "lake/observations").glob("*.parquet")))
    assert t["sha256"][0].as_py() == doc["sha256"] and t["analyst"][0].as_py() == "jd"


def test_bad_input_is_explained(tmp_path: Path) -> None:
    r = runner.invoke(app, ["optical", "ships", str(tmp_path)])
    assert r.exit_code == 2 and "B03" in r.output


def test_activity_chart(shared_data: Path, tmp_path: Path) -> None:
    base = shared_data / "optical/sen2ships"
    r = runner.invoke(
        app,
        [
            "optical",
            "activity",
            "ports",
            str(base / "casablanca"),
            str(base / "honolulu"),
            "--chart",
            str(tmp_path / "c.svg"),
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    series = json.loads(r.stdout)
    assert len(series) == 2 and "surge" in series[0]
    assert (tmp_path / "c.svg").read_text().startswith("<svg")
