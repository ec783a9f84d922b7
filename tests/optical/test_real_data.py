"""Accuracy on the real labelled data in ../shared/data/optical (and change/levir).

Measured figures are printed (``pytest -s``) and asserted against the levels measured when the
methods were written, so a regression fails. The issue's floors (ships F1 ≥ 0.85, OSCD F1 ≥ 0.5)
are NOT met by these training-free methods: they are recorded as strict xfails, which fail the
day a better method reaches them, so the floor tests get turned on.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from darkfleet.imagery.optical.change import detect_change
from darkfleet.imagery.optical.count import PRESETS, count_objects
from darkfleet.imagery.optical.labels import coco_instance_labels, read_dota
from darkfleet.imagery.optical.readers import read_rgb, read_s2_directory
from darkfleet.imagery.optical.scene import ground_pixel_m
from darkfleet.imagery.optical.scoring import Score, mask_score, match_points, match_points_to_masks
from darkfleet.imagery.optical.ships import detect_ships

PORTS = ("busan", "honolulu", "casablanca", "genoa", "gdynia")
MATCH_M = 30.0  # the criterion: centre within 30 m of a labelled vessel's mask


def _ship_scores(shared: Path) -> dict[str, Score]:
    base = shared / "optical" / "sen2ships"
    if not base.is_dir():
        pytest.skip(f"{base} is absent")
    out: dict[str, Score] = {}
    for port in PORTS:
        if not (base / port).is_dir():
            continue  # ports whose imagery is absent are skipped, as the README says
        scene = read_s2_directory(base / port)
        labels = coco_instance_labels(base / "coco_annotations.json", f"{port}_")
        assert labels is not None and labels.shape == scene.shape
        px = ground_pixel_m(scene)  # EPSG:3857: 10 Web-Mercator m ≈ 10·cos(lat) m on the ground
        det, _ = detect_ships(scene.bands, px)
        out[port] = match_points_to_masks(det["row"].to_numpy(), det["col"].to_numpy(), labels, MATCH_M / px)
    return out


@pytest.fixture(scope="module")
def ship_scores(shared_data: Path) -> dict[str, Score]:
    return _ship_scores(shared_data)


def test_ships_sen2ships(ship_scores: dict[str, Score]) -> None:
    total = sum(ship_scores.values(), Score(0, 0, 0))
    for port, s in ship_scores.items():
        print(f"ships {port}: {s.as_dict()}")
    print(f"ships overall: {total.as_dict()}")
    assert len(ship_scores) == 5
    assert total.recall >= 0.6 and total.f1 >= 0.19  # measured: R 0.65, F1 0.21


@pytest.mark.xfail(strict=True, reason="issue floor F1 ≥ 0.85 per port not reached by the training-free detector")
def test_ships_floor(ship_scores: dict[str, Score]) -> None:
    assert all(s.f1 >= 0.85 for s in ship_scores.values())


def _dota(shared: Path, image: str, category: str, preset: str) -> tuple[int, int, Score]:
    base = shared / "optical" / "dota"
    if not (base / f"{image}.png").is_file():
        pytest.skip(f"{base / image}.png is absent")
    scene = read_rgb(base / f"{image}.png")
    objs = [o for o in read_dota(base / f"{image}.txt") if o.category == category]
    det = count_objects(scene.rgb(), scene.gsd_m, PRESETS[preset])
    truth = np.array([o.centre_rc for o in objs]).reshape(-1, 2)
    s = match_points(det.select("row", "col").to_numpy(), truth, 5.0 / scene.gsd_m)  # within 5 m
    print(f"count {image} {category}: counted {det.height}, labelled {len(objs)}, {s.as_dict()}")
    return det.height, len(objs), s


def test_dota_bus_depot(shared_data: Path) -> None:
    n, truth, s = _dota(shared_data, "P1888", "large-vehicle", "vehicles")
    assert abs(n - truth) <= 12 and s.f1 >= 0.85  # measured: 40 of 50, F1 0.89


def test_dota_marina(shared_data: Path) -> None:
    n, truth, s = _dota(shared_data, "P0706", "ship", "boats")
    assert s.f1 >= 0.3  # measured: 218 of 531, F1 0.33: packed boats merge


def _read_mask(p: Path) -> np.ndarray:
    a = np.asarray(Image.open(p))
    return (a[..., 0] if a.ndim == 3 else a) > 0


def _rgb(p: Path) -> np.ndarray:
    return np.asarray(Image.open(p))[..., :3]


def _change_pairs(shared: Path, dataset: str) -> list[tuple[str, Path, Path, Path, float]]:
    if dataset == "oscd":
        base = shared / "optical" / "oscd"
        return (
            [
                (c.name, c / "pair/img1.png", c / "pair/img2.png", c / "cm/cm.png", 10.0)
                for c in sorted(base.iterdir())
                if (c / "cm/cm.png").is_file()
            ]
            if base.is_dir()
            else []
        )
    if dataset == "airchange":
        base = shared / "optical" / "airchange"
        return (
            [
                (c.name, c / "im1.png", c / "im2.png", c / "gt.png", 1.5)
                for c in sorted(base.iterdir())
                if (c / "gt.png").is_file()
            ]
            if base.is_dir()
            else []
        )
    base = shared / "change" / "levir"
    return (
        [(f.stem, base / "A" / f.name, base / "B" / f.name, f, 0.5) for f in sorted((base / "label").glob("*.png"))]
        if base.is_dir()
        else []
    )


def _change_score(shared: Path, dataset: str) -> tuple[Score, dict[str, Score]]:
    pairs = _change_pairs(shared, dataset)
    if not pairs:
        pytest.skip(f"no {dataset} pairs under {shared}")
    per: dict[str, Score] = {}
    for name, a, b, gt, px in pairs:
        res = detect_change(_rgb(a), _rgb(b), px)
        per[name] = mask_score(res.mask, _read_mask(gt))
    total = sum(per.values(), Score(0, 0, 0))
    print(
        f"change {dataset}: pooled {total.as_dict()}; mean F1 {np.mean([s.f1 for s in per.values()]):.3f}; "
        + " ".join(f"{k}={v.f1:.2f}" for k, v in per.items())
    )
    return total, per


def test_change_oscd(shared_data: Path) -> None:
    total, _ = _change_score(shared_data, "oscd")
    assert total.f1 >= 0.35  # measured: pooled 0.39, mean 0.30


@pytest.mark.xfail(
    strict=True, reason="issue floor F1 ≥ 0.5 on OSCD not reached by unsupervised change vector analysis"
)
def test_change_oscd_floor(shared_data: Path) -> None:
    total, _ = _change_score(shared_data, "oscd")
    assert total.f1 >= 0.5


def test_change_airchange(shared_data: Path) -> None:
    total, _ = _change_score(shared_data, "airchange")
    assert total.f1 >= 0.15  # measured: 0.21 (Archieve only is staged)


def test_change_levir_with_published_baselines(shared_data: Path) -> None:
    total, per = _change_score(shared_data, "levir")
    base = shared_data / "change" / "levir"
    rows = {
        "darkfleet (CVA, no training)": sum(
            (per[n] for n in per if (base / "predict_CD_BIT" / f"{n}.png").is_file()), Score(0, 0, 0)
        )
    }
    for d in sorted(base.glob("predict_*")):
        s = Score(0, 0, 0)
        for f in sorted(d.glob("*.png")):
            s = s + mask_score(_read_mask(f), _read_mask(base / "label" / f.name))
        rows[d.name.removeprefix("predict_")] = s
    for k, s in rows.items():
        print(f"levir {k}: F1 {s.f1:.3f} P {s.precision:.3f} R {s.recall:.3f}")
    assert all(s.f1 > 0.7 for k, s in rows.items() if not k.startswith("darkfleet"))  # the published models
    assert total.f1 >= 0.01  # measured: 0.02 — CVA sees every roof and shadow change, LEVIR labels buildings only
