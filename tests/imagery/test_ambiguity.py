"""Azimuth ambiguities: ghosts of bright ships at ±Δx along track are rejected, real ships kept."""

from __future__ import annotations

import dataclasses

import numpy as np
import polars as pl
import pytest

from darkfleet.imagery.sar.ambiguity import AmbiguityParams, ambiguity_parents
from darkfleet.imagery.sar.detect import DetectorParams, detect
from darkfleet.imagery.sar.image import SarImage
from darkfleet.imagery.sar.radar import (
    ambiguity_distance_default_m,
    default_geometry,
    default_iw_geometry,
    slant_range_m,
)
from darkfleet.imagery.sar.synthetic import ClutterParams, PlantedVessel, clutter, plant_vessels

SPACING_M = 10.0
INCIDENCE = 37.0


def test_ambiguity_distance_magnitude():
    # λ R PRF / 2V with λ 5.55 cm, R 845 km (37° from 693 km), IW2 PRF 1451.6 Hz, V 7590 m/s
    assert float(slant_range_m(37.0)) == pytest.approx(845e3, rel=0.01)
    assert ambiguity_distance_default_m(37.0) == pytest.approx(0.05547 * 845e3 * 1451.6 / (2 * 7590), rel=0.01)
    assert ambiguity_distance_default_m(31.0) > 4000 and ambiguity_distance_default_m(45.0) < 6000


def test_kernel_pairs_ghosts_with_brighter_parents():
    det = pl.DataFrame(
        {
            "row": [1000.0, 1500.0, 500.0, 1500.0, 3000.0],
            "col": [100.0, 103.0, 98.0, 400.0, 100.0],
            "peak_sigma0": [50.0, 0.2, 0.3, 40.0, 0.2],
        }
    )
    parents = ambiguity_parents(det, 10.0, 10.0, np.full(5, 5000.0), AmbiguityParams())
    # rows 1 and 2 are ±5 km from row 0 and 22 dB fainter; row 3 is bright (its own ship),
    # row 4 is 20 km away
    assert parents.tolist() == [-1, 0, 0, -1, -1]
    assert (ambiguity_parents(det, 10, 10, np.full(5, 5000.0), AmbiguityParams(enabled=False)) == -1).all()


def _scene():
    """Bright ships with their ghosts at ±Δx (22–25 dB fainter, defocused: 30 % longer), plus
    ordinary ships — one of them exactly Δx from another ship of similar brightness."""
    shape = (1500, 1200)
    dx_px = default_iw_geometry(INCIDENCE).ambiguity_distance_m([0.0])[0] / SPACING_M
    rng = np.random.default_rng(5)
    real, ghosts = [], []
    for k, col in enumerate((150, 450, 750, 1050)):
        v = PlantedVessel(750 + rng.uniform(-20, 20), col, rng.uniform(180, 300), 40, rng.uniform(0, 180), 38)
        real.append(v)
        for sign in (-1, 1):
            ghosts.append(
                dataclasses.replace(v, row=v.row + sign * dx_px, length_m=1.3 * v.length_m, snr_db=v.snr_db - 22 - k)
            )
    for row, col in ((300, 300), (1100, 600), (400, 900)):
        real.append(PlantedVessel(row, col, 120, 20, 60, 14))
    real.append(PlantedVessel(300 + dx_px, 300, 110, 18, 70, 13))  # a real ship Δx from another
    x = clutter(shape, ClutterParams(), seed=21)
    plant_vessels(x, real + ghosts, SPACING_M, SPACING_M, ClutterParams().mean_sigma0, seed=22)
    return SarImage(x, SPACING_M, SPACING_M, incidence_deg=INCIDENCE), real, ghosts


def _score(d: pl.DataFrame, real, ghosts) -> tuple[float, float, int]:
    pos = np.column_stack([d["row"].to_numpy(), d["col"].to_numpy()])

    def near(vs):
        t = np.array([[v.row, v.col] for v in vs])
        return np.hypot(*(pos[:, None] - t[None]).transpose(2, 0, 1)) < 8

    on_real, on_ghost = near(real), near(ghosts)
    tp = int(on_real.any(axis=1).sum())
    return tp / max(d.height, 1), on_real.any(axis=0).mean(), int(on_ghost.any(axis=1).sum())


def test_ghosts_rejected_no_real_ship_lost():
    img, real, ghosts = _scene()
    off = detect(img, DetectorParams(ambiguity=AmbiguityParams(enabled=False)))
    on = detect(img)
    p0, r0, g0 = _score(off, real, ghosts)
    p1, r1, g1 = _score(on, real, ghosts)
    print(
        f"ambiguities: without rejection precision {p0:.3f} recall {r0:.3f} ({g0} ghosts detected); "
        f"with rejection precision {p1:.3f} recall {r1:.3f} ({g1} ghosts left)"
    )
    assert g0 >= 6  # the ghosts are there to be found
    assert g1 == 0 and p1 == 1.0 and p1 > p0
    assert r1 == r0 == 1.0  # no real ship lost, including the one Δx from another


def test_whole_scene_defaults_follow_the_swath():
    # a 250 km wide GRD scene without annotation: near range in IW1, far range in IW3
    g = default_geometry(25_000, 10.0, None)
    near, mid, far = g.ambiguity_distance_m([100.0, 12_500.0, 24_900.0])
    assert g.prf_hz == (1717.13, 1451.59, 1685.81)
    assert 4700 < near < 5200 and 4200 < mid < 4800 and 5500 < far < 6000
    assert default_geometry(600, 10.0, 37.0).ambiguity_distance_m([0.0])[0] == pytest.approx(
        ambiguity_distance_default_m(37.0)
    )
