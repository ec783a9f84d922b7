import numpy as np
import polars as pl

from darkfleet.geo.shore import synthetic_mask
from darkfleet.tracks.clean import CleanParams, clean
from tests.events.factories import make_track


def _transit(mmsi: int, n: int = 60, lon0: float = 130.0) -> pl.DataFrame:
    # 12 kn due east at 42 N: 0.0045° of longitude a minute
    return make_track(mmsi, np.arange(n) * 2.0, lon0 + np.arange(n) * 0.009, 42.0, 12.0)


def test_accounting_and_reasons() -> None:
    df = _transit(1)
    df = pl.concat([df, df.slice(10, 3)])  # the same reports heard twice
    lon = df["lon"].to_numpy().copy()
    lon[30:33] += 2.0  # a 3-fix excursion 160 km away
    df = df.with_columns(lon=pl.Series(lon))
    out = clean(df, CleanParams())
    assert out.kept.height + out.removed.height == df.height
    assert out.counts() == {"duplicate": 3, "impossible_jump": 3}
    assert out.kept["segment"].unique().to_list() == [0]


def test_on_land_with_tolerance() -> None:
    land = np.zeros((100, 100), bool)
    land[:, 50:] = True
    mask = synthetic_mask(land, 130.0, 41.5, 0.01)
    df = make_track(2, [0, 10, 20], [130.3, 130.505, 130.9], 42.0, 0.0)
    out = clean(df, CleanParams(land_tolerance_m=3000), mask)
    assert out.removed["reason"].to_list() == ["on_land"]
    assert out.kept["lon"].to_list() == [130.3, 130.505]  # ~0.4 km inland: within the tolerance


def test_shared_mmsi_is_split_into_segments() -> None:
    a = _transit(7, 60, 130.0)
    b = _transit(7, 60, 133.0).with_columns(pl.col("ts") + pl.duration(seconds=30), pl.col("line") + 1000)
    out = clean(pl.concat([a, b]), CleanParams())
    assert out.removed.height == 0
    seg = out.kept.group_by("segment").agg(pl.col("lon").min()).sort("segment")
    assert seg["segment"].to_list() == [0, 1]
    assert seg["lon"].to_list() == [130.0, 133.0]
    assert out.kept.group_by("segment").len().sort("segment")["len"].to_list() == [60, 60]
    # the second transmitter's fixes are kept, re-assigned to segment 1, and reported as such
    assert out.reassigned.height == 60 and out.counts() == {"reassigned": 60}
    rows = out.out_rows()
    assert rows["reason"].unique().to_list() == ["reassigned"] and rows["segment"].unique().to_list() == [1]
    assert rows["line"].min() > 1000  # b's rows


def test_segment_ids_depend_only_on_earlier_fixes() -> None:
    """Cleaning the second half with the first half's last fixes carried (ids kept) gives the ids of
    cleaning everything at once: what lets an engine split the data by day."""
    from darkfleet.tracks.clean import segment_ids

    a = _transit(7, 60, 130.0)
    b = _transit(7, 60, 133.0).with_columns(pl.col("ts") + pl.duration(seconds=30), pl.col("line") + 1000)
    whole, _ = segment_ids(pl.concat([a, b]), CleanParams())
    cut = whole["ts"][70]
    first, _ = segment_ids(whole.filter(pl.col("ts") < cut).drop("_seg"), CleanParams())
    carried = first.tail(20)  # more than lookback_positions fixes
    later = whole.filter(pl.col("ts") >= cut).drop("_seg").with_columns(_seg=pl.lit(None, pl.Int64))
    rest = pl.concat([carried, later])
    second, _ = segment_ids(rest, CleanParams())
    assert second.filter(pl.col("ts") >= cut)["_seg"].to_list() == whole.filter(pl.col("ts") >= cut)["_seg"].to_list()
    # without the carried ids the later fixes would start segments of their own
    fresh, _ = segment_ids(whole.filter(pl.col("ts") >= cut).drop("_seg"), CleanParams())
    assert fresh["_seg"].to_list() != whole.filter(pl.col("ts") >= cut)["_seg"].to_list()


def test_detectors_follow_segments() -> None:
    from darkfleet.events.stops import StopParams, detect_stops

    a = make_track(9, np.arange(0, 240, 4.0), 130.0, 42.0, 0.0)  # moored 4 h
    # the same MMSI transmitted by a second ship 300 km away
    b = make_track(9, np.arange(2, 242, 4.0), 133.0, 40.0, 0.0).with_columns(pl.col("line") + 1000)
    mixed = pl.concat([a, b])
    assert detect_stops(mixed, StopParams()).height == 0  # interleaved, 300 km jumps: no stop
    kept = clean(mixed, CleanParams()).kept
    stops = detect_stops(kept, StopParams())
    assert stops.height == 2 and set(stops["mmsi"]) == {9}
    assert sorted(round(x) for x in stops["lon"]) == [130, 133]
