"""The local engine's batching helpers against their per-row definitions (they are computed per
vessel run or in compiled loops for speed; these properties pin them to the plain formulas)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from darkfleet.engines import kernels
from darkfleet.engines.local import merge_order
from darkfleet.events.kernels import order_ties

vessels = st.lists(st.integers(0, 12), max_size=40).map(lambda v: np.sort(np.asarray(v, np.int64)))


def merge_order_by_rows(carried: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Each carried row goes before the day's rows of its vessel and after its carried rows."""
    order = np.empty(len(carried) + len(day), np.int64)
    order[np.arange(len(carried)) + np.searchsorted(day, carried, side="left")] = np.arange(len(carried))
    order[np.arange(len(day)) + np.searchsorted(carried, day, side="right")] = len(carried) + np.arange(len(day))
    return order


@settings(max_examples=300, deadline=None)
@given(vessels, vessels)
def test_merge_order_matches_the_row_definition(carried: np.ndarray, day: np.ndarray) -> None:
    order = merge_order(carried, day)
    assert np.array_equal(order, merge_order_by_rows(carried, day))
    merged = np.r_[carried, day][order]
    assert np.all(np.diff(merged) >= 0)  # sorted by vessel, carried rows first within one


def windows_by_rows(m: np.ndarray, t: np.ndarray, who: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    out = np.zeros(len(m), bool)
    for i, (v, ti) in enumerate(zip(m, t, strict=True)):
        j = np.flatnonzero(who == v)
        out[i] = len(j) == 1 and lo[j[0]] <= ti < hi[j[0]]
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(-1, 14), st.integers(0, 30)), max_size=60),
       st.lists(st.tuples(st.integers(0, 12), st.integers(0, 30), st.integers(0, 30)), max_size=15))
def test_rows_in_windows_matches_the_row_definition(rows: list[tuple[int, int]],
                                                    windows: list[tuple[int, int, int]]) -> None:
    by_vessel = dict((v, (a, b)) for v, a, b in windows)  # one window per vessel
    who = np.asarray(sorted(by_vessel), np.int64)
    lo = np.asarray([by_vessel[v][0] for v in who], np.int64)
    hi = np.asarray([by_vessel[v][1] for v in who], np.int64)
    m = np.asarray([r[0] for r in rows], np.int64)  # runs of one vessel, vessels in any order
    t = np.asarray([r[1] for r in rows], np.int64)
    assert np.array_equal(kernels.rows_in_windows(m, t, who, lo, hi), windows_by_rows(m, t, who, lo, hi))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3)), max_size=30))
def test_order_ties_matches_the_row_definition(rows: list[tuple[int, int]]) -> None:
    m = np.asarray([r[0] for r in rows], np.int64)
    t = np.asarray([r[1] for r in rows], np.int64)
    ordered, ties = order_ties(m, t)
    assert ordered == (rows == sorted(rows))
    if ordered:
        assert ties.tolist() == [i for i in range(len(rows) - 1) if rows[i] == rows[i + 1]]
