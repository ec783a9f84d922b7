"""The ship classifier: labelled candidates from the sen2ships ports, leave-one-port-out
evaluation, and the packaged model.

Training rows are the candidates of :func:`.ships.candidate_features` on a port scene. A
candidate is a positive when at least 30 % of its pixels lie in a labelled vessel mask or its
centre is within one pixel of one (a fragment of quay 25 m from a hull is not a ship, although
a detection there would still be scored as one). Scoring follows the issue: after the
threshold, the merging of a vessel's fragments and non-maximum suppression (as in
:func:`.ships.detect_ships`), a detection counts when its centre lies within 30 m of
a labelled vessel's mask, each vessel matched once (:func:`.scoring.match_points_to_masks`).

The decision threshold is never chosen on the port it is applied to: in
:func:`leave_one_port_out` each held-out port's threshold maximises F1 over the other four
ports' own leave-one-out predictions, and the packaged model's threshold maximises F1 over the
five held-out predictions.

Reproduce the packaged model (seeded; needs scikit-learn)::

    darkfleet optical train ships --data ../shared/data
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import ndimage

from darkfleet.imagery.optical import heldout
from darkfleet.imagery.optical.scoring import Score, match_points_to_masks
from darkfleet.imagery.optical.ships import (
    DETECTOR_VERSION,
    FEATURE_NAMES,
    Candidates,
    ShipParams,
    candidate_features,
    merge_fragments,
    non_max_suppression,
    scene_stats,
)
from darkfleet.imagery.optical.trees import TreeEnsemble

PORTS = ("busan", "honolulu", "casablanca", "genoa", "gdynia")
MATCH_M = 30.0  # the criterion: centre within 30 m of a labelled vessel's mask
MODEL_PATH = Path(__file__).resolve().parent / "models" / "ships.json"
DEFAULT_PARAMS = ShipParams()
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.05, 0.951, 0.025))


@dataclass(frozen=True)
class TrainParams:
    """Gradient boosting settings: shallow, strongly regularised trees, because four ports of
    about 3,000 candidates (300 positives) are all a fold trains on. ``seed`` fixes the
    result."""

    max_iter: int = 100
    learning_rate: float = 0.05
    max_depth: int = 3
    min_samples_leaf: int = 30
    l2_regularization: float = 5.0
    seed: int = 0


@dataclass(frozen=True)
class PortCandidates:
    port: str
    candidates: Candidates
    positive: NDArray[np.bool_]
    labels: NDArray[np.int32]  # vessel instance labels of the scene (0 = none)

    @property
    def match_px(self) -> float:
        return MATCH_M / self.candidates.ground_px_m


def label_candidates(c: Candidates, labels: NDArray[np.int32]) -> NDArray[np.bool_]:
    """Training labels of candidates against vessel masks (see the module docstring)."""
    if c.n == 0:
        return np.zeros(0, bool)
    inside = np.bincount(c.labels.ravel(), (labels > 0).ravel(), minlength=c.n + 1)[1:] / np.maximum(
        c.moments["n"], 1
    )
    dist = ndimage.distance_transform_edt(labels == 0)
    h, w = labels.shape
    ri = np.clip(np.round(c.moments["row"]).astype(int), 0, h - 1)
    ci = np.clip(np.round(c.moments["col"]).astype(int), 0, w - 1)
    return np.asarray((inside >= 0.3) | (dist[ri, ci] <= 1.0), bool)


def port_candidates(sen2ships: Path, port: str, params: ShipParams = DEFAULT_PARAMS) -> PortCandidates:
    """Candidates of one sen2ships port with their training labels (reads the band files and
    ``coco_annotations.json``)."""
    from darkfleet.imagery.optical.labels import coco_instance_labels
    from darkfleet.imagery.optical.readers import read_s2_directory
    from darkfleet.imagery.optical.scene import ground_pixel_m

    scene = read_s2_directory(Path(sen2ships) / port)
    labels = coco_instance_labels(Path(sen2ships) / "coco_annotations.json", f"{port}_")
    if labels is None or labels.shape != scene.shape:
        raise ValueError(f"{sen2ships}: no vessel labels of {port} matching its {scene.shape} bands")
    px = ground_pixel_m(scene)
    c = candidate_features(scene.bands, px, scene_stats(scene.bands, params), params)
    return PortCandidates(port, c, label_candidates(c, labels), labels)


def load_ports(
    sen2ships: Path, ports: Sequence[str] = PORTS, params: ShipParams = DEFAULT_PARAMS
) -> list[PortCandidates]:
    """Every port of ``ports`` whose imagery is present."""
    return [port_candidates(sen2ships, p, params) for p in ports if (Path(sen2ships) / p).is_dir()]


def fit(ports: Sequence[PortCandidates], train: TrainParams = TrainParams(), meta: dict | None = None) -> TreeEnsemble:
    """A classifier trained on the candidates of ``ports`` (needs scikit-learn)."""
    from darkfleet.imagery.optical.trees import fit_boosted, from_sklearn

    x = np.vstack([p.candidates.features for p in ports])
    y = np.concatenate([p.positive for p in ports])
    clf = fit_boosted(x, y, train)
    info = {"trained_on": [p.port for p in ports], "train_params": asdict(train), "n_rows": int(y.size)}
    return from_sklearn(clf, FEATURE_NAMES, x, {**info, **(meta or {})})


def detections(
    pc: PortCandidates, score: NDArray[np.float64], threshold: float, params: ShipParams = DEFAULT_PARAMS
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(row, col, score) of the vessels of :func:`.ships.detect_ships`: the candidates at or
    above ``threshold``, merged into vessels (:func:`.ships.merge_fragments`), after
    non-maximum suppression."""
    k = np.flatnonzero(score >= threshold)
    radius_px = params.nms_radius_m / pc.candidates.ground_px_m
    v = merge_fragments(pc.candidates.labels, k, score[k], radius_px)
    m = v.moments
    keep = non_max_suppression(m["row"], m["col"], v.score, radius_px)
    return m["row"][keep], m["col"][keep], v.score[keep]


def port_score(
    pc: PortCandidates, score: NDArray[np.float64], threshold: float, params: ShipParams = DEFAULT_PARAMS
) -> Score:
    r, c, _ = detections(pc, score, threshold, params)
    return match_points_to_masks(r, c, pc.labels, pc.match_px)


def best_threshold(
    ports: Sequence[PortCandidates], scores: Sequence[NDArray[np.float64]], params: ShipParams = DEFAULT_PARAMS
) -> float:
    """The threshold of :data:`THRESHOLDS` with the best pooled F1 (ties: the lower)."""
    return heldout.best_threshold(THRESHOLDS, lambda t: sum(
        (port_score(p, s, t, params) for p, s in zip(ports, scores, strict=True)), Score(0, 0, 0)).f1)


def held_out_scores(ports: Sequence[PortCandidates], train: TrainParams = TrainParams()) -> list[NDArray[np.float64]]:
    """Each port's candidate probabilities from a model trained on the other ports."""
    out = []
    for i, _ in enumerate(ports):
        model = fit([q for j, q in enumerate(ports) if j != i], train)
        out.append(model.predict_proba(ports[i].candidates.features))
    return out


@dataclass(frozen=True)
class FoldResult:
    port: str
    score: Score
    threshold: float


def leave_one_port_out(
    ports: Sequence[PortCandidates], train: TrainParams = TrainParams(), params: ShipParams = DEFAULT_PARAMS
) -> list[FoldResult]:
    """For each port: train on the others, choose the threshold on the others' own
    leave-one-out predictions, and score the held-out port. A model trained without a pair
    of ports serves both ports of the pair (10 + 5 fits for five ports)."""
    folds = heldout.nested_leave_one_out(
        len(ports),
        fit=lambda idx: fit([ports[k] for k in idx], train),
        predict=lambda model, k: model.predict_proba(ports[k].candidates.features),
        choose_threshold=lambda idx, scores: best_threshold([ports[k] for k in idx], scores, params),
    )
    return [FoldResult(held.port, port_score(held, score, threshold, params), threshold)
            for held, (threshold, score) in zip(ports, folds, strict=True)]


def train_packaged_model(
    ports: Sequence[PortCandidates], train: TrainParams = TrainParams(), params: ShipParams = DEFAULT_PARAMS
) -> TreeEnsemble:
    """The model shipped with the package: trained on every port, its threshold the best on
    the ports' held-out predictions."""
    threshold = best_threshold(ports, held_out_scores(ports, train), params)
    return fit(
        ports,
        train,
        {
            "threshold": threshold,
            "detector_version": DETECTOR_VERSION,
            "data": "sen2ships @d8e83c1 coco_annotations.json",
            "candidate_params": {
                k: v for k, v in asdict(params).items() if k not in ("water", "block_px", "halo_px", "workers")
            },
        },
    )


@functools.lru_cache(maxsize=1)
def default_model() -> TreeEnsemble:
    """The packaged classifier (``models/ships.json``)."""
    return TreeEnsemble.load_for(MODEL_PATH, FEATURE_NAMES)
