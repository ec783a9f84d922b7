import numpy as np
import pytest

from darkfleet.imagery.sar.cfar import (
    BlockStats,
    CfarParams,
    _box,
    block_geometry,
    block_stats,
    candidate_pixels,
    ring_background,
)
from darkfleet.imagery.sar.clutter_stats import robust_gamma_stats
from darkfleet.imagery.sar.synthetic import ClutterParams, clutter


def test_params_are_validated():
    with pytest.raises(ValueError, match="background_window_m"):
        CfarParams(guard_window_m=800, background_window_m=500)
    with pytest.raises(ValueError, match="pfa"):
        CfarParams(pfa=0.7)


@pytest.mark.parametrize(
    ("row_m", "col_m", "blocks"),
    [(10.0, 10.0, (4, 4)), (13.9, 3.78, (3, 11)), (40.0, 40.0, (1, 1))],
)
def test_windows_are_metres_not_pixels(row_m, col_m, blocks):
    g = block_geometry(CfarParams(), row_m, col_m)
    assert (g.block_rows, g.block_cols) == blocks
    stride_r, stride_c = g.block_rows * row_m, g.block_cols * col_m
    # the guard box covers half the guard window plus one stride on the ground, on both axes
    assert g.guard_radius_rows * stride_r + stride_r / 2 >= 250 + stride_r - 1e-9
    assert g.guard_radius_cols * stride_c + stride_c / 2 >= 250 + stride_c - 1e-9
    assert g.outer_radius_rows > g.guard_radius_rows


def test_box_sums_match_brute_force():
    rng = np.random.default_rng(0)
    a = rng.random((13, 17)).astype(np.float32)
    out_big, out_small = _box(a, 3, 2), _box(a, 1, 1)
    for (r, c), out in (((3, 2), out_big), ((1, 1), out_small)):
        for i in range(13):
            for j in range(17):
                ref = a[max(i - r, 0) : i + r + 1, max(j - c, 0) : j + c + 1].sum()
                assert out[i, j] == pytest.approx(ref, rel=1e-5)


def test_block_stats_with_partial_blocks_and_nan():
    rng = np.random.default_rng(1)
    x = rng.random((10, 9)).astype(np.float32)
    x[2, 3] = np.nan
    s = block_stats(x, 4, 4)
    assert s.total.shape == (3, 3)
    assert s.count[0, 0] == 15 and s.count[0, 1] == 16  # the NaN is at (2, 3)
    assert s.count[0, 2] == 4 and s.count[2, 2] == 2  # partial edge blocks
    assert s.total[0, 0] == pytest.approx(np.nansum(x[0:4, 0:4]), rel=1e-6)
    assert s.total_sq[2, 0] == pytest.approx((x[8:10, 0:4] ** 2).sum(), rel=1e-6)
    assert s.peak[1, 1] == np.nanmax(x[4:8, 4:8])


def test_gamma_cfar_false_alarm_rate_near_nominal():
    params = CfarParams(pfa=1e-4)
    x = clutter((2048, 2048), ClutterParams(0.02, 4.4, None), seed=3)
    g = block_geometry(params, 10.0, 10.0)
    s = block_stats(x, g.block_rows, g.block_cols)
    bg = ring_background(s, g, params, robust_gamma_stats(x))
    rows, _, _ = candidate_pixels(x, s, bg, g.block_rows, g.block_cols)
    rate = rows.size / x.size
    assert 0.3e-4 < rate < 3e-4, rate  # within a factor 3 of nominal in homogeneous speckle


def test_censoring_keeps_a_neighbour_from_hiding_a_target():
    x = clutter((400, 400), ClutterParams(0.02, 4.4, None), seed=4)
    x[200:203, 200:210] = 2.0  # a very bright ship
    x[200:202, 236:240] = 0.3  # a dim one 300 m away, inside the bright one's ring
    params = CfarParams()
    g = block_geometry(params, 10.0, 10.0)
    s = block_stats(x, g.block_rows, g.block_cols)
    found = {}
    for censor in (False, True):
        p = CfarParams(censor=censor)
        bg = ring_background(s, g, p, robust_gamma_stats(x))
        _, cols, _ = candidate_pixels(x, s, bg, g.block_rows, g.block_cols)
        found[censor] = bool(((cols >= 236) & (cols < 240)).any())
    assert found == {False: False, True: True}


def test_robust_stats_ignore_bright_targets():
    x = clutter((300, 300), ClutterParams(0.05, 4.4, None), seed=5)
    x[:, :100] *= 1000  # a third of the image is target
    mean, var = robust_gamma_stats(x[:, 100:])
    assert mean == pytest.approx(0.05, rel=0.05)
    assert mean * mean / var == pytest.approx(4.4, rel=0.15)
    mean_c, _ = robust_gamma_stats(x)
    assert mean_c < 0.05 * 3  # the plain mean would be ~330 times the sea


def test_blockstats_dataclass_is_plain():
    s = BlockStats(
        np.zeros((1, 1)), np.zeros((1, 1)), np.zeros((1, 1), np.float32), np.ones((1, 1))
    )
    assert s.count[0, 0] == 1
