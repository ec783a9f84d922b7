"""The pure parts of the report: findings parsing, coastline rings, scales, map box."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from darkfleet.report import svg
from darkfleet.report.coast import grid_step_deg, rings_from_grid
from darkfleet.report.model import FindingsError, load_findings


def test_findings_errors_name_file_and_finding(tmp_path: Path) -> None:
    path = tmp_path / "f.json"
    path.write_text("{")
    with pytest.raises(FindingsError, match="f.json: not JSON"):
        load_findings(path)
    path.write_text(json.dumps({"id": "x"}))
    with pytest.raises(FindingsError, match="expected a JSON list"):
        load_findings(path)
    path.write_text(json.dumps([{"id": "a", "claim": "c", "kind": "k", "start": "2023-08-15T00:00:00"}]))
    with pytest.raises(FindingsError, match="finding 1 start: time .* has no time zone"):
        load_findings(path)
    path.write_text(json.dumps([{"id": "a", "claim": "c", "kind": "k", "start": "2023-08-15T00:00:00Z",
                                 "vessel": {"name": "ANGARA", "imo": "IMO 9179842", "mmsi": "273111110"}}]))
    (f,) = load_findings(path)
    assert f.start == datetime(2023, 8, 15, tzinfo=UTC)
    assert f.vessel is not None and f.vessel.imo == "9179842" and f.vessel.mmsi == 273111110
    assert f.vessel.key == "imo-9179842"


def test_rings_of_an_island_and_its_lake() -> None:
    land = np.zeros((20, 30), dtype=bool)
    land[5:15, 5:25] = True
    land[8:11, 10:14] = False  # a lake
    rings = rings_from_grid(land, lon0_deg=130.0, lat0_deg=42.0, step_deg=0.1)
    assert len(rings) == 2
    outer = max((np.array(r) for r in rings), key=lambda r: np.ptp(r[:, 0]))
    # the island spans cells 5..24 (lon) and 5..14 (lat): its boundary lies half a cell outside the centres
    assert outer[:, 0].min() == pytest.approx(130.5, abs=0.06) and outer[:, 0].max() == pytest.approx(132.5, abs=0.06)
    assert outer[:, 1].min() == pytest.approx(42.5, abs=0.06) and outer[:, 1].max() == pytest.approx(43.5, abs=0.06)
    assert all(r[0] == r[-1] for r in rings), "rings close"


def test_grid_step_stays_under_the_cell_budget() -> None:
    assert grid_step_deg((129.5, 41.5, 133.5, 43.6)) == pytest.approx(1 / 120)
    step = grid_step_deg((0.0, 0.0, 90.0, 10.0))
    assert 90 / step <= 900 and step == pytest.approx(round(step * 120) / 120)


def test_time_scale_and_ticks() -> None:
    t0, t1 = datetime(2023, 8, 14, tzinfo=UTC), datetime(2023, 10, 16, tzinfo=UTC)
    scale = svg.TimeScale(t0, t1, 100, 900)
    assert scale(t0) == 100 and scale(t1) == 900
    ticks = scale.ticks(10)
    assert 4 <= len(ticks) <= 10
    assert all(t0 <= t <= t1 for t, _ in ticks)


def test_number_format() -> None:
    assert [svg.num(x) for x in (1.0, -0.04, 2.25, 10.06)] == ["1", "0", "2.2", "10.1"]
