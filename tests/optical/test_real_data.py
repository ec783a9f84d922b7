"""Accuracy on the real labelled data in ../shared/data/optical (and change/levir).

Measured figures are printed (``pytest -s``) and asserted against the levels measured when the
methods were written, so a regression fails. The learned classifiers are scored on data they
were not trained on: ships leave-one-port-out, change leave-one-city-out, each fold's threshold
chosen on the other ports / cities only (the training runs inside these tests). The issue's
floor for ships (F1 ≥ 0.85) is not met: it is recorded as a strict xfail with the measured
figures, which fails the day a better method reaches it, so the floor test gets turned on. The
OSCD floor (F1 ≥ 0.5) is met and tested.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from darkfleet.imagery.optical import change_model as cm
from darkfleet.imagery.optical import ship_model as sm
from darkfleet.imagery.optical.change import cva_change, detect_change
from darkfleet.imagery.optical.count import PRESETS, count_objects
from darkfleet.imagery.optical.labels import read_dota
from darkfleet.imagery.optical.readers import read_rgb
from darkfleet.imagery.optical.scoring import Score, mask_score, match_points, match_points_to_masks

pytest.importorskip("sklearn", reason="the held-out evaluations train models with scikit-learn")


@pytest.fixture(scope="module")
def ports(shared_data: Path) -> list[sm.PortCandidates]:
    base = shared_data / "optical" / "sen2ships"
    if not base.is_dir():
        pytest.skip(f"{base} is absent")
    return sm.load_ports(base)  # ports whose imagery is absent are skipped, as the README says


@pytest.fixture(scope="module")
def ship_folds(ports: list[sm.PortCandidates]) -> list[sm.FoldResult]:
    return sm.leave_one_port_out(ports)


def test_ship_candidates_keep_most_vessels(ports: list[sm.PortCandidates]) -> None:
    """The candidate generator is the recall ceiling: every candidate kept, one per vessel."""
    total = Score(0, 0, 0)
    for p in ports:
        m = p.candidates.moments
        s = match_points_to_masks(m["row"], m["col"], p.labels, p.match_px)
        print(f"candidates {p.port}: {p.candidates.n} candidates, {s.tp} of {s.tp + s.fn} vessels reachable")
        total = total + s
    assert len(ports) == 5
    assert total.recall >= 0.85  # measured: 116 of 130 (0.89)


def test_ships_leave_one_port_out(ship_folds: list[sm.FoldResult]) -> None:
    total = sum((f.score for f in ship_folds), Score(0, 0, 0))
    for f in ship_folds:
        print(f"ships held out {f.port} (threshold {f.threshold:.3f} from the other ports): {f.score.as_dict()}")
    print(f"ships held out overall: {total.as_dict()}")
    assert len(ship_folds) == 5
    # measured: P 0.34, R 0.36, F1 0.35 (47 TP, 93 FP, 83 FN); before a vessel's fragments were
    # merged into one detection: P 0.28, R 0.31, F1 0.29 (training-free detector: F1 0.21)
    assert total.f1 >= 0.34


@pytest.mark.xfail(strict=True, reason="issue floor F1 ≥ 0.85 not reached: held-out F1 0.35 (per port 0.24–0.49)")
def test_ships_floor(ship_folds: list[sm.FoldResult]) -> None:
    total = sum((f.score for f in ship_folds), Score(0, 0, 0))
    assert total.f1 >= 0.85


def test_packaged_ship_model_reproduces(ports: list[sm.PortCandidates]) -> None:
    """``darkfleet optical train ships`` (seeded) rebuilds the shipped model from the data."""
    shipped = sm.default_model()
    rebuilt = sm.train_packaged_model(ports)
    x = np.vstack([p.candidates.features for p in ports])
    assert rebuilt.meta["threshold"] == shipped.meta["threshold"]
    assert np.allclose(rebuilt.predict_proba(x), shipped.predict_proba(x), atol=1e-9)


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


def _rgb(p: Path) -> np.ndarray:
    return np.asarray(Image.open(p))[..., :3]


def _change_pairs(shared: Path, dataset: str) -> list[tuple[str, Path, Path, Path, float]]:
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


def _packaged_scores(shared: Path, dataset: str) -> tuple[dict[str, Score], dict[str, Score]]:
    """The packaged (OSCD-trained) model and the training-free CVA on a dataset it never saw."""
    pairs = _change_pairs(shared, dataset)
    if not pairs:
        pytest.skip(f"no {dataset} pairs under {shared}")
    learned: dict[str, Score] = {}
    cva: dict[str, Score] = {}
    for name, a, b, gt, px in pairs:
        before, after, truth = _rgb(a), _rgb(b), cm.read_mask(gt)
        learned[name] = mask_score(detect_change(before, after, px).mask, truth)
        cva[name] = mask_score(cva_change(before, after, px).mask, truth)
    for tag, per in (("learned (OSCD-trained)", learned), ("CVA (no training)", cva)):
        total = sum(per.values(), Score(0, 0, 0))
        print(f"change {dataset} {tag}: pooled {total.as_dict()}; mean F1 {np.mean([s.f1 for s in per.values()]):.3f}")
    return learned, cva


@pytest.fixture(scope="module")
def oscd(shared_data: Path) -> list[cm.Pair]:
    items = cm.oscd_pairs(shared_data / "optical" / "oscd")
    if not items:
        pytest.skip(f"no OSCD pairs under {shared_data}")
    return cm.load_pairs(items)


@pytest.fixture(scope="module")
def oscd_folds(oscd: list[cm.Pair]) -> list[cm.CityResult]:
    return cm.leave_one_city_out(oscd)[0]


def test_change_oscd_leave_one_city_out(oscd_folds: list[cm.CityResult], shared_data: Path) -> None:
    total = sum((r.score for r in oscd_folds), Score(0, 0, 0))
    for r in oscd_folds:
        print(
            f"change OSCD held out {r.name} (count factor {r.factor} from the other cities, threshold "
            f"{r.threshold:.3f}): {r.score.as_dict()}"
        )
    cva = Score(0, 0, 0)
    for _name, a, b, gt in cm.oscd_pairs(shared_data / "optical" / "oscd"):
        cva = cva + mask_score(cva_change(_rgb(a), _rgb(b), 10.0).mask, cm.read_mask(gt))
    print(f"change OSCD held out pooled: {total.as_dict()}; mean F1 {np.mean([r.score.f1 for r in oscd_folds]):.3f}")
    print(f"change OSCD CVA (no training) pooled: {cva.as_dict()}")
    assert len(oscd_folds) == 6
    # measured: pooled 0.514 (P 0.50, R 0.53), mean 0.389; without the superpixel features
    # (optical-change-3) pooled 0.465, mean 0.357 (CVA 0.39)
    assert total.f1 >= 0.5
    assert cva.f1 >= 0.35  # measured: 0.39


def test_change_oscd_floor(oscd_folds: list[cm.CityResult]) -> None:
    """The issue's floor: held-out pooled F1 ≥ 0.5 (measured 0.514)."""
    total = sum((r.score for r in oscd_folds), Score(0, 0, 0))
    assert total.f1 >= 0.5


def test_change_airchange(shared_data: Path) -> None:
    learned, cva = _packaged_scores(shared_data, "airchange")
    # measured: 0.245 (optical-change-3: 0.156); trained on 10 m OSCD, this is 1.5 m
    assert sum(learned.values(), Score(0, 0, 0)).f1 >= 0.2
    assert sum(cva.values(), Score(0, 0, 0)).f1 >= 0.15  # measured: 0.21 (Archieve only is staged)


def test_change_levir_with_published_baselines(shared_data: Path) -> None:
    learned, cva = _packaged_scores(shared_data, "levir")
    base = shared_data / "change" / "levir"
    scored = [n for n in learned if (base / "predict_CD_BIT" / f"{n}.png").is_file()]
    rows = {
        "darkfleet learned (OSCD-trained, 10 m)": sum((learned[n] for n in scored), Score(0, 0, 0)),
        "darkfleet CVA (no training)": sum((cva[n] for n in scored), Score(0, 0, 0)),
    }
    for d in sorted(base.glob("predict_*")):
        s = Score(0, 0, 0)
        for f in sorted(d.glob("*.png")):
            s = s + mask_score(cm.read_mask(f), cm.read_mask(base / "label" / f.name))
        rows[d.name.removeprefix("predict_")] = s
    for k, s in rows.items():
        print(f"levir {k}: F1 {s.f1:.3f} P {s.precision:.3f} R {s.recall:.3f}")
    assert all(s.f1 > 0.7 for k, s in rows.items() if not k.startswith("darkfleet"))  # the published models
    # Neither darkfleet method was trained on 0.5 m building change: LEVIR labels buildings only.
    # measured: 0.031 (CVA 0.025); optical-change-3: 0.073. Likely cause, not verified: the
    # superpixels (50 and 200 px) are blocks and plots at 10 m but parts of one roof at 0.5 m.
    assert rows["darkfleet learned (OSCD-trained, 10 m)"].f1 >= 0.02
