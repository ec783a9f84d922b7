"""Reassembly of multipart AIS messages.

Parts belong together when they share a key: the tag-block group id when the feed gives one
(NMEA 4.0 ``g:part-total-id``), else (sequential message id, channel, source station). Parts
may arrive out of order and interleaved with other traffic. A part that waits more than
``window_lines`` lines for its siblings is given up: its lines go to rejects as an incomplete
message (when a later part with the same key arrives, and at the end of every block, counted
from the block's last line). State carries over from one block of lines to the next, so a
message split across a block boundary is still assembled. The state is small and plain
(``Assembler.snapshot``), so a file can also be decoded in chunks on several processes and the
state handed from one chunk to the next (see ``darkfleet.lake.ingest``).

The common case, all parts of a message on consecutive lines in order, is assembled for the
whole block at once; only the rest goes through the per-part state machine below.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from darkfleet.ais import nmea

Key = tuple[int, int, int, str | None]


@dataclass
class Fragment:
    line: int
    num: int
    total: int
    payload: bytes
    fill: int
    time_us: int
    station: str | None
    text: str


@dataclass
class Assembled:
    """Messages completed in a block: payload bytes, fill bits and provenance of each."""

    payloads: list[bytes] = field(default_factory=list)
    fill: list[int] = field(default_factory=list)
    time_us: list[int] = field(default_factory=list)
    station: list[str | None] = field(default_factory=list)
    line: list[int] = field(default_factory=list)
    n_lines: list[int] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    incomplete: list[tuple[int, str]] = field(default_factory=list)  # (line, text) given up


@dataclass
class Assembler:
    window_lines: int = 1000
    pending: dict[Key, dict[int, Fragment]] = field(default_factory=dict)

    def add_block(self, rec: nmea.Records, rows: np.ndarray) -> tuple[list[np.ndarray], Assembled]:
        """Assemble the multipart sentences ``rows`` of a block (in file order).

        Returns, for each part count t, a (messages, t) array of the record indices of messages
        whose parts are consecutive multipart rows in order (the caller joins those in bulk),
        and the messages the state machine completed from the other rows.
        """
        out = Assembled()
        runs = self._consecutive_runs(rec, rows) if len(rows) else []
        in_run = np.zeros(len(rows), dtype=bool)
        for r in runs:
            in_run[r.ravel()] = True
        self._add_rows(out, rec, rows[~in_run])
        if len(rec) and self.pending:
            self._evict(out, int(rec.line[-1]))
        return [rows[r] for r in runs], out

    def snapshot(self) -> list[tuple[Key, list[tuple[int, Fragment]]]]:
        """The waiting parts, in order: equal snapshots mean equal futures."""
        return [(k, list(parts.items())) for k, parts in self.pending.items()]

    def restore(self, snapshot: list[tuple[Key, list[tuple[int, Fragment]]]], line_offset: int = 0) -> None:
        """Start from a snapshot, its line numbers shifted by ``line_offset``."""
        self.pending = {k: {n: replace(f, line=f.line + line_offset) for n, f in parts}
                        for k, parts in snapshot}

    def flush(self) -> Assembled:
        """Give up every waiting part (end of input)."""
        out = Assembled()
        for parts in self.pending.values():
            out.incomplete.extend((f.line, f.text) for f in parts.values())
        self.pending.clear()
        out.incomplete.sort()
        return out

    def _consecutive_runs(self, rec: nmea.Records, rows: np.ndarray) -> list[np.ndarray]:
        """Positions in ``rows`` of complete messages whose parts 1..t follow one another."""
        total, num = rec.total[rows], rec.num[rows]
        group, seq, chan, station, line = (rec.group[rows], rec.seq[rows], rec.channel[rows],
                                           rec.station_code[rows], rec.line[rows])
        runs = []
        for t in range(2, 10):
            k = np.flatnonzero((total == t) & (num == 1))
            k = k[k + t - 1 < len(rows)]
            ok = np.ones(len(k), dtype=bool)
            for j in range(1, t):
                b = k + j
                same_group = (group[k] >= 0) & (group[k] == group[b])
                same_plain = ((group[k] < 0) & (group[b] < 0) & (seq[k] == seq[b])
                              & (chan[k] == chan[b]) & (station[k] == station[b]))
                ok &= ((total[b] == t) & (num[b] == j + 1) & (same_group | same_plain)
                       & (line[b] - line[k] <= self.window_lines))
            k = k[ok]
            if len(k):
                runs.append(k[:, None] + np.arange(t)[None, :])
        return runs

    def _add_rows(self, out: Assembled, rec: nmea.Records, idx: np.ndarray) -> None:
        """Feed records ``idx`` (in file order) to the state machine, one at a time."""
        if not len(idx):
            return
        raw, names = rec.raw, rec.station_names
        columns = [a[idx].tolist() for a in (rec.line, rec.num, rec.total, rec.payload_start, rec.payload_end,
                                              rec.fill, rec.time_us, rec.station_code, rec.start, rec.end,
                                              rec.group, rec.seq, rec.channel)]
        for line, num, total, p0, p1, fill, time_us, code, a, b, group, seq, channel in zip(*columns, strict=True):
            station = None if code < 0 else names[code]
            frag = Fragment(line, num, total, raw[p0:p1], fill, time_us, station, raw[a:b].decode("utf-8", "replace"))
            self._add(out, frag, (-2, group, total, None) if group >= 0 else (seq, channel, total, station))

    def _add(self, out: Assembled, frag: Fragment, key: Key) -> None:
        parts = self.pending.setdefault(key, {})
        if parts and frag.line - min(f.line for f in parts.values()) > self.window_lines:
            out.incomplete.extend((f.line, f.text) for f in parts.values())  # waited too long
            parts.clear()
        if frag.num in parts:  # the id was reused before the earlier message completed
            out.incomplete.extend((f.line, f.text) for f in parts.values())
            parts.clear()
        parts[frag.num] = frag
        if len(parts) == frag.total:
            del self.pending[key]
            self._emit(out, [parts[n] for n in range(1, frag.total + 1)])

    def _evict(self, out: Assembled, current_line: int) -> None:
        stale = [k for k, parts in self.pending.items()
                 if current_line - min(f.line for f in parts.values()) > self.window_lines]
        for k in stale:
            out.incomplete.extend((f.line, f.text) for f in self.pending.pop(k).values())

    @staticmethod
    def _emit(out: Assembled, parts: list[Fragment]) -> None:
        times = [f.time_us for f in parts if f.time_us >= 0]
        stations = [f.station for f in parts if f.station]
        out.payloads.append(b"".join(f.payload for f in parts))
        out.fill.append(parts[-1].fill)
        out.time_us.append(times[0] if times else -1)
        out.station.append(stations[0] if stations else None)
        out.line.append(min(f.line for f in parts))
        out.n_lines.append(len(parts))
        out.texts.append("\n".join(f.text for f in parts))
