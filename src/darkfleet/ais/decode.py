"""Decode blocks of NMEA text into the lake's tables, accounting for every line.

``Decoder.decode_block`` takes a block of complete lines and returns the rows of every table
plus the rejected lines with their reasons; state that spans blocks (multipart messages still
waiting for a part, the last Gatehouse time) is kept on the decoder, so a file can be streamed
in blocks of any size with the same result. ``decode_lines`` decodes a small list of lines in
one go (tests, the golden comparisons).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pyarrow as pa

from darkfleet.ais import bits, messages, multipart, nmea
from darkfleet.lake import schema

NO_TIMESTAMP = "no timestamp"
INCOMPLETE = "incomplete multipart message"
EMPTY_PAYLOAD = "empty payload"
BAD_CHARACTER = "invalid payload character"
TOO_SHORT = "payload too short for its message type"
NO_POSITION = "position not available (lon 181 / lat 91)"
OUT_OF_RANGE = "position out of range"
REASONS = ["", NO_TIMESTAMP, EMPTY_PAYLOAD, BAD_CHARACTER, TOO_SHORT, NO_POSITION, OUT_OF_RANGE]
R_NO_TIMESTAMP, R_EMPTY_PAYLOAD, R_BAD_CHARACTER, R_TOO_SHORT, R_NO_POSITION, R_OUT_OF_RANGE = range(1, 7)
MIN_BITS_BY_TYPE = np.array([messages.MIN_BITS.get(t, messages.MIN_BITS_OTHER) for t in range(64)])


@dataclass(frozen=True)
class DecodeOptions:
    """How raw sentences become rows.

    ``assume_time`` stamps every sentence that has no time source of its own (tag block,
    trailing receive time, Gatehouse header); without it such sentences are rejected.
    ``multipart_window_lines`` bounds how long (in lines) a part waits for its siblings.
    """

    assume_time: datetime | None = None
    multipart_window_lines: int = 1000

    def __post_init__(self) -> None:
        if self.assume_time is not None and self.assume_time.tzinfo is None:
            raise ValueError("assume_time must be timezone-aware (UTC)")
        if self.multipart_window_lines < 1:
            raise ValueError("multipart_window_lines must be at least 1")


@dataclass
class Batch:
    """What one block of input became."""

    tables: dict[str, pa.Table] = field(default_factory=dict)
    rejects: list[tuple[int, str, str]] = field(default_factory=list)  # (line, text, reason)
    read: int = 0
    accepted: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)


@dataclass
class _Messages:
    """Complete messages of a block, aligned arrays. Payload i is ``buf[start[i]:end[i]]``."""

    buf: np.ndarray
    start: np.ndarray
    end: np.ndarray
    fill: np.ndarray
    time_us: np.ndarray
    station_code: np.ndarray  # index into station_names, -1: none
    station_names: list[str]
    line: np.ndarray
    n_lines: np.ndarray
    texts: list[str | None]  # only for messages assembled by the state machine
    rec_a: np.ndarray  # record indices of the (first) sentence, -1 for assembled ones
    rec_b: np.ndarray  # record index of the second sentence of a consecutive pair, else -1
    incomplete: list[tuple[int, str]]  # parts given up while assembling this block


class Decoder:
    def __init__(self, source: str, options: DecodeOptions | None = None) -> None:
        self.source = source
        self.options = options or DecodeOptions()
        self.assembler = multipart.Assembler(window_lines=self.options.multipart_window_lines)
        self.last_gatehouse_us = -1
        self._assume_us = (
            -1 if self.options.assume_time is None
            else int(self.options.assume_time.timestamp() * 1_000_000)
        )

    def decode_block(self, data: bytes, first_line: int) -> Batch:
        batch = Batch()
        buf, line, starts, ends = nmea.split_lines(data, first_line)
        rec = nmea.frame(buf, line, starts, ends)
        batch.read = len(rec)
        self._stamp(rec)
        for kind, reason in nmea.REASONS.items():
            for i in np.flatnonzero(rec.kind == kind):
                self._reject(batch, int(rec.line[i]), rec.text(int(i)), reason)
        batch.accepted["timestamps"] += int((rec.kind == nmea.GATEHOUSE).sum())
        msgs = self._messages(rec)
        self._decode(batch, rec, msgs)
        return batch

    def finish(self) -> Batch:
        """End of input: multipart messages still missing a part are rejected."""
        batch = Batch()
        for line, text in self.assembler.flush().incomplete:
            self._reject(batch, line, text, INCOMPLETE)
        return batch

    # -- steps ---------------------------------------------------------------------------

    def _stamp(self, rec: nmea.Records) -> None:
        """Fill in times from Gatehouse headers and --assume-time."""
        gh = np.flatnonzero((rec.kind == nmea.GATEHOUSE) & (rec.time_us >= 0))
        ais = rec.kind == nmea.AIS
        untimed = ais & (rec.time_us < 0)
        if untimed.any() and (len(gh) or self.last_gatehouse_us >= 0):
            k = np.searchsorted(gh, np.arange(len(rec)), side="right") - 1
            carried = np.where(k >= 0, rec.time_us[gh[np.maximum(k, 0)]] if len(gh) else -1,
                               self.last_gatehouse_us)
            rec.time_us = np.where(untimed, carried, rec.time_us)
        if len(gh):
            self.last_gatehouse_us = int(rec.time_us[gh[-1]])
        if self._assume_us >= 0:
            rec.time_us = np.where(ais & (rec.time_us < 0), self._assume_us, rec.time_us)

    def _messages(self, rec: nmea.Records) -> _Messages:
        ais = rec.kind == nmea.AIS
        singles = np.flatnonzero(ais & (rec.total == 1))
        multi = np.flatnonzero(ais & (rec.total > 1))
        first, second, slow = self.assembler.add_block(rec, multi)
        # Single-sentence payloads stay where they are in the block; the payloads of joined
        # parts are appended after it.
        pair_starts = np.column_stack((rec.payload_start[first], rec.payload_start[second])).ravel()
        pair_ends = np.column_stack((rec.payload_end[first], rec.payload_end[second])).ravel()
        pair_data, pair_off = bits.gather(rec.buf, pair_starts, pair_ends)
        slow_data = np.frombuffer(b"".join(slow.payloads), dtype=np.uint8)
        slow_off = np.zeros(len(slow.payloads) + 1, dtype=np.int64)
        np.cumsum([len(p) for p in slow.payloads], out=slow_off[1:])
        base_pair = len(rec.buf)
        base_slow = base_pair + len(pair_data)
        buf = np.concatenate((rec.buf, pair_data, slow_data))
        n_single, n_pair, n_slow = len(singles), len(first), len(slow.payloads)

        names = list(rec.station_names)
        index = {name: i for i, name in enumerate(names)}
        slow_codes = np.array([index.setdefault(x, len(index)) if x is not None else -1
                               for x in slow.station], dtype=np.int64)
        names = list(index)
        pair_code = np.where(rec.station_code[first] >= 0, rec.station_code[first], rec.station_code[second])
        pair_time = np.where(rec.time_us[first] >= 0, rec.time_us[first], rec.time_us[second])
        return _Messages(
            buf=buf,
            start=np.concatenate((rec.payload_start[singles], base_pair + pair_off[:-1:2],
                                  base_slow + slow_off[:-1])),
            end=np.concatenate((rec.payload_end[singles], base_pair + pair_off[2::2],
                                base_slow + slow_off[1:])),
            fill=np.concatenate((rec.fill[singles], rec.fill[second], np.array(slow.fill, dtype=np.int64))),
            time_us=np.concatenate((rec.time_us[singles], pair_time, np.array(slow.time_us, dtype=np.int64))),
            station_code=np.concatenate((rec.station_code[singles], pair_code, slow_codes)),
            station_names=names,
            line=np.concatenate((rec.line[singles], rec.line[first], np.array(slow.line, dtype=np.int64))),
            n_lines=np.concatenate((np.ones(n_single, np.int64), np.full(n_pair, 2, np.int64),
                                    np.array(slow.n_lines, dtype=np.int64))),
            texts=[None] * (n_single + n_pair) + list(slow.texts),
            rec_a=np.concatenate((singles, first, np.full(n_slow, -1))),
            rec_b=np.concatenate((np.full(n_single, -1), second, np.full(n_slow, -1))),
            incomplete=slow.incomplete,
        )

    def _decode(self, batch: Batch, rec: nmea.Records, m: _Messages) -> None:
        for line, text in m.incomplete:
            self._reject(batch, line, text, INCOMPLETE)
        n = len(m.line)
        lengths = m.end - m.start
        n_bits = lengths * 6 - m.fill
        first = bits.ARMOUR[m.buf[np.minimum(m.start, len(m.buf) - 1)]]
        msg_type = np.where((lengths > 0) & (first != bits.INVALID), first, 0).astype(np.int64)
        reason = np.zeros(n, dtype=np.int8)  # index into REASONS; 0: accepted so far
        reason[m.time_us < 0] = R_NO_TIMESTAMP
        reason[lengths == 0] = R_EMPTY_PAYLOAD
        reason[(reason == 0) & (n_bits < MIN_BITS_BY_TYPE[msg_type])] = R_TOO_SHORT

        tables: dict[str, list[pa.Table]] = {}
        accepted = np.zeros(n, dtype=bool)
        ok_rows = np.flatnonzero(reason == 0)
        by_type = ok_rows[np.argsort(msg_type[ok_rows], kind="stable")]
        counts = np.bincount(msg_type[ok_rows], minlength=64)
        bounds = np.concatenate(([0], np.cumsum(counts)))
        for t in np.flatnonzero(counts):
            t = int(t)
            rows = by_type[bounds[t] : bounds[t + 1]]
            width = messages.MAX_CHARS.get(t, messages.MAX_CHARS_OTHER)
            p, valid = bits.dearmour(m.buf, m.start[rows], m.end[rows], m.fill[rows], width)
            if (lengths[rows] > width).any():  # characters past the decoded width
                long = np.flatnonzero(lengths[rows] > width)
                valid[long] &= ~bits.invalid_characters(m.buf, m.start[rows][long], m.end[rows][long])
            reason[rows[~valid]] = R_BAD_CHARACTER
            keep = valid
            table = _table_of(t)
            if table == "positions":
                available, in_range = messages.position_checks(p, t)
                reason[rows[valid & ~in_range]] = R_OUT_OF_RANGE
                reason[rows[valid & ~available]] = R_NO_POSITION
                keep = valid & available & in_range
            if not keep.all():
                rows, p = rows[keep], bits.Payloads(p.six[keep], p.n_bits[keep])
            if not len(rows):
                continue
            tables.setdefault(table, []).append(self._table(table, t, p, rows, m))
            if t == 19:  # extended class B reports carry static data too
                tables.setdefault("statics", []).append(self._table("statics", t, p, rows, m))
            batch.accepted[table] += int(m.n_lines[rows].sum())
            accepted[rows] = True
        for table, parts in tables.items():
            batch.tables[table] = pa.concat_tables(parts)
        for i in np.flatnonzero(~accepted):
            for line, text in self._message_texts(rec, m, int(i)):
                self._reject(batch, line, text, REASONS[reason[i]])

    def _table(self, table: str, t: int, p: bits.Payloads, rows: np.ndarray, m: _Messages) -> pa.Table:
        types = np.full(len(rows), t)
        if table == "positions":
            cols = messages.position_columns(p, types)
        elif table == "statics":
            cols = messages.static_columns(p, t)
        elif table == "stations":
            cols = messages.station_columns(p, types)
        elif table == "aids":
            cols = messages.aid_columns(p, types)
        else:
            payload = bits.strings(m.buf, m.start[rows], m.end[rows])
            cols = {"msg_type": pa.array(types, type=pa.int8()), "payload": payload,
                    "fill_bits": pa.array(m.fill[rows], type=pa.int8())}
        cols["mmsi"] = pa.array(bits.uint(p, 8, 30), type=pa.int64())
        cols["ts"] = pa.array(m.time_us[rows], type=pa.int64()).cast(schema.TS)
        cols["source"] = pa.array(np.full(len(rows), self.source), type=pa.string())
        cols["line"] = pa.array(m.line[rows], type=pa.int64())
        codes = m.station_code[rows]
        cols["station"] = pa.DictionaryArray.from_arrays(
            pa.array(codes, type=pa.int32(), mask=codes < 0), pa.array(m.station_names, type=pa.string())
        )
        target = schema.DAY_PARTITIONED[table]
        return pa.table({f.name: cols[f.name].cast(f.type) for f in target}, schema=target)

    @staticmethod
    def _message_texts(rec: nmea.Records, m: _Messages, i: int) -> list[tuple[int, str]]:
        if m.rec_a[i] < 0:
            return [(int(m.line[i]), m.texts[i] or "")]
        out = [(int(rec.line[m.rec_a[i]]), rec.text(int(m.rec_a[i])))]
        if m.rec_b[i] >= 0:
            out.append((int(rec.line[m.rec_b[i]]), rec.text(int(m.rec_b[i]))))
        return out

    @staticmethod
    def _reject(batch: Batch, line: int, text: str, reason: str) -> None:
        batch.rejects.append((line, text, reason))
        batch.rejected[reason] += text.count("\n") + 1


def _table_of(msg_type: int) -> str:
    if msg_type in messages.POSITION_TYPES:
        return "positions"
    if msg_type in messages.STATIC_TYPES:
        return "statics"
    if msg_type in messages.STATION_TYPES:
        return "stations"
    if msg_type in messages.AID_TYPES:
        return "aids"
    return "other"


def decode_lines(lines: Iterable[str], options: DecodeOptions | None = None,
                 source: str = "-") -> Batch:
    """Decode a small in-memory list of lines (one block, then end of input)."""
    data = "\n".join(lines).encode()
    dec = Decoder(source, options)
    batch = dec.decode_block(data, 1)
    tail = dec.finish()
    batch.rejects += tail.rejects
    batch.rejected.update(tail.rejected)
    return batch
