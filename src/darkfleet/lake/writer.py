"""Buffered, deterministic writing of one source's rows into day partitions.

Rows are buffered per (table, UTC day) and written in files of up to ``rows_per_file`` rows,
sorted by (mmsi, ts, line); when more than ``max_buffered_rows`` rows are waiting, the biggest
buffers are written early, so memory stays bounded. File names are ``part-<source>-<n>`` with
n counting the files of that table and day: they depend only on the input, so an interrupted
ingest that is run again produces the same files.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from darkfleet.lake.store import Lake

US_PER_DAY = 86_400_000_000


@dataclass
class PartitionWriter:
    lake: Lake
    source: str
    rows_per_file: int = 500_000
    max_buffered_rows: int = 1_000_000
    rows_written: Counter[str] = field(default_factory=Counter)
    _buffers: dict[tuple[str, int], list[pa.Table]] = field(default_factory=dict)
    _buffered: Counter[tuple[str, int]] = field(default_factory=Counter)
    _files: Counter[tuple[str, int]] = field(default_factory=Counter)

    def add(self, table: str, rows: pa.Table) -> None:
        if rows.num_rows == 0:
            return
        day = rows["ts"].combine_chunks().cast(pa.int64()).to_numpy() // US_PER_DAY
        order = np.argsort(day, kind="stable")
        sorted_days = day[order]
        cuts = np.flatnonzero(np.diff(sorted_days)) + 1
        for idx in np.split(order, cuts):
            key = (table, int(day[idx[0]]))
            self._buffers.setdefault(key, []).append(rows.take(pa.array(idx)))
            self._buffered[key] += len(idx)
            if self._buffered[key] >= self.rows_per_file:
                self._flush(key)
        while sum(self._buffered.values()) > self.max_buffered_rows:
            self._flush(max(self._buffered, key=lambda k: self._buffered[k]))

    def close(self) -> None:
        for key in sorted(self._buffers):
            self._flush(key)

    def _flush(self, key: tuple[str, int]) -> None:
        parts = self._buffers.pop(key, [])
        self._buffered.pop(key, None)
        if not parts:
            return
        table, day = key
        rows = pa.concat_tables(parts).sort_by([("mmsi", "ascending"), ("ts", "ascending"), ("line", "ascending")])
        n = self._files[key]
        self._files[key] += 1
        day_text = str(np.datetime64(day, "D"))
        self.lake.write_file(table, day_text, f"part-{self.source}-{n:05d}.parquet", rows)
        self.rows_written[table] += rows.num_rows
