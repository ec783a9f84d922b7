"""Framing of NMEA 0183 text into AIS sentences, vectorised over a whole block of lines.

A block of complete lines is parsed on its raw bytes by compiled loops (``kernels``), one
pass per line: line ends, the NMEA 4.0 tag block (``\\s:station,c:unixtime*hh\\``), the
sentence fields (``!AIVDM,2,1,7,A,payload,0*hh``), the checksum (XOR of the bytes between
``!`` and ``*``) and the receive times written after it (USCG format). Only unusual lines
(several sentences on one line, Gatehouse ``$PGHP`` headers) go through Python, one line at
a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from darkfleet.ais import bits, kernels
from darkfleet.ais.kernels import AIS, BAD_CHECKSUM, COMMENT, GATEHOUSE, MALFORMED, MALFORMED_TAG, NOT_AIS

REASONS = {
    COMMENT: "comment line",
    NOT_AIS: "not an AIS sentence",
    MALFORMED: "malformed AIS sentence",
    BAD_CHECKSUM: "bad checksum",
    MALFORMED_TAG: "malformed tag block",
}

_HEX = np.full(256, 255, dtype=np.uint8)
for _i, _c in enumerate(b"0123456789ABCDEF"):
    _HEX[_c] = _i
for _i, _c in enumerate(b"abcdef"):
    _HEX[_c] = 10 + _i

_PAD = 128  # zero bytes appended to a block so that fixed-offset look-ups never run off its end
_SENTENCE_START = re.compile(rb"(?:\\[^\\]*\\)?[!$][A-Z]{2}VD[MO],")


@dataclass
class Records:
    """Sentences found in a block. Arrays are aligned; AIS-only columns are junk elsewhere."""

    buf: np.ndarray  # the block's bytes, padded
    raw: bytes  # the same bytes, for slicing out the text of rejected lines
    line: np.ndarray  # 1-based line number in the file
    start: np.ndarray  # record bounds in buf
    end: np.ndarray
    kind: np.ndarray  # one of the record kinds above
    total: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    num: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    seq: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # -1: empty
    channel: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))  # 0: empty
    payload_start: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    payload_end: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    fill: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    time_us: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # -1: no time
    station_code: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # -1: none
    station_names: list[str] = field(default_factory=list)  # station_code -> tag-block s: value
    group: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # -1: none
    newlines: int = 0  # newline characters in the block

    def __len__(self) -> int:
        return len(self.line)

    def station(self, i: int) -> str | None:
        c = self.station_code[i]
        return None if c < 0 else self.station_names[c]

    def text(self, i: int) -> str:
        return bytes(self.buf[self.start[i] : self.end[i]]).decode("utf-8", "replace")


def split_lines(data: bytes, first_line: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Lines of a block: (padded buffer, line numbers, starts, ends, newlines), blank lines dropped.

    Trailing CR, spaces and tabs are not part of a line; a UTF-8 byte-order mark at the very
    start of a file is skipped by the caller.
    """
    buf = np.frombuffer(data + b"\0" * _PAD, dtype=np.uint8)
    starts, ends, index, newlines = kernels.line_bounds(buf, len(data))
    return buf, index + first_line, starts, ends, newlines


def frame(buf: np.ndarray, line: np.ndarray, starts: np.ndarray, ends: np.ndarray, raw: bytes | None = None) -> Records:
    """Parse every line of a block into records (``raw``: the block's bytes, if at hand)."""
    multi = np.flatnonzero(kernels.bang_counts(buf, starts, ends) > 1)
    if len(multi):
        split = _split_multi_sentence_lines(buf, line, starts, ends, multi)
        if split is not None:  # the parts take the place of their line
            keep, parts = split
            line, starts, ends = (np.concatenate((a[keep], b))
                                  for a, b in zip((line, starts, ends), parts, strict=True))
            order = np.lexsort((starts, line))
            line, starts, ends = line[order], starts[order], ends[order]
    kind, has_tag, tag_end, total, num, seq, channel, payload_start, payload_end, fill, star = \
        kernels.sentence_fields(buf, starts, ends, _HEX)
    n = len(starts)
    rec = Records(
        buf=buf, raw=raw if raw is not None else buf.tobytes(),
        line=line, start=starts, end=ends, kind=kind, total=total, num=num, seq=seq, channel=channel,
        payload_start=payload_start, payload_end=payload_end, fill=fill,
        time_us=np.full(n, -1, dtype=np.int64), group=np.full(n, -1, dtype=np.int64),
        station_code=np.full(n, -1, dtype=np.int64),
    )
    _parse_tags(rec, has_tag & (kind == AIS), starts + 1, tag_end)
    _parse_trailing(rec, (kind == AIS) & (star + 3 < ends), star + 3)
    _parse_gatehouse(rec)
    return rec


def _split_multi_sentence_lines(
    buf: np.ndarray, line: np.ndarray, starts: np.ndarray, ends: np.ndarray, multi: np.ndarray
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]] | None:
    """Split the lines ``multi`` (those with more than one '!') into their sentences (some feeds
    concatenate the parts of a message on one line): (lines kept whole, (line, start, end) of
    the parts), or None if none of them holds two sentences.
    """
    new_line, new_start, new_end = [], [], []
    keep = np.ones(len(line), dtype=bool)
    for i in multi:
        text = bytes(buf[starts[i] : ends[i]])
        cuts = [m.start() for m in _SENTENCE_START.finditer(text)]
        if len(cuts) < 2:
            continue
        keep[i] = False
        cuts[0] = 0
        for a, b in zip(cuts, [*cuts[1:], len(text)], strict=True):
            new_line.append(line[i])
            new_start.append(starts[i] + a)
            new_end.append(starts[i] + b)
    if not new_line:
        return None
    return keep, (np.array(new_line, np.int64), np.array(new_start, np.int64), np.array(new_end, np.int64))


def _parse_tags(rec: Records, rows_mask: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
    """Tag-block time (``c:``), source station (``s:``) and group (``g:``), in one compiled pass."""
    rows = np.flatnonzero(rows_mask)
    if not len(rows):
        return
    non_ascii, time_us, a, b, group = kernels.tag_fields(rec.buf, starts[rows], ends[rows])
    rec.kind[rows[non_ascii]] = MALFORMED_TAG  # non-ASCII bytes in a tag block
    timed = time_us >= 0
    rec.time_us[rows[timed]] = time_us[timed]
    named = np.flatnonzero(a >= 0)
    if len(named):
        names = pa.compute.dictionary_encode(bits.strings(rec.buf, a[named], b[named]))
        rec.station_code[rows[named]] = bits.numpy_of(names.indices)
        rec.station_names = names.dictionary.to_pylist()
    grouped = group >= 0
    rec.group[rows[grouped]] = group[grouped]


def _parse_trailing(rec: Records, rows_mask: np.ndarray, starts: np.ndarray) -> None:
    """Receive times after the checksum, as USCG and libais captures write them."""
    rows = np.flatnonzero(rows_mask & (rec.time_us < 0))
    if not len(rows):
        return
    seconds = kernels.trailing_seconds(rec.buf, starts[rows], rec.end[rows])
    rec.time_us[rows] = np.where(seconds < 0, -1, seconds * 1_000_000)


_GATEHOUSE = re.compile(rb"^\$PGHP,1,(\d{4}),(\d{1,2}),(\d{1,2}),(\d{1,2}),(\d{1,2}),(\d{1,2}),(\d{1,3}),")


def _parse_gatehouse(rec: Records) -> None:
    """A Gatehouse ``$PGHP,1,yyyy,mm,dd,hh,mm,ss,ms,...`` line stamps the sentences after it."""
    rows = np.flatnonzero(rec.kind == GATEHOUSE)
    if not len(rows):
        return
    from datetime import UTC, datetime

    for i in rows:
        text = bytes(rec.buf[rec.start[i] : rec.end[i]])
        j = text.find(b"$PGHP")
        m = _GATEHOUSE.match(text[j:])
        if not m:
            rec.kind[i] = MALFORMED
            continue
        y, mo, d, h, mi, s, ms = (int(g) for g in m.groups())
        try:
            when = datetime(y, mo, d, h, mi, s, ms * 1000, tzinfo=UTC)
        except ValueError:
            rec.kind[i] = MALFORMED
            continue
        rec.time_us[i] = int(when.timestamp()) * 1_000_000 + ms * 1000
