"""Framing of NMEA 0183 text into AIS sentences, vectorised over a whole block of lines.

A block of complete lines is parsed with NumPy on its raw bytes: line ends, the NMEA 4.0 tag
block (``\\s:station,c:unixtime*hh\\``), the sentence fields (``!AIVDM,2,1,7,A,payload,0*hh``),
the checksum (XOR of the bytes between ``!`` and ``*``), and trailing receive times (USCG
format). Tag blocks and trailing fields, which are short, are parsed with Polars' regex
kernels. Only unusual lines (several sentences on one line, Gatehouse ``$PGHP`` headers) go
through Python, one line at a time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute  # noqa: F401  (pa.compute)

from darkfleet.ais import bits

# Record kinds.
AIS, GATEHOUSE, COMMENT, NOT_AIS, MALFORMED, BAD_CHECKSUM, MALFORMED_TAG = range(7)
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
    n = len(data)
    nl = np.flatnonzero(buf[:n] == 10)
    starts = np.concatenate(([0], nl + 1))
    ends = np.concatenate((nl, [n]))
    if len(starts) and starts[-1] >= n:  # data ended with a newline
        starts, ends = starts[:-1], ends[:-1]
    line = np.arange(first_line, first_line + len(starts), dtype=np.int64)
    # Strip trailing whitespace (CR from Windows line ends, stray blanks): up to four characters,
    # looking again only at the lines that had some.
    rows = np.arange(len(starts))
    for _ in range(4):
        back = ends[rows] - 1
        last = buf[np.maximum(back, 0)]
        ws = (back >= starts[rows]) & ((last == 13) | (last == 32) | (last == 9))
        rows = rows[ws]
        if not len(rows):
            break
        ends[rows] -= 1
    keep = ends > starts
    return buf, line[keep], starts[keep], ends[keep], len(nl)


def _tag_ends(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray,
              backslashes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(has a tag block, position of its closing backslash, malformed) for each line;
    ``backslashes``: the positions of every backslash in ``buf``, then ``len(buf)``."""
    has_tag = buf[starts] == ord("\\")
    tag_end = np.full(len(starts), len(buf), dtype=np.int64)
    rows = np.flatnonzero(has_tag)
    if len(rows):
        tag_end[rows] = backslashes[np.searchsorted(backslashes, starts[rows] + 1)]
    return has_tag, tag_end, has_tag & (tag_end >= ends)


def frame(buf: np.ndarray, line: np.ndarray, starts: np.ndarray, ends: np.ndarray, raw: bytes | None = None) -> Records:
    """Parse every line of a block into records (``raw``: the block's bytes, if at hand)."""
    backslashes = np.append(np.flatnonzero(buf == ord("\\")), len(buf))
    has_tag, tag_end, bad_tag = _tag_ends(buf, starts, ends, backslashes)
    sent = np.where(has_tag & ~bad_tag, tag_end + 1, starts)
    expanded = _expand_multi_sentence_lines(buf, line, starts, ends, sent)
    if expanded is not None:
        line, starts, ends = expanded
        has_tag, tag_end, bad_tag = _tag_ends(buf, starts, ends, backslashes)
        sent = np.where(has_tag & ~bad_tag, tag_end + 1, starts)
    n = len(starts)
    kind = np.full(n, NOT_AIS, dtype=np.int64)
    first = buf[starts]

    b0, b3, b4, b5 = buf[sent], buf[sent + 3], buf[sent + 4], buf[sent + 5]
    is_ais = (
        ((b0 == ord("!")) | (b0 == ord("$"))) & (b3 == ord("V")) & (b4 == ord("D"))
        & ((b5 == ord("M")) | (b5 == ord("O"))) & (sent + 6 <= ends)
    )
    is_gh = (
        (b0 == ord("$")) & (buf[sent + 1] == ord("P")) & (buf[sent + 2] == ord("G"))
        & (b3 == ord("H")) & (b4 == ord("P"))
    )
    kind[first == ord("#")] = COMMENT
    kind[is_gh] = GATEHOUSE
    kind[is_ais] = AIS
    kind[bad_tag] = MALFORMED_TAG

    c, star = _field_positions(buf, sent, ends)
    last = len(buf) - 1
    safe = lambda a: np.minimum(a, last)  # noqa: E731
    digit = lambda a: buf[safe(a)] - 48  # noqa: E731
    total, num = digit(c[0] + 1).astype(np.int64), digit(c[1] + 1).astype(np.int64)
    seq_len, chan_len = c[3] - c[2] - 1, c[4] - c[3] - 1
    seq = np.where(seq_len == 1, digit(c[2] + 1).astype(np.int64), -1)
    fill = digit(c[5] + 1).astype(np.int64)
    well_formed = (
        (c[0] == sent + 6) & (c[1] == c[0] + 2) & (c[2] == c[1] + 2) & (c[5] < ends)
        & (total >= 1) & (total <= 9) & (num >= 1) & (num <= total)
        & (seq_len <= 1) & ((seq_len == 0) | ((seq >= 0) & (seq <= 9))) & (chan_len <= 1)
        & (star == c[5] + 2) & (star + 3 <= ends) & (fill >= 0) & (fill <= 5)
    )
    ais = kind == AIS
    kind[ais & ~well_formed] = MALFORMED
    ok = kind == AIS
    # Checksum: XOR of the bytes strictly between the leading '!' and the '*'.
    bounds = np.empty(2 * n, dtype=np.int64)
    # Records are in buffer order; rows that are not checked get a one-byte span of their own
    # so that the spans in between stay short.
    bounds[0::2] = np.where(ok, sent + 1, starts)
    bounds[1::2] = np.where(ok, star, starts + 1)
    xor = np.bitwise_xor.reduceat(buf, bounds)[0::2] if n else np.zeros(0, np.uint8)
    hi, lo = _HEX[buf[safe(star + 1)]], _HEX[buf[safe(star + 2)]]
    declared = (hi.astype(np.int64) << 4) | lo
    kind[ok & ((hi == 255) | (lo == 255) | (declared != xor))] = BAD_CHECKSUM

    rec = Records(
        buf=buf, raw=raw if raw is not None else buf.tobytes(),
        line=line, start=starts, end=ends, kind=kind, total=total, num=num, seq=seq,
        channel=np.where(chan_len == 1, buf[safe(c[3] + 1)], 0).astype(np.uint8),
        payload_start=c[4] + 1, payload_end=c[5], fill=fill,
        time_us=np.full(n, -1, dtype=np.int64), group=np.full(n, -1, dtype=np.int64),
        station_code=np.full(n, -1, dtype=np.int64),
    )
    _parse_tags(rec, has_tag & (kind == AIS), starts + 1, tag_end)
    _parse_trailing(rec, (kind == AIS) & (star + 3 < ends), star + 3)
    _parse_gatehouse(rec)
    return rec


def _field_positions(buf: np.ndarray, sent: np.ndarray, ends: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Positions of the six commas after each sentence start and of the '*' after them.

    Most lines have the plain shape ``!AIVDM,n,n,[s],[c],payload,f*hh``; their positions follow
    from the line's ends. The others (trailing fields, odd spacing) are searched for commas.
    Positions of a line that lacks them point past its end, which the caller rejects.
    """
    comma, star_byte = ord(","), ord("*")
    c3 = np.where(buf[sent + 11] == comma, sent + 11, sent + 12)
    c4 = np.where(buf[c3 + 1] == comma, c3 + 1, c3 + 2)
    c = [sent + 6, sent + 8, sent + 10, c3, c4, ends - 5]
    star = ends - 3
    plain = (buf[star] == star_byte) & (c[4] < c[5])
    for pos in c:
        plain &= buf[np.maximum(pos, 0)] == comma
    odd = np.flatnonzero(~plain)
    if len(odd):
        data, off = bits.gather(buf, sent[odd], ends[odd])
        commas = np.append(np.flatnonzero(data == comma), [len(data)] * 6)
        ci = np.searchsorted(commas, off[:-1])
        base = sent[odd] - off[:-1]
        for j in range(6):
            local = commas[np.minimum(ci + j, len(commas) - 1)]
            c[j][odd] = np.where(local < off[1:], base + local, ends[odd] + 1)
        stars = np.append(np.flatnonzero(data == star_byte), len(data))
        local = stars[np.minimum(np.searchsorted(stars, c[5][odd] - base), len(stars) - 1)]
        star[odd] = np.where(local < off[1:], base + local, ends[odd] + 1)
    return c, star


def _expand_multi_sentence_lines(
    buf: np.ndarray, line: np.ndarray, starts: np.ndarray, ends: np.ndarray, sent: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Split lines that carry several sentences (some feeds concatenate the parts of a message);
    None if there are none. A line is split when it holds more than one '!'.
    """
    bangs = np.flatnonzero(buf == ord("!"))
    opening = sent[buf[sent] == ord("!")]
    if len(bangs) == len(opening):  # every '!' opens the sentence of its line
        return None
    at_sentence = np.zeros(len(buf), dtype=bool)
    at_sentence[opening] = True
    others = bangs[~at_sentence[bangs]]
    if not len(others):
        return None
    candidates = np.searchsorted(starts, others, side="right") - 1  # sorted, as ``others`` is
    candidates = candidates[np.concatenate(([True], candidates[1:] != candidates[:-1]))]
    candidates = candidates[candidates >= 0]
    per_line = np.searchsorted(bangs, ends[candidates]) - np.searchsorted(bangs, starts[candidates])
    multi = candidates[per_line > 1]
    if not len(multi):
        return None
    new_line, new_start, new_end = [], [], []
    for i in multi:
        text = bytes(buf[starts[i] : ends[i]])
        cuts = [m.start() for m in _SENTENCE_START.finditer(text)]
        if len(cuts) < 2:
            continue
        if cuts[0] != 0:
            cuts[0] = 0
        for a, b in zip(cuts, [*cuts[1:], len(text)], strict=True):
            new_line.append(line[i])
            new_start.append(starts[i] + a)
            new_end.append(starts[i] + b)
    if not new_line:
        return None
    keep = np.ones(len(line), dtype=bool)
    keep[multi] = False
    line = np.concatenate((line[keep], new_line))
    starts = np.concatenate((starts[keep], new_start))
    ends = np.concatenate((ends[keep], new_end))
    order = np.lexsort((starts, line))
    return line[order], starts[order], ends[order]


def _tag_values(data: np.ndarray, offsets: np.ndarray, key: str,
                after_comma: np.ndarray, delims: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First ``key:value`` of each tag block; the blocks are ``data[offsets[k]:offsets[k+1]]``.

    Returns (block index, value start, value end) as positions in ``data``. A key counts at
    the start of a block or after a comma (``after_comma``); a value ends at the next ',' or
    '*' (``delims``, then ``len(data)``) or the block end.
    """
    pos = np.flatnonzero((data[:-1] == ord(key)) & (data[1:] == ord(":")) & after_comma)
    k = np.searchsorted(offsets, pos, side="right") - 1
    first = np.concatenate(([True], k[1:] != k[:-1]))[: len(k)]
    k, pos = k[first], pos[first]
    nxt = delims[np.searchsorted(delims, pos + 2)]
    return k, pos + 2, np.minimum(nxt, offsets[k + 1])


def _digits(buf: np.ndarray, start: np.ndarray, end: np.ndarray, max_digits: int) -> tuple[np.ndarray, np.ndarray]:
    """The leading decimal digits of each ``buf[start:end]``: (value, number of digits)."""
    value = np.zeros(len(start), dtype=np.int64)
    n = np.zeros(len(start), dtype=np.int64)
    going = np.ones(len(start), dtype=bool)
    for k in range(max_digits):
        d = buf[np.minimum(start + k, len(buf) - 1)].astype(np.int64) - 48
        going &= (d >= 0) & (d <= 9) & (start + k < end)
        value = np.where(going, value * 10 + d, value)
        n += going
    return value, n


_GROUP = r"^[0-9]+-[0-9]+-([0-9]+)$"


def _parse_tags(rec: Records, rows_mask: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> None:
    """Tag-block time (``c:``), source station (``s:``) and group (``g:``), in bulk."""
    rows = np.flatnonzero(rows_mask)
    if not len(rows):
        return
    data, offsets = bits.gather(rec.buf, starts[rows], ends[rows])
    hi = bits.segments_with_high_bytes(data, offsets)
    if hi.any():  # non-ASCII bytes in a tag block: mark those rows, parse the rest
        rec.kind[rows[hi]] = MALFORMED_TAG
    if len(data) < 2:
        return
    after_comma = np.concatenate(([False], data[:-2] == ord(",")))
    after_comma[offsets[:-1][offsets[:-1] < len(data) - 1]] = True  # block starts count too
    delims = np.append(np.flatnonzero((data == ord(",")) | (data == ord("*"))), len(data))
    k, a, b = _tag_values(data, offsets, "c", after_comma, delims)
    value, n = _digits(data, a, b, 13)
    ok = (n >= 9) & (n <= 13) & ~hi[k]
    # Unix seconds; some feeds write milliseconds (13 digits).
    rec.time_us[rows[k[ok]]] = np.where(n[ok] >= 12, value[ok] * 1000, value[ok] * 1_000_000)
    k, a, b = _tag_values(data, offsets, "s", after_comma, delims)
    ok = ~hi[k]
    if ok.any():
        names = pa.compute.dictionary_encode(bits.strings(data, a[ok], b[ok]))
        rec.station_code[rows[k[ok]]] = bits.numpy_of(names.indices)
        rec.station_names = names.dictionary.to_pylist()
    k, a, b = _tag_values(data, offsets, "g", after_comma, delims)
    ok = ~hi[k]
    if ok.any():  # g:part-total-id; an id too large for 64 bits is no id
        ids = pl.Series("g", bits.strings(data, a[ok], b[ok])).str.extract(_GROUP, 1).cast(pl.Int64, strict=False)
        values = ids.fill_null(-1).to_numpy()
        rec.group[rows[k[ok]][values >= 0]] = values[values >= 0]


_USCG_TIME = r",[rbB][A-Za-z0-9_]*,(\d{9,10})(?:\.\d*)?(?:,|$)"
_TRAILING_TIME = r",(\d{9,10})(?:\.\d*)?$"


def _parse_trailing(rec: Records, rows_mask: np.ndarray, starts: np.ndarray) -> None:
    """Receive times after the checksum, as USCG and libais captures write them."""
    rows = np.flatnonzero(rows_mask & (rec.time_us < 0))
    if not len(rows):
        return
    texts = bits.strings(rec.buf, starts[rows], rec.end[rows])
    ascii_only = pa.compute.string_is_ascii(texts)  # lines with other bytes have no time here
    rows = rows[bits.numpy_of(ascii_only)]
    trail = pl.Series("t", texts.filter(ascii_only))
    t = trail.to_frame().select(
        pl.coalesce(
            pl.col("t").str.extract(_USCG_TIME, 1), pl.col("t").str.extract(_TRAILING_TIME, 1)
        ).cast(pl.Int64)
    ).to_series()
    s = t.fill_null(-1).to_numpy()
    rec.time_us[rows] = np.where(s < 0, -1, s * 1_000_000)


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
