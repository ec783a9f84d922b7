"""Nested leave-one-group-out evaluation, shared by the ship and change classifiers.

Each group (a port, a city) is scored by a model trained on the other groups, with a decision
threshold chosen only on those other groups' own leave-one-out predictions. A model trained
without a pair of groups serves both groups of the pair, so n groups take n(n-1)/2 + n fits.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import TypeVar

M = TypeVar("M")
P = TypeVar("P")


def nested_leave_one_out(
    n: int,
    fit: Callable[[list[int]], M],
    predict: Callable[[M, int], P],
    choose_threshold: Callable[[list[int], list[P]], float],
) -> list[tuple[float, P]]:
    """For every group ``i``: (the threshold chosen on the other groups, the prediction of ``i``
    by the model fitted on the other groups). ``fit`` takes group indices, ``predict`` a model
    and the index of the group to predict, ``choose_threshold`` group indices and their
    held-out predictions."""
    without_pair: dict[tuple[int, int], P] = {}
    for i, j in itertools.combinations(range(n), 2):
        model = fit([k for k in range(n) if k not in (i, j)])
        without_pair[(i, j)] = predict(model, j)
        without_pair[(j, i)] = predict(model, i)
    out = []
    for i in range(n):
        rest = [j for j in range(n) if j != i]
        threshold = choose_threshold(rest, [without_pair[(i, j)] for j in rest])
        out.append((threshold, predict(fit(rest), i)))
    return out


def best_threshold(thresholds: Sequence[float], f1: Callable[[float], float]) -> float:
    """The threshold with the best F1 (ties: the first, i.e. the lower)."""
    best_t, best_f1 = thresholds[0], -1.0
    for t in thresholds:
        score = f1(t)
        if score > best_f1 + 1e-12:
            best_t, best_f1 = t, score
    return float(best_t)
