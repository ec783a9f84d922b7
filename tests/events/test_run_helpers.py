"""Fast paths of the run helpers in darkfleet.events.base against the plain versions they replace."""

from __future__ import annotations

import numpy as np
import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from darkfleet.events.base import (
    open_run_since,
    open_since_arrays,
    rows_within_before,
    runs_of,
    same_vessel_as_prev,
    tracks_of,
)


def rows_within_before_full(mmsi: np.ndarray, t_s: np.ndarray, window_s: float, at: np.ndarray) -> np.ndarray:
    """The whole-table formula (one sorted key over every row)."""
    rank = np.cumsum(~same_vessel_as_prev(mmsi)).astype(np.int64)
    key = (rank << 40) + np.round((t_s - t_s.min()) * 1000).astype(np.int64)
    return at - np.searchsorted(key, key[at] - int(window_s * 1000), side="right") + 1  # type: ignore[no-any-return]


@st.composite
def tracks(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(1, 400))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    m = np.sort(rng.integers(0, draw(st.integers(1, 8)), n))
    step = draw(st.sampled_from([60, 600, 3600]))  # seconds; whole minutes make ties likely
    t_us = 1_690_848_000_000_000 + rng.integers(0, 200, n) * step * 1_000_000
    order = np.lexsort((t_us, m))
    return m[order].astype(np.int64), t_us[order]


@settings(max_examples=200, deadline=None)
@given(tracks(), st.sampled_from([600.0, 12 * 3600.0, 1.0]), st.integers(0, 2**32 - 1))
def test_rows_within_before_for_a_few_rows(track: tuple[np.ndarray, np.ndarray], window_s: float, seed: int) -> None:
    m, t_us = track
    t_s = t_us / 1e6
    rng = np.random.default_rng(seed)
    at = np.sort(rng.choice(len(m), size=max(1, len(m) // 20), replace=False))  # few rows: the binary search
    assert np.array_equal(rows_within_before(m, t_s, window_s, at=at), rows_within_before_full(m, t_s, window_s, at))


@settings(max_examples=200, deadline=None)
@given(tracks(), st.integers(0, 2**32 - 1))
def test_open_run_since_matches_open_since_arrays(track: tuple[np.ndarray, np.ndarray], seed: int) -> None:
    m, t_us = track
    tr = tracks_of(pl.DataFrame({"mmsi": m, "ts": pl.Series(t_us).cast(pl.Datetime("us", "UTC")),
                                 "lon": np.zeros(len(m)), "lat": np.zeros(len(m))}))
    active = np.random.default_rng(seed).random(tr.n) < 0.6
    starts, ends = runs_of(tr.same, active)
    who, since = open_run_since(tr, starts, ends)
    who_ref, since_ref = open_since_arrays(tr.key, tr.t_us, active, tr.vessel)
    assert np.array_equal(who, who_ref)
    assert np.array_equal(since, since_ref)
