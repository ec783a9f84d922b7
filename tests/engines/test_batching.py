"""The local engine's batching helpers against their per-row definitions (they are computed per
vessel run for speed; these properties pin them to the plain formulas)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from darkfleet.engines.local import merge_order
from darkfleet.engines.steps import run_searchsorted

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


@settings(max_examples=300, deadline=None)
@given(vessels, st.lists(st.integers(-1, 14), max_size=60), st.sampled_from(["left", "right"]))
def test_run_searchsorted_is_searchsorted(haystack: np.ndarray, values: list[int], side: str) -> None:
    v = np.asarray(values, np.int64)  # runs of equal values, in any order
    assert np.array_equal(run_searchsorted(haystack, v, side), np.searchsorted(haystack, v, side=side))  # type: ignore[call-overload]
