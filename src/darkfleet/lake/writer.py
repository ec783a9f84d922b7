"""Deterministic writing of one source's rows into day partitions, one chunk of input at a time.

An input file is ingested in chunks (consecutive byte ranges, see ``darkfleet.lake.ingest``).
The rows of a chunk are buffered per table; at the end of the chunk they are split by UTC day,
sorted by (mmsi, ts, line) and written in files of at most ``rows_per_file`` rows, named
``part-<source>-<chunk>-<k>``; their ``source`` column is the writer's source id. File names
and contents depend only on the chunk's rows, so a chunk decoded in another process, or again
after a crash, gives the same files; memory is bounded by the size of a chunk.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from darkfleet.ais.bits import arrow, numpy_of, repeated
from darkfleet.lake.store import Lake

US_PER_DAY = 86_400_000_000


@dataclass
class PartitionWriter:
    lake: Lake
    source: str
    rows_per_file: int = 500_000
    rows_written: Counter[str] = field(default_factory=Counter)
    _tables: dict[str, list[pa.Table]] = field(default_factory=dict)

    def add(self, table: str, rows: pa.Table) -> None:
        """Buffer rows of the current chunk (written by ``end_chunk``)."""
        if rows.num_rows:
            self._tables.setdefault(table, []).append(rows)

    @property
    def buffered_rows(self) -> int:
        return sum(t.num_rows for parts in self._tables.values() for t in parts)

    def end_chunk(self, chunk: int) -> None:
        """Write the buffered rows as the files of chunk number ``chunk``."""
        for table in sorted(self._tables):
            rows = pa.concat_tables(self._tables.pop(table)).combine_chunks()
            ts = numpy_of(pc.cast(rows["ts"], pa.int64()))
            day = ts // US_PER_DAY
            # One sort for all days: (day, mmsi, ts, line), then each day is a slice.
            order = sort_order(day, numpy_of(rows["mmsi"]), ts, numpy_of(rows["line"]))
            # The source column is one value: left out of the reordering and put back after it.
            i = rows.schema.get_field_index("source")
            field = rows.schema.field(i)
            rows = rows.remove_column(i).take(arrow(order, pa.int64()))
            rows, day = rows.add_column(i, field, repeated(self.source, rows.num_rows)), day[order]
            cuts = [0, *(np.flatnonzero(np.diff(day)) + 1).tolist(), len(day)]
            # Dictionaries only where values repeat (text columns); numbers compress well without.
            dictionary = [f.name for f in rows.schema if pa.types.is_string(f.type) and f.name != "payload"]
            for lo_day, hi_day in zip(cuts[:-1], cuts[1:], strict=True):
                day_text = str(np.datetime64(int(day[lo_day]), "D"))
                for k, lo in enumerate(range(lo_day, hi_day, self.rows_per_file)):
                    piece = rows.slice(lo, min(self.rows_per_file, hi_day - lo))
                    name = f"part-{self.source}-{chunk:05d}-{k:02d}.parquet"
                    self.lake.write_file(table, day_text, name, piece, dictionary)
                    self.rows_written[table] += piece.num_rows
        self._tables.clear()


def sort_order(day: np.ndarray, mmsi: np.ndarray, ts: np.ndarray, line: np.ndarray) -> np.ndarray:
    """The order of rows by (day, mmsi, ts, line), with ``ts`` in µs and ``day`` = ts // a day.

    Sorted on two packed keys, (day, mmsi) and (time of day, line), when they fit in 64 bits,
    as they do for any real chunk: half the passes of sorting on the four columns.
    """
    if not len(ts):
        return np.zeros(0, dtype=np.int64)
    line_bits = int(line.max() - line.min()).bit_length()
    if mmsi.min() < 0 or mmsi.max() >= 1 << 30 or line_bits > 26:  # (time of day needs 37 bits)
        return np.lexsort((line, ts, mmsi, day))
    return np.lexsort((((ts - day * US_PER_DAY) << line_bits) | (line - line.min()), (day << 30) | mmsi))
