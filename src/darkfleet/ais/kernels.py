"""Compiled byte loops for NMEA framing and AIS payloads (Numba).

Framing a block took NumPy about fifteen whole-array passes (line ends, tag-block ends, comma
positions, the checksum's XOR, the field digits, ...); these loops make one pass over each line
instead, touching its bytes once while they are in cache. The same goes for tag blocks,
trailing receive times, de-armouring and bit fields. They replaced NumPy code and were checked
to frame every real capture in shared/data/ais, and 60,000 randomly corrupted copies of its
lines, exactly as it did; tests/ais holds them to pyais, gpsd and libais, to the reject reasons
of malformed lines, and (tests/ais/test_kernels.py) to the definitions they implement.

Compiled on first use and cached on disk (``cache=True``), so a process pays the compile once
per installation, not once per run.
"""

from __future__ import annotations

import numba
import numpy as np

# Record kinds (nmea.Records.kind).
AIS, GATEHOUSE, COMMENT, NOT_AIS, MALFORMED, BAD_CHECKSUM, MALFORMED_TAG = range(7)


@numba.njit(cache=True, nogil=True)
def line_bounds(buf: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """(starts, ends, index of each kept line among all lines, newlines) of ``buf[:n]``.

    A line ends before its newline; trailing CR, space and tab are trimmed (at most four), and
    lines left empty are dropped.
    """
    newlines = 0
    for i in range(n):
        newlines += buf[i] == 10
    nl = np.empty(newlines + 1, np.int64)
    k = 0
    for i in range(n):
        if buf[i] == 10:
            nl[k] = i
            k += 1
    lines = newlines + 1 if (n > 0 and buf[n - 1] != 10) else newlines
    nl[newlines] = n
    starts = np.empty(lines, np.int64)
    ends = np.empty(lines, np.int64)
    index = np.empty(lines, np.int64)
    k = 0
    start = 0
    for j in range(lines):
        end = nl[j]
        nxt = end + 1
        for _ in range(4):
            if end > start and (buf[end - 1] == 13 or buf[end - 1] == 32 or buf[end - 1] == 9):
                end -= 1
            else:
                break
        if end > start:
            starts[k] = start
            ends[k] = end
            index[k] = j
            k += 1
        start = nxt
    return starts[:k], ends[:k], index[:k], newlines


@numba.njit(cache=True, nogil=True)
def bang_counts(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """The number of '!' in each line (a line with two may hold several sentences)."""
    out = np.empty(len(starts), np.int64)
    for r in range(len(starts)):
        count = 0
        for v in buf[starts[r] : ends[r]]:
            count += v == 33
        out[r] = count
    return out


@numba.njit(cache=True, nogil=True)
def _comma_or_past(buf: np.ndarray, frm: int, end: int) -> int:
    """Position of the first comma in ``buf[frm:end]``, or ``end + 1``."""
    for p in range(frm, end):
        if buf[p] == 44:
            return p
    return end + 1


@numba.njit(cache=True, nogil=True)
def sentence_fields(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, hexval: np.ndarray):  # noqa: ANN201
    """Tag block, sentence fields and checksum of each line, in one pass per line.

    Returns (kind, has_tag, tag_end, total, num, seq, channel, payload_start, payload_end,
    fill, star): ``tag_end`` is the closing backslash of a tag block. The other columns are those of
    ``nmea.Records``, junk where the record is not AIS.
    """
    n = len(starts)
    last = len(buf) - 1
    kind = np.empty(n, np.int64)
    has_tag = np.zeros(n, np.bool_)
    tag_end = np.full(n, len(buf), np.int64)
    total = np.empty(n, np.int64)
    num = np.empty(n, np.int64)
    seq = np.empty(n, np.int64)
    channel = np.zeros(n, np.uint8)
    payload_start = np.empty(n, np.int64)
    payload_end = np.empty(n, np.int64)
    fill = np.empty(n, np.int64)
    star_at = np.empty(n, np.int64)
    for r in range(n):
        s, e = starts[r], ends[r]
        bad_tag = False
        sent = s
        if buf[s] == 92:  # a tag block
            has_tag[r] = True
            t = s + 1
            while t < e and buf[t] != 92:  # (past the line's end it is malformed anyway)
                t += 1
            tag_end[r] = t
            if t >= e:
                bad_tag = True
            else:
                sent = t + 1
        b0, b3, b4, b5 = buf[sent], buf[sent + 3], buf[sent + 4], buf[sent + 5]
        k = NOT_AIS
        if buf[s] == 35:
            k = COMMENT
        if b0 == 36 and buf[sent + 1] == 80 and buf[sent + 2] == 71 and b3 == 72 and b4 == 80:
            k = GATEHOUSE
        if (b0 == 33 or b0 == 36) and b3 == 86 and b4 == 68 and (b5 == 77 or b5 == 79) and sent + 6 <= e:
            k = AIS
        if bad_tag:
            k = MALFORMED_TAG

        # Field positions: the plain shape first (positions follow from the line's ends), then
        # a search for commas.
        c0, c1, c2 = sent + 6, sent + 8, sent + 10
        c3 = sent + 11 if buf[sent + 11] == 44 else sent + 12
        c4 = c3 + 1 if buf[c3 + 1] == 44 else c3 + 2
        c5 = e - 5
        star = e - 3
        plain = (buf[star] == 42 and c4 < c5 and buf[c0] == 44 and buf[c1] == 44 and buf[c2] == 44
                 and buf[c3] == 44 and buf[c4] == 44 and buf[max(c5, 0)] == 44)
        if not plain:
            c0 = _comma_or_past(buf, sent, e)
            c1 = _comma_or_past(buf, c0 + 1, e)
            c2 = _comma_or_past(buf, c1 + 1, e)
            c3 = _comma_or_past(buf, c2 + 1, e)
            c4 = _comma_or_past(buf, c3 + 1, e)
            c5 = _comma_or_past(buf, c4 + 1, e)
            star = e + 1
            for p in range(c5, e):
                if buf[p] == 42:
                    star = p
                    break
        tot = np.int64((buf[min(c0 + 1, last)] - 48) & 255)
        nm = np.int64((buf[min(c1 + 1, last)] - 48) & 255)
        seq_len, chan_len = c3 - c2 - 1, c4 - c3 - 1
        sq = np.int64((buf[min(c2 + 1, last)] - 48) & 255) if seq_len == 1 else np.int64(-1)
        fl = np.int64((buf[min(c5 + 1, last)] - 48) & 255)
        total[r], num[r], seq[r], fill[r] = tot, nm, sq, fl
        channel[r] = buf[min(c3 + 1, last)] if chan_len == 1 else 0
        payload_start[r], payload_end[r], star_at[r] = c4 + 1, c5, star
        if k == AIS:
            well_formed = (
                c0 == sent + 6 and c1 == c0 + 2 and c2 == c1 + 2 and c5 < e
                and 1 <= tot <= 9 and 1 <= nm <= tot
                and seq_len <= 1 and (seq_len == 0 or 0 <= sq <= 9) and chan_len <= 1
                and star == c5 + 2 and star + 3 <= e and 0 <= fl <= 5
            )
            if not well_formed:
                k = MALFORMED
            else:
                # Checksum: XOR of the bytes strictly between the leading '!' and the '*'.
                x = 0
                for v in buf[sent + 1 : star]:
                    x ^= v
                hi, lo = hexval[buf[min(star + 1, last)]], hexval[buf[min(star + 2, last)]]
                if hi == 255 or lo == 255 or ((np.int64(hi) << 4) | lo) != x:
                    k = BAD_CHECKSUM
        kind[r] = k
    return kind, has_tag, tag_end, total, num, seq, channel, payload_start, payload_end, fill, star_at


@numba.njit(cache=True, nogil=True, inline="always")
def _armour(c: np.uint8) -> tuple[np.uint8, np.uint8]:
    """(six-bit value, 1 if not in the alphabet) of an armoured character, without branches
    (M.1371 table 44: '0'..'W' -> 0..39, '`'..'w' -> 40..63)."""
    v = np.uint8(c - np.uint8(48))
    bad = np.uint8((v > 71) | ((v >= 40) & (v < 48)))
    return np.uint8((v - ((v >= 48) << 3)) * (1 - bad)), bad


@numba.njit(cache=True, nogil=True, inline="always")
def _has_high_byte(buf: np.ndarray, a: int, b: int) -> bool:
    """Whether ``buf[a:b]`` holds a byte >= 128 (not ASCII)."""
    high = False
    for v in buf[a:b]:
        high |= v >= 128
    return high


@numba.njit(cache=True, nogil=True)
def sixbit_rows(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Six-bit values of the first ``width`` characters of each payload ``buf[starts:ends]``
    (zeros past its end), and whether those characters are all in the armouring alphabet; a bad
    character reads as 0.
    """
    n = len(starts)
    six = np.zeros((n, width), np.uint8)
    valid = np.ones(n, np.bool_)
    for i in range(n):
        s = starts[i]
        seg = buf[s : s + min(ends[i] - s, width)]
        row = six[i]
        bad = np.uint8(0)
        for k in range(len(seg)):  # branch-free, so that it vectorises
            row[k], b = _armour(seg[k])
            bad |= b
        valid[i] = bad == 0
    return six, valid


@numba.njit(cache=True, nogil=True)
def bit_field(six: np.ndarray, start: int, width: int, signed: bool) -> np.ndarray:
    """The field of ``width`` bits at bit ``start`` of every row of a six-bit matrix (bits past
    its last column read as 0), unsigned or two's complement."""
    n, columns = six.shape
    first, last = start // 6, (start + width - 1) // 6
    shift = (last + 1) * 6 - (start + width)
    mask = (np.int64(1) << width) - 1
    top = np.int64(1) << (width - 1)
    out = np.empty(n, np.int64)
    for i in range(n):
        acc = np.int64(0)
        for k in range(first, last + 1):
            acc <<= 6
            if k < columns:
                acc |= six[i, k]
        v = (acc >> shift) & mask
        if signed and v >= top:
            v -= mask + 1
        out[i] = v
    return out


@numba.njit(cache=True, nogil=True)
def _tag_value(buf: np.ndarray, a: int, b: int, key: int) -> tuple[int, int]:
    """Bounds of the first ``key:value`` in the tag block ``buf[a:b]`` (a key counts at the
    block's start or after a comma; its value ends at ',' or '*'), or (-1, -1)."""
    for p in range(a, b - 1):
        if buf[p] == key and buf[p + 1] == 58 and (p == a or buf[p - 1] == 44):
            q = p + 2
            while q < b and buf[q] != 44 and buf[q] != 42:
                q += 1
            return p + 2, q
    return -1, -1


@numba.njit(cache=True, nogil=True)
def tag_fields(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray):  # noqa: ANN201
    """Time (``c:``), station (``s:``) and group id (``g:``) of tag blocks ``buf[starts:ends]``.

    Returns (non_ascii, time_us, station_start, station_end, group): ``time_us`` is -1 unless
    ``c:`` holds 9 to 13 digits (Unix seconds; 12 or 13 digits: milliseconds); the station's
    bounds are -1 without ``s:``; ``group`` is the id of ``g:part-total-id``, -1 when absent,
    malformed or too large for 64 bits. Blocks with a byte >= 128 get nothing but their flag.
    """
    n = len(starts)
    non_ascii = np.zeros(n, np.bool_)
    time_us = np.full(n, -1, np.int64)
    station_start = np.full(n, -1, np.int64)
    station_end = np.full(n, -1, np.int64)
    group = np.full(n, -1, np.int64)
    for r in range(n):
        a, b = starts[r], ends[r]
        if _has_high_byte(buf, a, b):
            non_ascii[r] = True
            continue
        va, vb = _tag_value(buf, a, b, 99)  # c:
        if va >= 0:
            value, digits = np.int64(0), 0
            while digits < 13 and va + digits < vb and 48 <= buf[va + digits] <= 57:
                value = value * 10 + (buf[va + digits] - 48)
                digits += 1
            if 9 <= digits <= 13:
                time_us[r] = value * 1000 if digits >= 12 else value * 1_000_000
        station_start[r], station_end[r] = _tag_value(buf, a, b, 115)  # s:
        va, vb = _tag_value(buf, a, b, 103)  # g:
        if va >= 0:
            group[r] = _group_id(buf, va, vb)
    return non_ascii, time_us, station_start, station_end, group


@numba.njit(cache=True, nogil=True)
def _group_id(buf: np.ndarray, a: int, b: int) -> int:
    """The id of a ``part-total-id`` value in ``buf[a:b]`` (digits only), or -1."""
    p = a
    for _ in range(2):  # part, total: digits then '-'
        q = p
        while q < b and 48 <= buf[q] <= 57:
            q += 1
        if q == p or q >= b or buf[q] != 45:
            return -1
        p = q + 1
    if p >= b:
        return -1
    value = np.int64(0)
    for q in range(p, b):
        d = buf[q] - 48
        if d < 0 or d > 9 or value > (np.int64(9223372036854775807) - d) // 10:
            return -1
        value = value * 10 + d
    return int(value)


@numba.njit(cache=True, nogil=True)
def gather(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The byte ranges ``buf[starts[i]:ends[i]]`` end to end: (bytes, offsets)."""
    n = len(starts)
    offsets = np.empty(n + 1, np.int64)
    offsets[0] = 0
    for i in range(n):
        offsets[i + 1] = offsets[i] + ends[i] - starts[i]
    data = np.empty(offsets[n], np.uint8)
    for i in range(n):
        data[offsets[i] : offsets[i + 1]] = buf[starts[i] : ends[i]]
    return data, offsets


@numba.njit(cache=True, nogil=True)
def non_armour(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Whether each payload ``buf[starts:ends]`` holds a byte outside the armouring alphabet."""
    out = np.zeros(len(starts), np.bool_)
    for i in range(len(starts)):
        bad = np.uint8(0)
        for c in buf[starts[i] : ends[i]]:
            bad |= _armour(c)[1]
        out[i] = bad != 0
    return out


@numba.njit(cache=True, nogil=True)
def _seconds_at(buf: np.ndarray, q: int, end: int) -> tuple[int, int]:
    """Unix seconds written at ``buf[q:end]`` as 9 or 10 digits and an optional fraction, followed
    by ',' or the end: (seconds, where they stop), or (-1, -1)."""
    p = q
    while p < end and 48 <= buf[p] <= 57:
        p += 1
    if not 9 <= p - q <= 10:
        return -1, -1
    value = 0
    for k in range(q, p):
        value = value * 10 + (buf[k] - 48)
    if p < end and buf[p] == 46:  # '.'
        p += 1
        while p < end and 48 <= buf[p] <= 57:
            p += 1
    if p < end and buf[p] != 44:
        return -1, -1
    return value, p


@numba.njit(cache=True, nogil=True)
def trailing_seconds(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Receive times written after a sentence's checksum, ``buf[starts:ends]``: Unix seconds, or -1.

    The USCG form ``,r<station>,<seconds>`` (station starting r, b or B; the first such pair
    counts) before a bare ``,<seconds>`` that ends the text; seconds have 9 or 10 digits and an
    optional fraction. Text with a byte >= 128 has no time.
    """
    out = np.full(len(starts), -1, np.int64)
    for i in range(len(starts)):
        s, e = starts[i], ends[i]
        if _has_high_byte(buf, s, e):
            continue
        found = -1
        for p in range(s, e - 1):  # ,[rbB][A-Za-z0-9_]*,seconds
            if buf[p] != 44 or not (buf[p + 1] == 114 or buf[p + 1] == 98 or buf[p + 1] == 66):
                continue
            q = p + 2
            while q < e and (48 <= buf[q] <= 57 or 65 <= buf[q] <= 90 or 97 <= buf[q] <= 122 or buf[q] == 95):
                q += 1
            if q < e and buf[q] == 44:
                found = _seconds_at(buf, q + 1, e)[0]
                if found >= 0:
                    break
        if found < 0:  # ,seconds at the very end
            for p in range(s, e):
                if buf[p] == 44:
                    t, stop = _seconds_at(buf, p + 1, e)
                    if t >= 0 and stop == e:
                        found = t
                        break
        out[i] = found
    return out
