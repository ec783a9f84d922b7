from datetime import timedelta

import numpy as np
import polars as pl
import pytest

from darkfleet.lake import schema
from darkfleet.scenario import ScenarioParams, World, generate
from darkfleet.scenario.truth import match
from darkfleet.tracks.identity import imo_check_digit_valid

SMALL = ScenarioParams(seed=3, days=3.0, n_vessels=10, n_encounter_pairs=1, n_loiterers=1, n_gaps=2,
                       n_jump_spoofs=1, n_land_spoofs=1, n_clones=1, n_renames=1, n_reflags=1)


def test_deterministic() -> None:
    a, b = generate(SMALL), generate(SMALL)
    assert a.positions.equals(b.positions) and a.statics.equals(b.statics) and a.truth.equals(b.truth)
    c = generate(ScenarioParams(**{**SMALL.__dict__, "seed": 4}))
    assert not c.positions.equals(a.positions)


def test_lake_schemas_and_order(world: World) -> None:
    assert world.positions.to_arrow().schema.equals(pl.from_arrow(schema.POSITIONS.empty_table()).to_arrow().schema)
    assert world.statics.columns == schema.STATICS.names
    keys = world.positions.select("mmsi", "ts")
    assert keys.equals(keys.sort("mmsi", "ts"))
    assert world.positions["ts"].dtype == pl.Datetime("us", "UTC")


def test_truth_covers_every_kind(world: World) -> None:
    counts = dict(world.truth.group_by("kind").len().iter_rows())
    assert counts["gap"] == 16 and counts["encounter"] == 10
    assert min(counts.values()) >= 9
    assert {"port_visit", "stop", "loitering", "spoofing", "identity_change"} <= set(counts)


def test_reception_dense_near_coast_sparse_offshore(world: World) -> None:
    p = world.positions.filter(pl.col("source") != "")
    km = world.shore.distance_km(p["lon"].to_numpy(), p["lat"].to_numpy())
    dt = p.select(pl.col("ts").diff().over("mmsi").dt.total_seconds()).to_series().to_numpy()
    same = np.r_[False, p["mmsi"].to_numpy()[1:] == p["mmsi"].to_numpy()[:-1]]
    coastal = np.nanmedian(dt[same & (km < 20)])
    offshore = np.nanmedian(dt[same & (km > 100)])
    assert 60 <= coastal <= 200 and 400 <= offshore <= 1500  # about 2 min vs 15 min


def test_real_tracks_stay_at_sea(world: World) -> None:
    spoofed = world.truth.filter(pl.col("kind") == "spoofing")
    p = world.positions
    for row in spoofed.iter_rows(named=True):
        p = p.filter(~((pl.col("mmsi").is_in([row["mmsi"], row["other_mmsi"]]))
                       & pl.col("ts").is_between(row["start"], row["end"] + pl.duration(seconds=10))))
    on_land = world.land.is_land(p["lon"].to_numpy(), p["lat"].to_numpy(), 3000)
    assert on_land.sum() == 0


def test_identities(world: World) -> None:
    imo = world.vessels["imo"]
    assert pl.select(imo_check_digit_valid(pl.lit(imo)).all()).item()
    assert world.vessels["mmsi"].n_unique() == world.vessels.height


def test_match_scoring() -> None:
    w = generate(SMALL)
    perfect = w.truth.filter(pl.col("kind") == "gap").with_columns(other_mmsi=pl.lit(None, pl.Int64))
    s, _ = match(perfect, w.truth, "gap")
    assert (s.precision, s.recall) == (1.0, 1.0)
    half = perfect.head(1)
    s, left = match(pl.concat([half, half.with_columns(mmsi=pl.lit(1, pl.Int64))]), w.truth, "gap")
    assert s.precision == 0.5 and s.recall == pytest.approx(1 / perfect.height)
    assert left.filter(pl.col("side") == "false_positive").height == 1


def test_dark_shuttle_truth_and_true_tracks() -> None:
    from darkfleet.scenario.world import Shuttle

    dunai = ("user:dunai", "Dunai", 132.33750, 42.88028, 3000.0)
    sh = Shuttle(name="ANGARA", imo=9179842, mmsi=273000001, origin="searoute:KPNJN", dest="user:dunai",
                 round_trips=2, dark_from_day=3.0)
    w = generate(ScenarioParams(seed=9, days=8.0, port_codes=("KPNJN", "RUVVO", "RUZAR"), extra_places=(dunai,),
                                n_vessels=4, n_encounter_pairs=0, n_loiterers=0, n_gaps=0, n_jump_spoofs=0,
                                n_land_spoofs=0, n_clones=0, n_renames=0, n_reflags=0, n_bad_imo=0, shuttles=(sh,)))
    ship = w.positions.filter(pl.col("mmsi") == 273000001)
    assert ship.height > 0 and ship["ts"].max() < w.params.start + timedelta(days=3)
    calls = w.truth.filter((pl.col("mmsi") == 273000001) & (pl.col("kind") == "port_visit"))
    assert set(calls["place_id"]) == {"searoute:KPNJN", "user:dunai"}
    assert calls.filter(~pl.col("observable")).height >= 2  # calls made with the transponder off
    # the true tracks go on while the AIS is silent, for imagery and scoring
    true = w.tracks.filter(pl.col("mmsi") == 273000001)
    assert true["ts"].max() > ship["ts"].max() and true.height == 8 * 1440
    assert w.statics.filter(pl.col("mmsi") == 273000001)["imo"].unique().to_list() == [9179842]
