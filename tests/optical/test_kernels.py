"""Kernels on tiny hand-built images with known answers."""

from __future__ import annotations

import dataclasses
import math
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl
import pytest
from affine import Affine

from darkfleet.imagery.optical.activity import SurgeParams, flag_surges, svg_chart
from darkfleet.imagery.optical.change import FEATURE_NAMES as CHANGE_FEATURES
from darkfleet.imagery.optical.change import (
    ChangeParams,
    CvaParams,
    change_features,
    count_threshold,
    cva_change,
    detect_change,
    smooth_probability,
)
from darkfleet.imagery.optical.count import CountParams, count_objects, summarise
from darkfleet.imagery.optical.labels import rle_decode
from darkfleet.imagery.optical.observations import Observation, load_observations, store_observation
from darkfleet.imagery.optical.scene import OpticalScene, ground_pixel_m, pixel_lonlat, to_stac_item
from darkfleet.imagery.optical.scoring import Score, mask_score, match_points, match_points_to_masks
from darkfleet.imagery.optical.segments import STATISTICS as SEGMENT_STATISTICS
from darkfleet.imagery.optical.segments import segment_statistics, superpixels
from darkfleet.imagery.optical.ships import (
    FEATURE_NAMES,
    ShipParams,
    _BoxMeans,
    _LabelStats,
    candidate_features,
    component_moments,
    detect_ships,
    merge_fragments,
    non_max_suppression,
    scene_stats,
)
from darkfleet.imagery.optical.trees import TreeEnsemble
from darkfleet.imagery.optical.water import WaterParams, ndwi, water_mask


def make_harbour(h: int = 200, w: int = 200) -> tuple[dict[str, np.ndarray], list[tuple[int, int]]]:
    """Sea on the right half, land on the left, two ships in open water and one alongside."""
    rng = np.random.default_rng(0)
    g = np.full((h, w), 1500.0) + rng.normal(0, 30, (h, w))
    n = np.full((h, w), 500.0) + rng.normal(0, 30, (h, w))
    g[:, :80] = 1800.0
    n[:, :80] = 3000.0  # land: bright in NIR
    ships = [(50, 140), (150, 150)]
    for r, c in ships:
        g[r - 2 : r + 3, c - 12 : c + 13] = 4000.0
        n[r - 2 : r + 3, c - 12 : c + 13] = 6000.0
    bands = {
        "B02": g.astype(np.float32),
        "B03": g.astype(np.float32),
        "B04": g.astype(np.float32),
        "B08": n.astype(np.float32),
    }
    return bands, ships


def test_ndwi_signs() -> None:
    assert ndwi(np.array([3.0]), np.array([1.0]))[0] == pytest.approx(0.5)
    assert ndwi(np.array([0.0]), np.array([0.0]))[0] == 0.0


def test_water_mask_and_holes() -> None:
    bands, ships = make_harbour()
    wm = water_mask(bands["B03"], bands["B08"], 100.0, WaterParams())
    assert wm.sea[:, 100:].mean() > 0.9 and not wm.sea[:, :70].any()
    for r, c in ships:
        assert wm.holes[r, c]


def test_detect_ships_finds_planted_ships() -> None:
    bands, ships = make_harbour()
    det = detect_ships(bands, 10.0, ShipParams())
    got = det.select("row", "col").to_numpy()
    s = match_points(got, np.array(ships, float), 3.0)
    assert s.tp == 2
    best = det.sort("score", descending=True).head(2)
    assert np.allclose(best["length_m"].to_numpy(), 250, rtol=0.1)
    # Horizontal hulls: long axis across the image, 90° from up.
    assert np.allclose(best["orientation_deg"].to_numpy(), 90, atol=2)


def test_ship_candidates_and_features() -> None:
    bands, ships = make_harbour()
    c = candidate_features(bands, 10.0, scene_stats(bands))
    assert c.features.shape == (c.n, len(FEATURE_NAMES)) and np.isfinite(c.features).all()
    for r, col in ships:
        k = c.labels[r, col]
        assert k > 0
        f = dict(zip(FEATURE_NAMES, c.features[k - 1], strict=True))
        assert f["hole_fraction"] == 1.0 and f["ring1_sea"] == 1.0
        assert f["length_m"] == pytest.approx(250, rel=0.05) and f["width_m"] == pytest.approx(50, rel=0.05)
        assert f["log_ratio_mean"] > 1.0  # about e^1.6 ≈ 5× the water's brightness


def test_blocks_give_the_whole_scene_result() -> None:
    """A scene cut into overlapping blocks (threads) finds what it finds in one piece."""
    rng = np.random.default_rng(3)
    h, w = 700, 900
    g = 1500.0 + rng.normal(0, 30, (h, w))
    n = 500.0 + rng.normal(0, 30, (h, w))
    g[:, :150], n[:, :150] = 1800.0, 3000.0
    for r, c in rng.integers(20, [h - 20, w - 40], size=(25, 2)):
        if c > 180:
            g[r - 2 : r + 3, c - 12 : c + 13], n[r - 2 : r + 3, c - 12 : c + 13] = 4000.0, 6000.0
    bands = {"B02": g, "B03": g, "B04": g, "B08": n}
    bands = {k: v.astype(np.float32) for k, v in bands.items()}
    whole = detect_ships(bands, 10.0, ShipParams())
    blocks = detect_ships(bands, 10.0, ShipParams(block_px=256, halo_px=128, workers=2))
    assert whole.height >= 10
    a = whole.sort("row", "col").select("row", "col").to_numpy()
    b = blocks.sort("row", "col").select("row", "col").to_numpy()
    assert a.shape == b.shape and np.allclose(a, b)


def test_label_stats_and_box_means() -> None:
    rng = np.random.default_rng(5)
    lab = np.zeros((40, 50), np.int32)
    lab[2:6, 3:9], lab[20:31, 10:12], lab[35, 45] = 1, 2, 3
    v = rng.normal(size=lab.shape)
    st = _LabelStats(lab, 3)
    idx = [1, 2, 3]
    assert np.allclose(st.mean(v), [v[lab == i].mean() for i in idx])
    assert np.allclose(st.max(v), [v[lab == i].max() for i in idx])
    assert np.allclose(st.min(v), [v[lab == i].min() for i in idx])
    box = _BoxMeans(v.astype(np.float32))
    rows, cols = np.array([0, 20, 39]), np.array([0, 25, 49])
    want = [v[max(r - 3, 0) : r + 4, max(c - 3, 0) : c + 4].mean() for r, c in zip(rows, cols, strict=True)]
    assert np.allclose(box.at(rows, cols, 7), want, atol=1e-5)


def test_non_max_suppression_keeps_the_best() -> None:
    rows = np.array([0.0, 1.0, 10.0, 10.5])
    cols = np.array([0.0, 0.0, 0.0, 0.0])
    keep = non_max_suppression(rows, cols, np.array([0.5, 0.9, 0.3, 0.2]), 2.0)
    assert sorted(keep.tolist()) == [1, 2]


def test_merge_fragments_makes_one_vessel_of_a_split_hull() -> None:
    """Three fragments of one hull along its axis (2 empty pixels between, 3 pixels apart) are
    one vessel with the union's centre and length; a hull 7 pixels beside it is another, and a
    candidate not kept is in neither."""
    lab = np.zeros((40, 80), np.int32)
    lab[10:13, 5:15], lab[10:13, 17:27], lab[10:13, 29:39] = 1, 2, 3  # one 34-pixel hull in three pieces
    lab[19:22, 5:39] = 4  # a second hull, 6 empty rows away
    lab[30:33, 5:15] = 5  # below the threshold
    kept = np.array([0, 1, 2, 3])
    v = merge_fragments(lab, kept, np.array([0.3, 0.9, 0.5, 0.6]), 3.0)
    assert v.score.size == 2 and v.group.tolist() == [0, 0, 0, 1]
    assert np.allclose(v.score, [0.9, 0.6])
    assert v.moments["row"][0] == pytest.approx(11) and v.moments["col"][0] == pytest.approx(21.5)
    assert v.moments["length_px"][0] == pytest.approx(34, rel=0.05)
    assert v.moments["n"].tolist() == [90, 102]
    none = merge_fragments(lab, np.zeros(0, np.int64), np.zeros(0), 3.0)
    assert none.score.size == 0 and none.moments["n"].size == 0


def test_detect_ships_reports_a_split_hull_once() -> None:
    bands, ships = make_harbour()
    r, c = ships[0]
    for b in bands.values():  # two dark columns across the first hull (2 pixels each)
        b[r - 3 : r + 4, c - 5 : c - 3] = b[r + 20, c]
        b[r - 3 : r + 4, c + 4 : c + 6] = b[r + 20, c]
    det = detect_ships(bands, 10.0, ShipParams())
    near = det.filter(((pl.col("row") - r) ** 2 + (pl.col("col") - c) ** 2) < 15**2)
    assert near.height == 1 and near["length_m"][0] > 150


def test_tree_ensemble_by_hand_and_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Two stumps: x0 <= 1 → -1 else +1; x1 <= 0 → 0.5 (NaN goes left) else -0.5.
    model = TreeEnsemble(
        feature_names=("a", "b"),
        bias=0.25,
        feature=np.array([0, -1, -1, 1, -1, -1], np.int32),
        threshold=np.array([1.0, 0, 0, 0.0, 0, 0]),
        missing_left=np.array([0, 0, 0, 1, 0, 0], bool),
        left=np.array([1, -1, -1, 4, -1, -1], np.int32),
        right=np.array([2, -1, -1, 5, -1, -1], np.int32),
        value=np.array([0, -1.0, 1.0, 0, 0.5, -0.5]),
        roots=np.array([0, 3], np.int32),
    )
    x = np.array([[0.0, -1.0], [2.0, 1.0], [1.0, np.nan]])
    assert np.allclose(model.decision_function(x), [0.25 - 1 + 0.5, 0.25 + 1 - 0.5, 0.25 - 1 + 0.5])
    model.save(tmp_path / "m.json")
    again = TreeEnsemble.load(tmp_path / "m.json")
    assert np.allclose(again.predict_proba(x), model.predict_proba(x)) and again.depth == 1


def test_tree_export_matches_sklearn() -> None:
    sklearn_ensemble = pytest.importorskip("sklearn.ensemble")
    from darkfleet.imagery.optical.trees import from_sklearn

    rng = np.random.default_rng(0)
    x = rng.normal(size=(3000, 4))
    x[::40, 2] = np.nan
    y = (x[:, 0] + x[:, 1] ** 2 > 1) | (np.nan_to_num(x[:, 2]) > 1.5)
    clf = sklearn_ensemble.HistGradientBoostingClassifier(max_iter=30, max_depth=4, random_state=0).fit(x, y)
    model = from_sklearn(clf, ("a", "b", "c", "d"), x)  # raises on any disagreement
    assert model.n_trees == 30 and model.meta["trained_with"].startswith("scikit-learn")


def test_component_moments_rectangle() -> None:
    lab = np.zeros((50, 50), np.int32)
    lab[10:40, 20:24] = 1  # 30 rows × 4 cols: vertical
    m = component_moments(lab, 1)
    assert m["length_px"][0] == pytest.approx(30, rel=0.01)
    assert m["width_px"][0] == pytest.approx(4, rel=0.01)
    assert m["orientation_deg"][0] % 180 == pytest.approx(0, abs=1e-6)


def test_web_mercator_pixel_on_the_ground() -> None:
    # 10 m EPSG:3857 pixels at 60° N are 10·cos 60° = 5 m on the ground.
    y60 = 6378137.0 * math.log(math.tan(math.pi / 4 + math.radians(60) / 2))
    scene = OpticalScene(
        "t", {"B03": np.zeros((10, 10), np.float32)}, 10.0, Affine(10, 0, 0, 0, -10, y60 + 50), "EPSG:3857"
    )
    assert ground_pixel_m(scene) == pytest.approx(5.0, rel=1e-3)
    lon, lat = pixel_lonlat(scene, np.array([4.5]), np.array([-0.5]))
    assert lat[0] == pytest.approx(60.0, abs=1e-6) and lon[0] == pytest.approx(0.0, abs=1e-9)


def test_stac_item_has_hash_and_footprint() -> None:
    scene = OpticalScene(
        "s",
        {"B03": np.zeros((4, 4), np.float32)},
        10.0,
        Affine(10, 0, 0, 0, -10, 0),
        "EPSG:3857",
        datetime(2023, 10, 5, tzinfo=UTC),
        {"a.tif": "ab" * 32},
        "sentinel-2",
    )
    item = to_stac_item(scene, {"B03": "a.tif"})
    assert item["properties"]["datetime"] == "2023-10-05T00:00:00Z"
    assert item["assets"]["B03"]["darkfleet:sha256"] == "ab" * 32
    assert item["assets"]["B03"]["eo:bands"][0]["common_name"] == "green"
    assert item["geometry"]["type"] == "Polygon"


def test_naive_times_rejected() -> None:
    with pytest.raises(ValueError, match="timezone"):
        OpticalScene("s", {"L": np.zeros((2, 2), np.float32)}, 1.0, acquired_at=datetime(2023, 1, 1))  # noqa: DTZ001


def test_rle_decode_column_major() -> None:
    m = rle_decode([1, 2, 3], 2, 3)  # column-major: pixel 1 and 2 set
    assert m.tolist() == [[False, False, False], [True, False, False]] or m.sum() == 2
    assert m[1, 0] and m[0, 1] and m.sum() == 2


def test_scores() -> None:
    labels = np.zeros((20, 20), np.int32)
    labels[2:5, 2:5] = 1
    labels[12:15, 12:15] = 2
    s = match_points_to_masks(np.array([3.0, 10.0, 3.0]), np.array([3.0, 10.0, 6.0]), labels, 2.0)
    # (3,3) inside object 1; (3,6) also within 2 px of object 1 but it is taken; (10,10) is 2.8 px from object 2.
    assert (s.tp, s.fp, s.fn) == (1, 2, 1)
    assert Score(1, 1, 0).f1 == pytest.approx(2 / 3)
    a = np.array([[True, False], [True, True]])
    assert mask_score(a, np.array([[True, True], [False, True]])).as_dict()["f1"] == pytest.approx(2 / 3, abs=1e-4)


def _change_pair() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    before = np.clip(ndimage_smooth(rng.normal(100, 12, (120, 120, 3))), 0, 255).astype(np.float32)
    after = before * 1.3 + 10  # another sun: normalisation removes it
    after[40:60, 40:60] = [250, 245, 240]  # a new bright roof
    truth = np.zeros((120, 120), bool)
    truth[40:60, 40:60] = True
    return before, after, truth


def ndimage_smooth(a: np.ndarray) -> np.ndarray:
    from scipy import ndimage

    return ndimage.gaussian_filter(a, (1, 1, 0))


def cva_stump(threshold: float) -> TreeEnsemble:
    """A one-split change model: change where the 2 px-smoothed change vector exceeds ``threshold``
    (the packaged OSCD model is scored on real pairs in test_real_data.py)."""
    k = CHANGE_FEATURES.index("cva_s2")
    return TreeEnsemble(
        feature_names=CHANGE_FEATURES,
        bias=0.0,
        feature=np.array([k, -1, -1], np.int32),
        threshold=np.array([threshold, 0.0, 0.0]),
        missing_left=np.zeros(3, bool),
        left=np.array([1, -1, -1], np.int32),
        right=np.array([2, -1, -1], np.int32),
        value=np.array([0.0, -5.0, 5.0]),
        roots=np.array([0], np.int32),
        meta={"threshold": 0.5},
    )


def test_change_finds_new_building_and_flags_shift() -> None:
    before, after, truth = _change_pair()
    res = detect_change(before, after, 10.0, ChangeParams(), model=cva_stump(1.5))
    assert res.coregistered
    s = mask_score(res.mask, truth)
    assert s.f1 > 0.8
    assert res.changed_area_m2 == pytest.approx(res.mask.sum() * 100)
    assert len(res.polygons_px) >= 1 and res.method == "optical-change-4"
    shifted = detect_change(before, np.roll(before, 3, axis=1), 10.0, model=cva_stump(1.5))
    assert not shifted.coregistered and abs(shifted.shift_px[1]) == pytest.approx(3, abs=0.2)


def test_change_expected_count_rule() -> None:
    before, after, truth = _change_pair()
    # a confident stump (p 0.0003 off the roof): Σp is then about the roof's 400 px
    stump = dataclasses.replace(cva_stump(1.5), value=np.array([0.0, -8.0, 8.0]), meta={"count_factor": 1.0})
    res = detect_change(before, after, 10.0, ChangeParams(), model=stump)
    assert mask_score(res.mask, truth).f1 > 0.8
    # the rule marks about factor × Σp pixels of the smoothed probabilities
    sp = smooth_probability(res.probability, ChangeParams())
    for factor in (0.5, 1.0, 2.0):
        t = count_threshold(sp, factor)
        assert (sp >= t).sum() == pytest.approx(factor * sp.sum(), abs=2)
    assert (np.zeros_like(sp) >= count_threshold(np.zeros_like(sp), 1.0)).sum() == 0


def test_change_features_shape_and_cva_baseline() -> None:
    before, after, truth = _change_pair()
    f = change_features(before, after)
    assert f.shape == (120, 120, len(CHANGE_FEATURES)) and np.isfinite(f).all()
    res = cva_change(before, after, 10.0, CvaParams(max_change_fraction=0.05))
    assert mask_score(res.mask, truth).f1 > 0.8


def test_segment_statistics_of_two_known_segments() -> None:
    """Two hand-made segments: the left unchanged, the right brightened by 2 in every band."""
    labels = np.zeros((4, 6), np.int64)
    labels[:, 3:] = 1
    before = np.zeros((4, 6, 3), np.float32)
    before[::2] = 1.0  # stripes: the same structure on both dates
    after = before.copy()
    after[:, 3:] += 2.0
    zero = np.zeros((4, 6), np.float32)
    st = segment_statistics(labels, before, after, zero, zero)
    assert set(st) == set(SEGMENT_STATISTICS)
    assert st["size_px"][0, 0] == 12 and st["size_px"][0, 5] == 12
    assert st["cva_mean"][0, 0] == 0 and st["cva_mean"][0, 5] == pytest.approx(2 * math.sqrt(3))
    assert st["cva_std"][0, 5] == pytest.approx(0, abs=1e-3)  # one-pass variance: float rounding
    assert st["brightness_diff"][0, 5] == pytest.approx(2) and st["diff1"][0, 5] == pytest.approx(2)
    assert st["after0"][0, 0] == pytest.approx(0.5) and st["after0"][0, 5] == pytest.approx(2.5)
    assert st["ncc"][0, 5] == pytest.approx(0.25 / 0.30)  # variance 0.25 on both dates, + 0.05
    labels2 = superpixels(before, after, area_px=12, compactness=0.5)
    assert labels2.shape == (4, 6) and labels2.min() == 0


def test_count_splits_rows_of_touching_objects() -> None:
    img = np.full((200, 200, 3), 60.0, np.float32)
    for k in range(4):  # four separate buses, 7 m × 3 m at 0.25 m
        img[20:32, 20 + 40 * k : 68 + 40 * k - 20] = 220
    img[120:132, 10:190] = 220  # a row of touching vehicles, 45 m long: six of 7 m
    df = count_objects(img, 0.25, CountParams(max_length_m=15, max_width_m=6, min_length_m=4, min_area_m2=4))
    groups = df.group_by("group").len()
    assert groups.height == 5 and df.height == 4 + 6
    assert summarise(df)["total"] == df.height


def test_surge_like_tumangang() -> None:
    t0 = datetime(2023, 8, 1, tzinfo=UTC)
    vals = [18, 20, 15, 19, 73]
    series = pl.DataFrame(
        {
            "site": "tumangang",
            "image_id": [f"i{i}" for i in range(5)],
            "sha256": "x",
            "acquired_at": [t0 + timedelta(days=10 * i) for i in range(5)],
            "metric": "railcars",
            "value": [float(v) for v in vals],
        }
    )
    out = flag_surges(series, SurgeParams())
    assert out["surge"].to_list() == [False, False, False, False, True]
    svg = svg_chart(out, "Tumangang railcars")
    assert svg.startswith("<svg") and svg.count("<circle") == 5 and "#d62728" in svg


def test_observation_roundtrip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    obs = Observation(
        "P1888",
        "ab" * 32,
        "analyst1",
        datetime(2023, 10, 5, 12, tzinfo=UTC),
        "count",
        {"total": 50, "size:large": 50},
        "analyst",
    )
    p1 = store_observation(tmp_path, obs)
    p2 = store_observation(tmp_path, obs)
    assert p1 == p2 and p1.parent.name == "observations"
    t = load_observations(tmp_path)
    assert t.num_rows == 1 and t["analyst"][0].as_py() == "analyst1"
    assert load_observations(tmp_path / "none").num_rows == 0
