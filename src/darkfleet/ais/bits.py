"""Bulk de-armouring and bit-field extraction for AIS payloads.

A batch of payloads is turned into one 2-D array of six-bit values (one row per message,
zero-padded to the longest payload), and every field is then read for all rows at once. The
loops over messages run compiled (``darkfleet.ais.kernels``), not in Python.

References: ITU-R M.1371-5 Annex 8 (six-bit armouring, six-bit ASCII) and IEC 61162-1.
"""

from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from darkfleet.ais import kernels
from darkfleet.lake import schema

INVALID = 255
_ALLOCATOR_TUNED = False


def reuse_freed_memory() -> None:
    """Let glibc's malloc reuse freed memory for the large, short-lived arrays of a decode
    instead of mapping fresh zeroed pages for each (mmap threshold 64 MiB, trim threshold
    128 MiB). Measured: a quarter less CPU per block of NMEA, the same peak memory. Process-wide,
    once; nothing on other C libraries; ``DARKFLEET_MALLOC_TUNING=0`` turns it off.
    Called by the ingest where it decodes a chunk, not by the decoder: a program that only decodes
    AIS keeps its allocator as it was.
    """
    global _ALLOCATOR_TUNED
    if _ALLOCATOR_TUNED or os.environ.get("DARKFLEET_MALLOC_TUNING") == "0":
        return
    _ALLOCATOR_TUNED = True
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 64 << 20)  # M_MMAP_THRESHOLD
        libc.mallopt(-1, 128 << 20)  # M_TRIM_THRESHOLD
    except (OSError, AttributeError):  # not glibc
        pass

# Armoured payload character -> six-bit value (ITU-R M.1371, Annex 8, table 44).
ARMOUR = np.full(256, INVALID, dtype=np.uint8)
for _c in range(48, 88):
    ARMOUR[_c] = _c - 48
for _c in range(96, 120):
    ARMOUR[_c] = _c - 56

# Six-bit value -> ASCII character of AIS text fields ("six-bit ASCII", table 47).
SIXBIT_ASCII = np.array([v + 64 if v < 32 else v for v in range(64)], dtype=np.uint8)


@dataclass(frozen=True)
class Payloads:
    """Six-bit values of a batch of payloads: ``six[i, k]`` is character k of message i."""

    six: np.ndarray  # (n, max_chars) uint8, zero padded
    n_bits: np.ndarray  # (n,) int64: 6 * characters - fill bits

    def __len__(self) -> int:
        return int(self.six.shape[0])

    def take(self, mask: np.ndarray) -> Payloads:
        return Payloads(self.six[mask], self.n_bits[mask])


def ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The concatenation of ``arange(lo[i], hi[i])`` for every i."""
    lengths = (hi - lo).astype(np.int64)
    offsets = np.concatenate(([0], np.cumsum(lengths)))
    return np.arange(int(offsets[-1]), dtype=np.int64) + np.repeat(lo - offsets[:-1], lengths)


def gather(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate the byte ranges ``buf[starts[i]:ends[i]]``; return (bytes, offsets)."""
    return kernels.gather(buf, np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64))


def repeated(text: str, n: int) -> pa.StringArray:
    """``text`` ``n`` times, as a string array."""
    raw = text.encode()
    offsets = np.arange(n + 1, dtype=np.int32) * len(raw)
    data = np.tile(np.frombuffer(raw, dtype=np.uint8), n) if raw else np.zeros(0, np.uint8)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def string_array(values: list[str] | tuple[str, ...]) -> pa.StringArray:
    """Python strings as an Arrow string array, built from buffers (``pa.array`` on Python
    objects imports pandas, a third of a second in every process)."""
    encoded = [v.encode() for v in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    data = b"".join(encoded)
    return pa.LargeStringArray.from_buffers(len(encoded), pa.py_buffer(offsets), pa.py_buffer(data)).cast(pa.string())


def numpy_of(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A numeric or boolean Arrow array without nulls as NumPy, read from its buffers
    (``to_numpy`` would import pandas, which costs a third of a second in every process)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks() if array.num_chunks != 1 else array.chunk(0)
    if array.null_count:
        raise ValueError("numpy_of: the array has nulls")
    n, offset, data = len(array), array.offset, array.buffers()[1]
    if pa.types.is_boolean(array.type):
        if n == 0:
            return np.zeros(0, dtype=bool)
        packed = np.frombuffer(data, dtype=np.uint8)
        return np.unpackbits(packed, bitorder="little", count=offset + n)[offset:].astype(bool)
    dtype = np.dtype(_BY_ARROW[array.type])
    if n == 0:
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(data, dtype=dtype, count=n, offset=offset * dtype.itemsize)


_BY_ARROW = {pa.int8(): np.int8, pa.int16(): np.int16, pa.int32(): np.int32, pa.int64(): np.int64,
             pa.uint8(): np.uint8, pa.uint16(): np.uint16, pa.uint32(): np.uint32, pa.uint64(): np.uint64,
             pa.float32(): np.float32, pa.float64(): np.float64}


def strings(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> pa.StringArray:
    """The byte ranges of ``buf`` as an Arrow string array (the bytes must be ASCII / UTF-8)."""
    data, offsets = gather(buf, starts, ends)
    if offsets[-1] < 1 << 31:
        return pa.StringArray.from_buffers(len(starts), pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data))
    return pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(offsets), pa.py_buffer(data)).cast(pa.string())


def invalid_characters(buf: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """For payloads ``buf[starts[i]:ends[i]]``, whether each holds a non-armour byte."""
    return kernels.non_armour(buf, np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64))


MAX_WIDTH = 80  # the widest read of any decoded type (type 5: 71 characters), with room


def arrow(values: np.ndarray, type_: pa.DataType, mask: np.ndarray | None = None) -> pa.Array:
    """A numeric NumPy array as an Arrow array of ``type_``, nulls where ``mask`` is set.

    Built from buffers: the conversion runs in NumPy (Arrow's own conversion between integer
    widths, and its handling of a boolean mask, are many times slower).
    """
    if type_ == pa.bool_():
        flags = np.asarray(values).astype(bool, copy=False)
        data = np.packbits(flags, bitorder="little")
        n = len(flags)
    else:
        data = np.ascontiguousarray(np.asarray(values).astype(_NUMPY[type_], copy=False))
        n = len(data)
    if mask is None or not mask.any():
        return pa.Array.from_buffers(type_, n, [None, pa.py_buffer(data)])
    validity = np.packbits(~mask, bitorder="little")
    return pa.Array.from_buffers(type_, n, [pa.py_buffer(validity), pa.py_buffer(data)],
                                 null_count=int(mask.sum()))


_NUMPY = {schema.TS: np.int64, pa.int8(): np.int8, pa.int16(): np.int16, pa.int32(): np.int32, pa.int64(): np.int64,
          pa.float32(): np.float32, pa.float64(): np.float64}


def dearmour(
    buf: np.ndarray, starts: np.ndarray, ends: np.ndarray, fill_bits: np.ndarray, max_chars: int
) -> tuple[Payloads, np.ndarray]:
    """Six-bit values of payloads ``buf[starts:ends]``, read up to ``max_chars`` characters,
    and whether those characters are all in the armouring alphabet (bad ones read as 0).

    One compiled pass over the payloads' bytes (``kernels.sixbit_rows``).
    """
    lengths = (ends - starts).astype(np.int64)
    width = min(int(lengths.max()) if len(lengths) else 0, max_chars, MAX_WIDTH)
    six, valid = kernels.sixbit_rows(buf, starts, ends, width)
    return Payloads(six, lengths * 6 - fill_bits.astype(np.int64)), valid


def uint(p: Payloads, start: int, width: int) -> np.ndarray:
    """Unsigned field of ``width`` bits at bit ``start`` for every row (int64)."""
    return kernels.bit_field(p.six, start, width, False)


def sint(p: Payloads, start: int, width: int) -> np.ndarray:
    """Two's complement signed field."""
    return kernels.bit_field(p.six, start, width, True)


def present(p: Payloads, start: int, width: int) -> np.ndarray:
    """Rows whose payload is long enough to hold the field."""
    return p.n_bits >= start + width


def chars(p: Payloads, start: int, n_chars: int) -> np.ndarray:
    """The six-bit values of ``n_chars`` characters from bit ``start``, all rows at once: (n, n_chars)."""
    q, r = divmod(start, 6)
    cols = _columns(p, q, q + n_chars + (r > 0))
    if r == 0:
        return cols
    return ((cols[:, :-1] << r) | (cols[:, 1:] >> (6 - r))) & 63


def _columns(p: Payloads, lo: int, hi: int) -> np.ndarray:
    """Columns ``lo:hi`` of the six-bit matrix, zeros past its width."""
    width = p.six.shape[1]
    if hi <= width:
        return p.six[:, lo:hi]
    out = np.zeros((len(p), hi - lo), dtype=np.uint8)
    if lo < width:
        out[:, : width - lo] = p.six[:, lo:]
    return out


def text(p: Payloads, start: int, width: int) -> pa.StringArray:
    """Six-bit ASCII text field, trailing '@' then surrounding spaces removed (as pyais).

    Characters beyond the end of a short payload read as '@' (value 0) and so end the text.
    """
    n_chars = width // 6
    values = chars(p, start, n_chars)
    # Characters past the payload's end (partial six-bit groups included) count as '@'.
    ends = start + 6 * np.arange(1, n_chars + 1)
    past = ends[None, :] > p.n_bits[:, None]
    if past.any():
        values = np.where(past, 0, values)
    return trimmed(SIXBIT_ASCII[values])


def trimmed(chars: np.ndarray) -> pa.StringArray:
    """Rows of ASCII characters as strings: up to the last character that is not '@', then
    without leading and trailing spaces (pyais's rule).

    The rows are viewed as fixed-width strings and trimmed by Arrow's ASCII kernels, several
    times faster than finding the bounds in NumPy.
    """
    n, n_chars = chars.shape
    offsets = np.arange(n + 1, dtype=np.int32) * n_chars
    rows = pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(chars)))
    return pc.ascii_trim(pc.ascii_rtrim(rows, characters="@"), characters=" ")
