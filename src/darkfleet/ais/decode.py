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
from datetime import UTC, datetime

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
MAX_CHARS_BY_TYPE = np.array([messages.MAX_CHARS.get(t, messages.MAX_CHARS_OTHER) for t in range(64)])
MIN_BITS_BY_TYPE = np.array([messages.MIN_BITS.get(t, messages.MIN_BITS_OTHER) for t in range(64)])
# Types decoded together (one layout, one read width): the first type of each stands for the family.
FAMILIES = [(1, 2, 3), (18,), (19,), (27,), (5,), (24,), (4, 11), (21,)]
FAMILY_BY_TYPE = np.full(64, len(FAMILIES), dtype=np.int64)  # the last family: every other type
for _k, _types in enumerate(FAMILIES):
    FAMILY_BY_TYPE[list(_types)] = _k


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
    """What one block of input became.

    Rejected lines are kept as Arrow arrays when they are rejected in bulk (``reject_bulk``:
    line numbers, texts, reason) and as tuples when one at a time (``reject_list``); ``rejects``
    lists them all as (line, text, reason), ``reject_table`` gives them as a table.
    """

    tables: dict[str, pa.Table] = field(default_factory=dict)
    reject_list: list[tuple[int, str, str]] = field(default_factory=list)
    reject_bulk: list[tuple[np.ndarray, pa.StringArray, str]] = field(default_factory=list)
    read: int = 0
    accepted: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)

    @property
    def rejects(self) -> list[tuple[int, str, str]]:
        out: list[tuple[int, str, str]] = []
        for lines, texts, reason in self.reject_bulk:
            out.extend(zip(lines.tolist(), texts.to_pylist(), [reason] * len(lines), strict=True))
        return out + self.reject_list

    @property
    def n_rejects(self) -> int:
        return len(self.reject_list) + sum(len(lines) for lines, _, _ in self.reject_bulk)

    def reject(self, line: int, text: str, reason: str, lines: int = 1) -> None:
        """One rejected line (or ``lines`` lines joined by newlines)."""
        self.reject_list.append((line, text, reason))
        self.rejected[reason] += lines

    def absorb(self, other: Batch) -> None:
        """Add another batch's rejects and counts (not its tables) to this one."""
        self.reject_list += other.reject_list
        self.reject_bulk += other.reject_bulk
        self.read += other.read
        self.accepted.update(other.accepted)
        self.rejected.update(other.rejected)

    def reject_table(self, source: str, path: str, line_offset: int = 0) -> pa.Table:
        """The rejects as rows of the lake's ``rejects`` table."""
        parts = [(lines, texts, reason) for lines, texts, reason in self.reject_bulk]
        if self.reject_list:
            lines, texts, reasons = zip(*self.reject_list, strict=True)
            parts.append((np.asarray(lines, dtype=np.int64), bits.string_array(texts), ""))
        if not parts:
            return schema.REJECTS.empty_table()
        names = sorted({r for _, _, r in self.reject_bulk} | {r for _, _, r in self.reject_list})
        code = {r: i for i, r in enumerate(names)}
        reason_idx = np.concatenate(
            [np.full(len(lines), code[r], dtype=np.int32) for lines, _, r in self.reject_bulk]
            + ([np.array([code[r] for _, _, r in self.reject_list], dtype=np.int32)] if self.reject_list else []))
        n = len(reason_idx)
        return pa.table({
            "source": bits.repeated(source, n),
            "path": bits.repeated(path, n),
            "line": bits.arrow(np.concatenate([lines for lines, _, _ in parts]) + line_offset, pa.int64()),
            "text": pa.concat_arrays([texts for _, texts, _ in parts]),
            "reason": bits.string_array(names).take(bits.arrow(reason_idx, pa.int32())),
        }, schema=schema.REJECTS)


@dataclass
class _Messages:
    """Complete messages of a block, aligned arrays. Payload i is ``buf[start[i]:end[i]]``.

    The sentences of message i are the records ``parts[part_offsets[i]:part_offsets[i+1]]``
    of the block; messages assembled from parts of earlier blocks have none there and keep
    their text in ``texts``.
    """

    buf: np.ndarray
    start: np.ndarray
    end: np.ndarray
    fill: np.ndarray
    time_us: np.ndarray
    station_code: np.ndarray  # index into station_names, -1: none
    station_names: list[str]
    line: np.ndarray
    n_lines: np.ndarray
    parts: np.ndarray
    part_offsets: np.ndarray
    texts: list[str | None]
    incomplete: list[tuple[int, str]]  # parts given up while assembling this block


@dataclass(frozen=True)
class DecoderState:
    """Multipart parts still waiting for their siblings, and the last Gatehouse time."""

    pending: list[tuple[multipart.Key, list[tuple[int, multipart.Fragment]]]] = field(default_factory=list)
    last_gatehouse_us: int = -1


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

    def snapshot(self) -> DecoderState:
        """The state that carries from one block to the next (see ``restore``)."""
        return DecoderState(self.assembler.snapshot(), self.last_gatehouse_us)

    def restore(self, state: DecoderState, line_offset: int = 0) -> None:
        """Continue from ``state`` (taken by ``snapshot``), its line numbers shifted by ``line_offset``."""
        self.assembler.restore(state.pending, line_offset)
        self.last_gatehouse_us = state.last_gatehouse_us

    def decode_block(self, data: bytes, first_line: int) -> Batch:
        """Decode one block of complete lines (blocks must come in file order)."""
        return self.decode_messages(*self.assemble(frame_block(data, first_line)))

    # The three stages of decode_block, for callers that overlap blocks on several threads:
    # frame_block (no state) -> assemble (in file order) -> decode_messages (no state).

    def assemble(self, rec: nmea.Records) -> tuple[nmea.Records, _Messages]:
        """Times and multipart reassembly: the part that carries state from block to block."""
        self._stamp(rec)
        return rec, self._messages(rec)

    def decode_messages(self, rec: nmea.Records, msgs: _Messages) -> Batch:
        batch = Batch(read=len(rec))
        for kind, reason in nmea.REASONS.items():
            self._reject_records(batch, rec, np.flatnonzero(rec.kind == kind), reason)
        batch.accepted["timestamps"] += int((rec.kind == nmea.GATEHOUSE).sum())
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
        runs, slow = self.assembler.add_block(rec, multi)
        # Single-sentence payloads stay where they are in the block; the payloads of
        # consecutive parts are joined after it, then those the state machine assembled.
        joined = [np.zeros(0, dtype=np.uint8)]
        start, end = [rec.payload_start[singles]], [rec.payload_end[singles]]
        fill, time_us, station, line, parts = [rec.fill[singles]], [rec.time_us[singles]], \
            [rec.station_code[singles]], [rec.line[singles]], [singles[:, None]]
        base = len(rec.buf)
        for r in runs:
            data, off = bits.gather(rec.buf, rec.payload_start[r].ravel(), rec.payload_end[r].ravel())
            t = r.shape[1]
            joined.append(data)
            start.append(base + off[:-1:t])
            end.append(base + off[t::t])
            base += len(data)
            fill.append(rec.fill[r[:, -1]])
            time_us.append(_first_set(rec.time_us[r]))
            station.append(_first_set(rec.station_code[r]))
            line.append(rec.line[r[:, 0]])
            parts.append(r)
        slow_data = b"".join(slow.payloads)
        lengths = np.array([len(p) for p in slow.payloads], dtype=np.int64)
        start.append(base + np.concatenate(([0], np.cumsum(lengths)[:-1])) if len(lengths) else lengths)
        end.append(base + np.cumsum(lengths))
        joined.append(np.frombuffer(slow_data, dtype=np.uint8))
        names = list(rec.station_names)
        index = {name: i for i, name in enumerate(names)}
        station.append(np.array([index.setdefault(x, len(index)) if x is not None else -1
                                 for x in slow.station], dtype=np.int64))
        fill.append(np.array(slow.fill, dtype=np.int64))
        time_us.append(np.array(slow.time_us, dtype=np.int64))
        line.append(np.array(slow.line, dtype=np.int64))
        n_parts = np.concatenate([np.full(len(p), p.shape[1]) for p in parts] + [np.zeros(len(lengths), np.int64)])
        part_offsets = np.concatenate(([0], np.cumsum(n_parts)))
        n_fast = len(n_parts) - len(lengths)
        return _Messages(
            buf=np.concatenate((rec.buf, *joined, np.zeros(bits.MAX_WIDTH, dtype=np.uint8))),
            start=np.concatenate(start), end=np.concatenate(end), fill=np.concatenate(fill),
            time_us=np.concatenate(time_us), station_code=np.concatenate(station),
            station_names=list(index), line=np.concatenate(line),
            n_lines=np.concatenate((n_parts[:n_fast], np.array(slow.n_lines, dtype=np.int64))),
            parts=np.concatenate([p.ravel() for p in parts]), part_offsets=part_offsets,
            texts=[None] * n_fast + list(slow.texts), incomplete=slow.incomplete,
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
        # Characters past the width each type is read to are checked here, in one pass.
        long = np.flatnonzero((reason == 0) & (lengths > MAX_CHARS_BY_TYPE[msg_type]))
        if len(long):
            read_to = m.start[long] + MAX_CHARS_BY_TYPE[msg_type[long]]  # dearmour checks the rest
            bad = bits.invalid_characters(m.buf, read_to, m.end[long])
            reason[long[bad]] = R_BAD_CHARACTER

        tables: dict[str, list[pa.Table]] = {}
        accepted = np.zeros(n, dtype=bool)
        ok_rows = np.flatnonzero(reason == 0)
        family = FAMILY_BY_TYPE[msg_type[ok_rows]]
        for f in map(int, np.flatnonzero(np.bincount(family, minlength=len(FAMILIES) + 1))):
            rows = ok_rows[family == f]
            types = msg_type[rows]
            t = FAMILIES[f][0] if f < len(FAMILIES) else -1
            max_chars = int(MAX_CHARS_BY_TYPE[t]) if t >= 0 else messages.MAX_CHARS_OTHER
            p, valid = bits.dearmour(m.buf, m.start[rows], m.end[rows], m.fill[rows], max_chars)
            reason[rows[~valid]] = R_BAD_CHARACTER
            keep = valid
            table = _table_of(t)
            if table == "positions":
                available, in_range = messages.position_checks(p, t)
                reason[rows[valid & ~in_range]] = R_OUT_OF_RANGE
                reason[rows[valid & ~available]] = R_NO_POSITION
                keep = valid & available & in_range
            if t == 24:  # part numbers 2 and 3 are undefined (M.1371-5): kept raw, in `other`
                undefined = keep & (bits.uint(p, 38, 2) > 1)
                if undefined.any():
                    raw_rows = rows[undefined]
                    tables.setdefault("other", []).append(
                        self._table("other", types[undefined], p.take(undefined), raw_rows, m))
                    batch.accepted["other"] += int(m.n_lines[raw_rows].sum())
                    accepted[raw_rows] = True
                    keep = keep & ~undefined
            if not keep.all():
                rows, p, types = rows[keep], p.take(keep), types[keep]
            if not len(rows):
                continue
            tables.setdefault(table, []).append(self._table(table, types, p, rows, m))
            if t == 19:  # extended class B reports carry static data too
                tables.setdefault("statics", []).append(self._table("statics", types, p, rows, m))
            batch.accepted[table] += int(m.n_lines[rows].sum())
            accepted[rows] = True
        for table, parts in tables.items():
            batch.tables[table] = pa.concat_tables(parts)
        rejected = np.flatnonzero(~accepted)
        for code in np.flatnonzero(np.bincount(reason[rejected], minlength=len(REASONS))) if len(rejected) else ():
            msgs = rejected[reason[rejected] == code]
            # Sentences of this block: rejected one record at a time, in bulk.
            lo, hi = m.part_offsets[msgs], m.part_offsets[msgs + 1]
            recs = m.parts[bits.ranges(lo, hi)]
            self._reject_records(batch, rec, np.sort(recs), REASONS[code])
            for i in msgs[lo == hi]:  # assembled from parts of earlier blocks
                self._reject(batch, int(m.line[i]), m.texts[i] or "", REASONS[code])

    def _table(self, table: str, types: np.ndarray, p: bits.Payloads, rows: np.ndarray, m: _Messages) -> pa.Table:
        if table == "positions":
            cols = messages.position_columns(p, types)
        elif table == "statics":
            cols = messages.static_columns(p, int(types[0]))
        elif table == "stations":
            cols = messages.station_columns(p, types)
        elif table == "aids":
            cols = messages.aid_columns(p, types)
        else:
            payload = bits.strings(m.buf, m.start[rows], m.end[rows])
            cols = {"msg_type": bits.arrow(types, pa.int8()), "payload": payload,
                    "fill_bits": bits.arrow(m.fill[rows], pa.int8())}
        cols["mmsi"] = bits.arrow(bits.uint(p, 8, 30), pa.int64())
        cols["ts"] = bits.arrow(m.time_us[rows], schema.TS)
        cols["source"] = bits.repeated(self.source, len(rows))
        cols["line"] = bits.arrow(m.line[rows], pa.int64())
        codes = m.station_code[rows]
        if (codes < 0).all():
            cols["station"] = pa.nulls(len(rows), pa.string())
        else:
            names = bits.string_array(m.station_names)
            cols["station"] = names.take(bits.arrow(codes, pa.int32(), mask=codes < 0))
        target = schema.DAY_PARTITIONED[table]
        return pa.table([_as(cols[f.name], f.type) for f in target], schema=target)

    @staticmethod
    def _reject_records(batch: Batch, rec: nmea.Records, idx: np.ndarray, reason: str) -> None:
        if not len(idx):
            return
        texts = bits.strings(rec.buf, rec.start[idx], rec.end[idx])
        try:
            texts.validate(full=True)
        except pa.ArrowInvalid:  # not UTF-8: decoded one by one, bad bytes replaced
            raw = rec.raw
            texts = bits.string_array([raw[a:b].decode("utf-8", "replace")
                                        for a, b in zip(rec.start[idx].tolist(), rec.end[idx].tolist(), strict=True)])
        batch.reject_bulk.append((rec.line[idx], texts, reason))
        batch.rejected[reason] += len(idx)

    @staticmethod
    def _reject(batch: Batch, line: int, text: str, reason: str) -> None:
        batch.reject(line, text, reason, text.count("\n") + 1)


def frame_block(data: bytes, first_line: int) -> nmea.Records:
    """Split a block of complete lines and parse its sentences (no state: any thread)."""
    buf, line, starts, ends, newlines = nmea.split_lines(data, first_line)
    rec = nmea.frame(buf, line, starts, ends, raw=data)
    rec.newlines = newlines
    return rec


def _as(array: pa.Array, type_: pa.DataType) -> pa.Array:
    return array if array.type == type_ else array.cast(type_)


def _first_set(values: np.ndarray) -> np.ndarray:
    """Per row of a (messages, parts) array, the first value that is not -1 (else -1)."""
    has = values >= 0
    return np.where(has.any(axis=1), values[np.arange(len(values)), np.argmax(has, axis=1)], -1)


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
    batch.absorb(dec.finish())
    return batch


def warm_up() -> None:
    """Load the compiled loops (``darkfleet.ais.kernels``; compiled on a machine's first run) by
    decoding a few lines of each shape: a worker process does this while it waits for work."""
    decode_lines([
        "\\s:warm,c:1692079200*00\\!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23",
        "!AIVDM,2,1,3,B,55P5TL01VIaAL@7WKO@mBplU@<PDhh000000001S;AJ::4A80?4i@E53,0*3E",
        "!AIVDM,2,2,3,B,1@0000000000000,2*55",
        "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23,rB003669732,1692079300",
        "!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23!AIVDM,1,1,,A,13HOI:0P0000VOHLCnHQKwvL05Ip,0*23",
    ], DecodeOptions(assume_time=datetime(2024, 1, 1, tzinfo=UTC)))
