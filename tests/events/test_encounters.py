import json
import time

import numpy as np
import polars as pl
import pytest

from darkfleet.events.encounters import EncounterParams, close_pairs, detect_encounters, grid_positions
from tests.events.factories import make_track, north_of, places

FAR_PORT = places(("far", 120.0, 30.0))


def _drift(mmsi: int, minutes: np.ndarray, lon: float, lat: float, sog: float = 1.0) -> pl.DataFrame:
    return make_track(mmsi, minutes, lon + minutes * 1e-5, lat, sog)


def test_two_slow_vessels_close_for_three_hours() -> None:
    m = np.arange(0, 181, 15.0)
    a = _drift(1, m, 130.0, 40.0)
    b = _drift(2, m + 3, 130.0, north_of(40.0, 0.3))  # 300 m north, own timing
    ev = detect_encounters(pl.concat([a, b]), EncounterParams(), FAR_PORT)
    assert ev.height == 1
    row = ev.row(0, named=True)
    assert (row["mmsi"], row["other_mmsi"]) == (1, 2)
    attrs = json.loads(row["attributes"])
    assert attrs["duration_h"] >= 2.5 and attrs["median_distance_m"] == pytest.approx(300, abs=30)
    assert len(row["source_rows"]) == 4


@pytest.mark.parametrize(("offset_km", "sog", "minutes", "port_lon", "why"), [
    (0.8, 1.0, 180, 120.0, "too far apart"),
    (0.3, 5.0, 180, 120.0, "too fast"),
    (0.3, 1.0, 90, 120.0, "too short"),
    (0.3, 1.0, 180, 130.02, "at a port"),
])
def test_not_an_encounter(offset_km: float, sog: float, minutes: int, port_lon: float, why: str) -> None:
    m = np.arange(0, minutes + 1, 10.0)
    a = _drift(1, m, 130.0, 40.0, sog)
    b = _drift(2, m, 130.0, north_of(40.0, offset_km), sog)
    assert detect_encounters(pl.concat([a, b]), EncounterParams(), places(("p", port_lon, 40.0))).height == 0, why


def test_grid_interpolates_on_common_slots() -> None:
    a = make_track(1, [0, 60], [130.0, 130.01], 40.0, 1.0)
    g = grid_positions(a, EncounterParams())
    assert g.height == 6  # 10-minute slots in [0, 60)
    assert np.allclose(np.diff(g["lon"].to_numpy()), 0.01 / 6)
    assert g["slot"].diff().drop_nulls().to_list() == [1] * 5


def test_pairing_scales_without_all_pairs() -> None:
    # 4,000 slow vessels spread over a 2° x 2° sea for 3 hours: ~300k grid points
    rng = np.random.default_rng(1)
    n = 4000
    lon0, lat0 = rng.uniform(130, 132, n), rng.uniform(38, 40, n)
    minutes = np.arange(0, 181, 10.0)
    frames = [pl.DataFrame({"mmsi": np.full(len(minutes), i + 1), "t": minutes,
                            "lon": lon0[i] + minutes * 1e-6, "lat": np.full(len(minutes), lat0[i])})
              for i in range(0, n)]
    big = pl.concat(frames).with_columns(
        ts=pl.datetime(2023, 8, 15, time_zone="UTC") + pl.duration(minutes=pl.col("t")),
        sog_kn=pl.lit(0.5, pl.Float32), source=pl.lit("t"), line=pl.int_range(pl.len())).drop("t")
    start = time.perf_counter()
    grid = grid_positions(big, EncounterParams())
    pairs = close_pairs(grid, EncounterParams())
    elapsed = time.perf_counter() - start
    assert elapsed < 10  # all pairs would be 8M comparisons per slot
    # the bucketed pairing finds exactly the pairs a brute-force search finds (first slot)
    from scipy.spatial import cKDTree

    from darkfleet.geo.units import m_to_chord, unit_vectors

    first = grid.filter(pl.col("slot") == grid["slot"].min()).sort("mmsi")
    brute = cKDTree(unit_vectors(first["lon"], first["lat"])).query_pairs(m_to_chord(500.0))
    ids = first["mmsi"].to_numpy()
    expected = {(min(ids[i], ids[j]), max(ids[i], ids[j])) for i, j in brute}
    found = set(pairs.filter(pl.col("slot") == grid["slot"].min()).select("mmsi", "other_mmsi").iter_rows())
    assert found == expected and 50 < len(found) < 400  # about n²·π·r²/(2·area) ≈ 170
