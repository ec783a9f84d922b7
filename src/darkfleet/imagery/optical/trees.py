"""Gradient-boosted trees as plain arrays: trained with scikit-learn, stored as JSON, evaluated
with NumPy.

The learned optical classifiers (ships at berth, change masks) are binary gradient-boosted tree
ensembles. Training uses scikit-learn's ``HistGradientBoostingClassifier`` (fast on millions of
pixels); :func:`from_sklearn` copies the fitted trees into a :class:`TreeEnsemble` — node
arrays, no pickle — and checks on the training rows that the copy reproduces scikit-learn's
probabilities. Inference needs only NumPy, so the package runs without scikit-learn and a
stored model does not depend on the scikit-learn version that trained it (which is recorded in
``meta``).

Model: ``p = sigmoid(bias + Σ_trees leaf_value(x))``; at an internal node a row goes left when
``x[feature] <= threshold`` (a NaN goes where ``missing_left`` says).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

FORMAT = "darkfleet-trees-1"


@dataclass(frozen=True)
class TreeEnsemble:
    """All trees' nodes concatenated; ``left``/``right`` are absolute node indices, leaves have
    ``feature == -1``; ``roots`` the first node of each tree."""

    feature_names: tuple[str, ...]
    bias: float
    feature: NDArray[np.int32]
    threshold: NDArray[np.float64]
    missing_left: NDArray[np.bool_]
    left: NDArray[np.int32]
    right: NDArray[np.int32]
    value: NDArray[np.float64]
    roots: NDArray[np.int32]
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = self.feature.size
        for name in ("threshold", "missing_left", "left", "right", "value"):
            if getattr(self, name).shape != (n,):
                raise ValueError(f"trees: {name} has shape {getattr(self, name).shape}, expected ({n},)")
        internal = self.feature >= 0
        if internal.any() and (self.feature[internal].max() >= len(self.feature_names)):
            raise ValueError("trees: a node uses a feature index beyond feature_names")
        for name in ("left", "right"):
            a = getattr(self, name)[internal]
            if a.size and (a.min() < 0 or a.max() >= n):
                raise ValueError(f"trees: {name} child index out of range")

    @property
    def n_trees(self) -> int:
        return int(self.roots.size)

    @property
    def depth(self) -> int:
        """Longest root-to-leaf path (edges)."""
        d = np.zeros(self.feature.size, np.int32)
        best = 0
        for i in range(self.feature.size):  # children always come after their parent
            if self.feature[i] >= 0:
                d[self.left[i]] = d[self.right[i]] = d[i] + 1
                best = max(best, int(d[i]) + 1)
        return best

    def decision_function(self, x: NDArray[np.floating], chunk_rows: int = 65_536) -> NDArray[np.float64]:
        """Raw score (log-odds) of each row of ``x`` (rows × features, in ``feature_names`` order)."""
        x = np.asarray(x)
        if x.ndim != 2 or x.shape[1] != len(self.feature_names):
            raise ValueError(f"expected (rows, {len(self.feature_names)}) features, got {x.shape}")
        out = np.empty(x.shape[0], np.float64)
        depth = self.depth
        feat = np.where(self.feature >= 0, self.feature, 0)
        leaf = self.feature < 0
        for a in range(0, x.shape[0], chunk_rows):
            xc = x[a : a + chunk_rows]
            rows = np.arange(xc.shape[0])[:, None]
            node = np.broadcast_to(self.roots, (xc.shape[0], self.roots.size)).copy()
            for _ in range(depth):
                v = xc[rows, feat[node]]
                go_left = (v <= self.threshold[node]) | (np.isnan(v) & self.missing_left[node])
                nxt = np.where(go_left, self.left[node], self.right[node])
                node = np.where(leaf[node], node, nxt)
            out[a : a + chunk_rows] = self.bias + self.value[node].sum(1)
        return out

    def predict_proba(self, x: NDArray[np.floating]) -> NDArray[np.float64]:
        """Probability of the positive class for each row."""
        return 1.0 / (1.0 + np.exp(-self.decision_function(x)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "feature_names": list(self.feature_names),
            "bias": self.bias,
            "roots": self.roots.tolist(),
            "feature": self.feature.tolist(),
            "threshold": [float(t) for t in self.threshold],
            "missing_left": [int(m) for m in self.missing_left],
            "left": self.left.tolist(),
            "right": self.right.tolist(),
            "value": [float(v) for v in self.value],
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> TreeEnsemble:
        if doc.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} model (format {doc.get('format')!r})")
        return cls(
            feature_names=tuple(doc["feature_names"]),
            bias=float(doc["bias"]),
            feature=np.asarray(doc["feature"], np.int32),
            threshold=np.asarray(doc["threshold"], np.float64),
            missing_left=np.asarray(doc["missing_left"], bool),
            left=np.asarray(doc["left"], np.int32),
            right=np.asarray(doc["right"], np.int32),
            value=np.asarray(doc["value"], np.float64),
            roots=np.asarray(doc["roots"], np.int32),
            meta=dict(doc.get("meta", {})),
        )

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), separators=(",", ":")) + "\n")

    @classmethod
    def load(cls, path: str | Path) -> TreeEnsemble:
        p = Path(path)
        try:
            return cls.from_dict(json.loads(p.read_text()))
        except (OSError, ValueError, KeyError) as exc:
            raise ValueError(f"{p}: not a readable tree model ({exc})") from exc

    @classmethod
    def load_for(cls, path: str | Path, feature_names: Sequence[str]) -> TreeEnsemble:
        """:meth:`load`, refusing a model trained on other features than ``feature_names``."""
        model = cls.load(path)
        if tuple(model.feature_names) != tuple(feature_names):
            raise ValueError(f"{path}: trained on other features than this version computes; retrain it")
        return model


def fit_boosted(x: NDArray[np.floating], y: NDArray[np.bool_], params: Any) -> Any:
    """A seeded ``HistGradientBoostingClassifier`` fitted to ``x``, ``y`` (needs scikit-learn).

    ``params``: a training-settings dataclass whose fields ``max_iter``, ``learning_rate``,
    ``max_depth``, ``min_samples_leaf``, ``l2_regularization``, ``seed`` and, optionally,
    ``max_leaf_nodes`` are scikit-learn's; no early stopping, so the result depends on the seed only.
    """
    from sklearn.ensemble import HistGradientBoostingClassifier

    optional = {"max_leaf_nodes": params.max_leaf_nodes} if hasattr(params, "max_leaf_nodes") else {}
    clf = HistGradientBoostingClassifier(
        max_iter=params.max_iter,
        learning_rate=params.learning_rate,
        max_depth=params.max_depth,
        min_samples_leaf=params.min_samples_leaf,
        l2_regularization=params.l2_regularization,
        early_stopping=False,
        random_state=params.seed,
        **optional,
    )
    clf.fit(x, y)
    return clf


def from_sklearn(
    clf: Any, feature_names: tuple[str, ...], x_check: NDArray[np.floating], meta: dict[str, Any] | None = None
) -> TreeEnsemble:
    """A fitted binary ``HistGradientBoostingClassifier`` as a :class:`TreeEnsemble`; raises
    if the copy's probabilities on ``x_check`` differ from scikit-learn's (the copy reads the
    fitted trees' node arrays, which scikit-learn does not promise to keep stable)."""
    import sklearn

    if list(getattr(clf, "classes_", [])) != [False, True] and list(getattr(clf, "classes_", [])) != [0, 1]:
        raise ValueError(f"expected a binary classifier with classes [0, 1], got {getattr(clf, 'classes_', None)}")
    predictors = clf._predictors  # list (iterations) of [TreePredictor] for a binary problem
    feats, thr, miss, lefts, rights, vals, roots = [], [], [], [], [], [], []
    base = 0
    for it in predictors:
        if len(it) != 1:
            raise ValueError("expected one tree per boosting iteration (binary classification)")
        nodes = it[0].nodes
        if np.any(nodes["is_categorical"]):
            raise ValueError("categorical splits are not supported")
        is_leaf = nodes["is_leaf"].astype(bool)
        roots.append(base)
        feats.append(np.where(is_leaf, -1, nodes["feature_idx"]).astype(np.int32))
        thr.append(np.where(is_leaf, 0.0, nodes["num_threshold"]).astype(np.float64))
        miss.append(nodes["missing_go_to_left"].astype(bool))
        lefts.append(np.where(is_leaf, -1, nodes["left"] + base).astype(np.int32))
        rights.append(np.where(is_leaf, -1, nodes["right"] + base).astype(np.int32))
        vals.append(np.where(is_leaf, nodes["value"], 0.0).astype(np.float64))
        base += len(nodes)
    model = TreeEnsemble(
        feature_names=tuple(feature_names),
        bias=float(np.ravel(clf._baseline_prediction)[0]),
        feature=np.concatenate(feats),
        threshold=np.concatenate(thr),
        missing_left=np.concatenate(miss),
        left=np.concatenate(lefts),
        right=np.concatenate(rights),
        value=np.concatenate(vals),
        roots=np.asarray(roots, np.int32),
        meta={"trained_with": f"scikit-learn {sklearn.__version__}", **(meta or {})},
    )
    ours = model.predict_proba(x_check)
    theirs = clf.predict_proba(x_check)[:, 1]
    if not np.allclose(ours, theirs, atol=1e-9):
        raise RuntimeError(
            f"exported trees disagree with scikit-learn {sklearn.__version__} "
            f"(max |Δp| {np.abs(ours - theirs).max():.2e}); the node layout may have changed"
        )
    return model
