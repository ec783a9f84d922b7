"""Accuracy on the 155 real OpenSARShip ships (Sentinel-1 chips matched to AIS).

Floors from the issue: recall ≥ 0.95, length MAE ≤ 15 m against AIS length; mosaic precision
and recall ≥ 0.95. The dataset's own manual SAR lengths are the baseline to compare with.
"""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from darkfleet.imagery.sar.attributes import AttributeParams
from darkfleet.imagery.sar.detect import DetectorParams, detect, find_targets, measure
from darkfleet.imagery.sar.image import SarImage
from darkfleet.imagery.sar.opensarship import (
    iter_scene_zips,
    list_chips,
    read_chip,
    read_scene_metadata,
    read_ships_table,
)
from darkfleet.imagery.sar.synthetic import chip_mosaic


@pytest.fixture(scope="module")
def chip_results(opensarship_dir):
    """One row per ship: the detection nearest the chip centre (if on the ship)."""
    ships = read_ships_table(opensarship_dir / "ships.csv")
    out, images, measured = [], [], []
    for z in iter_scene_zips(opensarship_dir):
        meta = read_scene_metadata(z)
        for chip in list_chips(z):
            s = ships.filter(
                (pl.col("SAR_Center_x") == chip.centre_col)
                & (pl.col("SAR_Center_y") == chip.centre_row)
                & (pl.col("sar_ts").dt.date() == meta.first_line_time.date())
            )
            assert s.height == 1, chip.member
            ship = s.row(0, named=True)
            img = read_chip(chip, meta, band="VV", incidence_deg=ship["SAR_Incidence"])
            images.append((meta.product_type, img))
            targets = find_targets(img, DetectorParams())
            d = measure(img, targets, DetectorParams())
            h, w = img.shape
            rec = {
                "scene": meta.product_id,
                "product": meta.product_type,
                "ais_length_m": ship["AIS_Length"] or None,
                "manual_length_m": ship["SAR_Manual_Length"],
                "ais_heading_deg": ship["ais_heading_deg"],
                "detected": False,
            }
            if d.height:
                dist = np.hypot(
                    (d["row"].to_numpy() - h // 2) * img.row_spacing_m,
                    (d["col"].to_numpy() - w // 2) * img.col_spacing_m,
                )
                i = int(np.argmin(dist))
                # on the ship: within half its length (plus the AIS-chip registration slack)
                if dist[i] <= max(60.0, 0.5 * (ship["AIS_Length"] or 0) + 30.0):
                    rec |= {
                        "detected": True,
                        "length_m": d["length_m"][i],
                        "heading_deg": d["heading_deg"][i],
                    }
            out.append(rec)
            measured.append((img, targets))
    return pl.DataFrame(out), images, measured


def test_all_155_ships_are_read(chip_results):
    df, *_ = chip_results
    assert df.height == 155


def test_detection_recall(chip_results):
    df, *_ = chip_results
    recall = df["detected"].mean()
    print(f"recall {recall:.3f} ({df['detected'].sum()}/{df.height})")
    assert recall >= 0.95  # measured 0.987 (153/155)


def test_length_error_against_ais(chip_results):
    df, *_ = chip_results
    v = df.filter(pl.col("detected") & pl.col("ais_length_m").is_not_null())
    err = (v["length_m"] - v["ais_length_m"]).abs()
    manual = (v["manual_length_m"] - v["ais_length_m"]).abs()
    print(
        f"length vs AIS on {v.height} ships: MAE {err.mean():.1f} m, median {err.median():.1f} m; "
        f"dataset manual SAR length MAE {manual.mean():.1f} m, median {manual.median():.1f} m"
    )
    assert err.mean() <= 15.0  # measured 14.2 m (manual: 16.9 m); out of sample: see below
    assert err.median() <= 12.0  # measured 10.1 m
    for product in ("GRD", "SLC"):
        e = err.filter(v["product"] == product)
        print(f"  {product}: MAE {e.mean():.1f} m on {e.len()} ships")
        assert e.mean() <= 20.0, product  # measured GRD 12.6 m, SLC 16.2 m


def test_heading_error_mod_180(chip_results):
    df, *_ = chip_results
    v = df.filter(pl.col("detected") & pl.col("ais_heading_deg").is_not_null())
    diff = (v["heading_deg"] - v["ais_heading_deg"]).to_numpy() % 180.0
    err = np.minimum(diff, 180.0 - diff)
    print(
        f"heading error mod 180 on {v.height} ships: median {np.median(err):.1f}°, "
        f"mean {err.mean():.1f}°, within 20°: {(err < 20).mean():.2f}"
    )
    assert np.median(err) <= 8.0  # measured 3.8°
    assert (err < 20).mean() >= 0.8  # measured 0.88


@pytest.mark.parametrize("product", ["GRD", "SLC"])
def test_mosaic_precision_and_recall(chip_results, product):
    """Chips pasted into clutter matched to their own sea: a detection in the clutter is a
    false alarm; one at a chip centre is a hit. Other detections inside a chip (other vessels,
    sidelobes of very bright ships — unlabelled in the dataset) are counted apart."""
    _, images, _ = chip_results
    imgs = [img for p, img in images if p == product]
    mosaic, place = chip_mosaic([i.sigma0 for i in imgs], seed=1)
    rm = float(np.median([i.row_spacing_m for i in imgs]))
    cm = float(np.median([i.col_spacing_m for i in imgs]))
    d = detect(SarImage(mosaic, rm, cm))
    r, c = d["row"].to_numpy(), d["col"].to_numpy()
    in_chip = np.zeros(d.height, bool)
    hits = 0
    for _, r0, c0, h, w, cr, cc in place.iter_rows():
        inside = (r >= r0) & (r < r0 + h) & (c >= c0) & (c < c0 + w)
        in_chip |= inside
        dist = np.hypot((r - cr) * rm, (c - cc) * cm)
        hits += bool((inside & (dist <= max(60.0, 0.25 * min(h * rm, w * cm)))).any())
    false_alarms = int((~in_chip).sum())
    recall = hits / place.height
    precision = hits / (hits + false_alarms)
    print(
        f"{product} mosaic {mosaic.shape}: recall {recall:.3f}, precision {precision:.3f}, "
        f"false alarms {false_alarms}, other in-chip detections {int(in_chip.sum()) - hits}"
    )
    assert recall >= 0.95 and precision >= 0.95


# The hull-level parameters that length depends on, over a range wide enough that tuning matters
# (MAE 14.4–25 m across it); the defaults (3 dB, 0.75) are in it.
LENGTH_GRID = [
    AttributeParams(extent_below_reference_db=db, extent_reference_quantile=q)
    for db in (2.0, 3.0, 4.0, 6.0)
    for q in (0.5, 0.75, 0.9)
]


def test_length_leave_one_scene_out(chip_results):
    """Honest length accuracy: for each of the six scenes, the length parameters are tuned
    (lowest MAE over LENGTH_GRID) on the other five and the held-out scene's ships are scored
    with them; every ship is scored once, by parameters that never saw its scene."""
    df, _, measured = chip_results
    rows = []
    for k, ap in enumerate(LENGTH_GRID):
        params = DetectorParams(attributes=ap)
        for ship, (img, targets) in enumerate(measured):
            d = measure(img, targets, params)
            rec = df.row(ship, named=True)
            if not d.height or rec["ais_length_m"] is None:
                continue
            h, w = img.shape
            dist = np.hypot(
                (d["row"].to_numpy() - h // 2) * img.row_spacing_m,
                (d["col"].to_numpy() - w // 2) * img.col_spacing_m,
            )
            i = int(np.argmin(dist))
            if dist[i] <= max(60.0, 0.5 * rec["ais_length_m"] + 30.0):
                rows.append((k, ship, rec["scene"], abs(d["length_m"][i] - rec["ais_length_m"])))
    err = pl.DataFrame(rows, schema=["variant", "ship", "scene", "err"], orient="row")
    held_out, lines = [], []
    for scene in sorted(err["scene"].unique()):
        train = err.filter(pl.col("scene") != scene).group_by("variant").agg(pl.col("err").mean())
        best = train.sort(["err", "variant"]).row(0, named=True)
        test = err.filter((pl.col("scene") == scene) & (pl.col("variant") == best["variant"]))
        held_out.append(test)
        ap = LENGTH_GRID[best["variant"]]
        lines.append(
            f"  {scene[:33]}: tuned ({ap.extent_below_reference_db:g} dB, q {ap.extent_reference_quantile:g}) "
            f"train MAE {best['err']:.1f} m, held-out MAE {test['err'].mean():.1f} m on {test.height}"
        )
    loso = pl.concat(held_out)
    in_sample = err.group_by("variant").agg(pl.col("err").mean())["err"].min()
    print(
        f"length leave-one-scene-out: MAE {loso['err'].mean():.1f} m, median {loso['err'].median():.1f} m "
        f"on {loso.height} ships (best in-sample over the grid {in_sample:.1f} m)\n" + "\n".join(lines)
    )
    assert loso["ship"].n_unique() == loso.height >= 140
    assert loso["err"].mean() <= 15.0  # measured 14.2 m
