"""Day-partition writer: one chunk at a time, sorted files, names that depend only on the input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from darkfleet.lake import schema
from darkfleet.lake.store import Lake
from darkfleet.lake.writer import US_PER_DAY, PartitionWriter, sort_order


def positions(n: int, start: datetime, step: timedelta, mmsi0: int = 0) -> pa.Table:
    rows = [{"mmsi": mmsi0 + (i * 7919) % 13, "ts": start + i * step, "msg_type": 1, "lon": 1.0, "lat": 2.0,
             "source": "s", "line": i + 1} for i in range(n)]
    return pa.Table.from_pylist(rows, schema=schema.POSITIONS)


def test_rows_land_in_their_utc_day_sorted(tmp_path: Path) -> None:
    w = PartitionWriter(Lake.open(tmp_path), "abc")
    w.add("positions", positions(100, datetime(2023, 8, 15, 20, tzinfo=UTC), timedelta(minutes=5)))
    w.end_chunk(0)
    files = sorted((tmp_path / "positions").rglob("*.parquet"))
    assert [f.parent.name for f in files] == ["day=2023-08-15", "day=2023-08-16"]
    for f in files:
        t = pq.read_table(f).to_pylist()
        keys = [(r["mmsi"], r["ts"]) for r in t]
        assert keys == sorted(keys)
        assert {r["ts"].date().isoformat() for r in t} == {f.parent.name[4:]}
    assert w.rows_written["positions"] == 100


def test_files_follow_the_chunks_and_names_are_deterministic(tmp_path: Path) -> None:
    def run(root: Path) -> dict[str, int]:
        w = PartitionWriter(Lake.open(root), "abc", rows_per_file=50)
        for k in range(5):
            start = datetime(2023, 8, 15, tzinfo=UTC) + timedelta(hours=k)
            w.add("positions", positions(40, start, timedelta(seconds=1)))
            if k % 2:
                assert w.buffered_rows == 80
                w.end_chunk(k // 2)
                assert w.buffered_rows == 0
        w.end_chunk(2)
        return {str(f.relative_to(root)): pq.read_metadata(f).num_rows for f in sorted(root.rglob("*.parquet"))}

    a, b = run(tmp_path / "a"), run(tmp_path / "b")
    assert a == b
    assert sum(a.values()) == 200
    # Two chunks of 80 rows (50 + 30 each) and one of 40, in files named by chunk.
    assert list(a.values()) == [50, 30, 50, 30, 40]
    assert [name.rsplit("/", 1)[1] for name in a] == [
        "part-abc-00000-00.parquet", "part-abc-00000-01.parquet", "part-abc-00001-00.parquet",
        "part-abc-00001-01.parquet", "part-abc-00002-00.parquet"]
    assert all(name.startswith("positions/day=2023-08-15/") for name in a)


def test_sort_order_packed_keys_equal_four_column_sort() -> None:
    """The packed two-key sort gives the four-column order, also across days and equal times;
    out-of-range MMSIs fall back to the four-column sort."""
    rng = np.random.default_rng(7)
    n = 50_000
    ts = 1_692_000_000_000_000 + rng.integers(-3 * US_PER_DAY, 3 * US_PER_DAY, n) // 1_000_000 * 1_000_000
    mmsi = rng.integers(0, 1 << 30, 40)[rng.integers(0, 40, n)]
    line = rng.permutation(n) + 10_000_000
    day = ts // US_PER_DAY
    expected = np.lexsort((line, ts, mmsi, day))
    assert np.array_equal(sort_order(day, mmsi, ts, line), expected)
    mmsi[0] = 5_000_000_000  # not a 30-bit MMSI (a CSV can carry anything)
    assert np.array_equal(sort_order(day, mmsi, ts, line), np.lexsort((line, ts, mmsi, day)))
    assert len(sort_order(day[:0], mmsi[:0], ts[:0], line[:0])) == 0
