"""Decoding one NMEA file in chunks, on one process or several, with the result of a serial decode.

A plain file is cut into chunks of about ``CHUNK_BYTES`` at line boundaries, and each chunk into
blocks: a head block of ``head_lines`` lines, then blocks of about ``block_bytes``. The rows and
rejects of a chunk are written as files of that chunk (``lake.writer``), so the lake depends only
on the file, not on which process decoded which chunk.

What crosses a chunk boundary is small: the decoder's state (multipart parts waiting for their
siblings, the last Gatehouse time) and the number of lines before the chunk (``ChunkState``).
On several processes, a chunk is decoded while the one before it is still running, from an empty
state (speculation). When the previous chunk's final state arrives, the head block is decoded
again from it. If the decoder's state after the head block is then the same as after the
speculative head, every later block decodes the same way too (the decoder is deterministic given
its state), so only the head block's result is replaced. Otherwise the whole chunk is decoded
again from the true state. Either way the chunk's rows are exactly those of a serial decode. The
head block is several multipart windows long, so parts waiting at the boundary have been joined
or given up by its end, and the states agree except for contrived input.
"""

from __future__ import annotations

import gzip
import os
import pickle
import signal
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa

from darkfleet.ais import bits, nmea
from darkfleet.ais.decode import Batch, DecodeOptions, Decoder, DecoderState, frame_block, warm_up
from darkfleet.lake.store import Lake
from darkfleet.lake.writer import PartitionWriter

CHUNK_BYTES = 32 << 20  # at most: memory per process grows with it
MIN_CHUNK_BYTES = 16 << 20  # each chunk writes its own files: not too many
BLOCK_BYTES = 8 << 20
MIN_HEAD_LINES = 8192
BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class ChunkState:
    """What one chunk hands to the next: the decoder's state and the next chunk's first line."""

    decoder: DecoderState = field(default_factory=DecoderState)
    next_line: int = 1


@dataclass(frozen=True)
class ChunkJob:
    """Chunk ``chunk`` of ``path`` (``n_chunks`` chunks of ``chunk_bytes``; 1 chunk: the whole stream)."""

    lake_root: str
    path: str
    display_path: str
    source: str
    chunk: int
    n_chunks: int
    chunk_bytes: int
    decode: DecodeOptions
    block_bytes: int = BLOCK_BYTES

    @property
    def head_lines(self) -> int:
        return max(MIN_HEAD_LINES, 8 * self.decode.multipart_window_lines)


@dataclass
class ChunkResult:
    chunk: int
    state: ChunkState
    read: int = 0
    accepted: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)
    redecoded: str = ""  # "", "head" or "chunk": what the speculation had to decode again
    skipped: bool = False  # not written: the file turned out to be in the lake already


def open_input(path: Path) -> BinaryIO:
    """The file's bytes, decompressed if it is gzip."""
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else path.open("rb")  # type: ignore[return-value]


def chunk_size(size: int) -> int:
    """Chunk size for a file of ``size`` bytes: about four chunks, between 16 and 32 MB, so
    that two processes share even a mid-sized file. It depends on the size alone, so the lake
    does not depend on the number of processes."""
    return min(CHUNK_BYTES, max(MIN_CHUNK_BYTES, size // 4))


def n_chunks(size: int, chunk_bytes: int) -> int:
    return max(1, -(-size // chunk_bytes))


def chunk_start(fh: BinaryIO, nominal: int, size: int) -> int:
    """The first line start at or after byte ``nominal`` (``size`` if there is none)."""
    if nominal <= 0:
        return 0
    if nominal >= size:
        return size
    pos = nominal - 1
    fh.seek(pos)
    while piece := fh.read(1 << 16):
        k = piece.find(b"\n")
        if k >= 0:
            return pos + k + 1
        pos += len(piece)
    return size


def chunk_blocks(fh: BinaryIO, start: int, end: int | None, head_lines: int, block_bytes: int) -> Iterator[bytes]:
    """Blocks of complete lines of ``[start, end)`` (``end`` None: to the end of the stream);
    ``fh`` is positioned at ``start``.

    The first block holds the first ``head_lines`` lines; the others about ``block_bytes``
    each, cut after a newline. A byte-order mark at the start of the file is dropped.
    """
    remaining = None if end is None else end - start

    def read(n: int) -> bytes:
        nonlocal remaining
        if remaining is not None:
            n = min(n, remaining)
            if n <= 0:
                return b""
        data = fh.read(n)
        if remaining is not None:
            remaining -= len(data)
        return data

    tail = read(min(block_bytes, 1 << 20))
    if start == 0 and tail.startswith(BOM):
        tail = tail[len(BOM):]
    pieces, counted = [tail], tail.count(b"\n")
    while counted < head_lines:  # the head block: the first head_lines lines
        more = read(max(block_bytes, 1 << 20))
        if not more:
            if any(pieces):
                yield b"".join(pieces)
            return
        pieces.append(more)
        counted += more.count(b"\n")
    tail = b"".join(pieces)
    cut = int(np.flatnonzero(np.frombuffer(tail, dtype=np.uint8) == 10)[head_lines - 1]) + 1
    yield tail[:cut]
    tail = tail[cut:]
    while True:
        chunk = read(block_bytes)
        if not chunk:
            if tail:
                yield tail
            return
        data = tail + chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            tail = data
            continue
        yield data[:cut]
        tail = data[cut:]


def shifted(state: DecoderState, offset: int) -> DecoderState:
    """The state with the line numbers of its waiting parts moved by ``offset``."""
    return DecoderState([(k, [(n, replace(f, line=f.line + offset)) for n, f in parts])
                         for k, parts in state.pending], state.last_gatehouse_us)


@dataclass
class _Head:
    """The head block as the speculation saw it: its records (with their own times, before any
    stamping) and the decoder's state after it."""

    rec: nmea.Records | None = None
    times: np.ndarray | None = None
    state: DecoderState | None = None


class _Blocks:
    """Decoded blocks of one chunk, numbered from line 1 of the chunk."""

    def __init__(self, job: ChunkJob) -> None:
        self.job = job
        self.batches: list[Batch] = []
        self.lines = 0

    def open(self) -> tuple[BinaryIO, int, int | None]:
        fh = open_input(Path(self.job.path))
        if self.job.n_chunks == 1:
            return fh, 0, None
        size = os.fstat(fh.fileno()).st_size
        nominal = self.job.chunk * self.job.chunk_bytes
        start = chunk_start(fh, nominal, size)
        end = chunk_start(fh, nominal + self.job.chunk_bytes, size)
        fh.seek(start)
        return fh, start, max(start, end)

    def run(self, dec: Decoder, skip: int = 0, head: _Head | None = None) -> None:
        """Decode the blocks from number ``skip`` on with ``dec`` (earlier ones only counted);
        keep what ``head`` asks for of the first block."""
        fh, start, end = self.open()
        with fh:
            line = 1
            for k, data in enumerate(chunk_blocks(fh, start, end, self.job.head_lines, self.job.block_bytes)):
                if k < skip:
                    line += data.count(b"\n")
                else:
                    rec = frame_block(data, line)
                    if k == 0 and head is not None:
                        head.rec, head.times = rec, rec.time_us.copy()
                    batch = dec.decode_messages(*dec.assemble(rec))
                    if k < len(self.batches):
                        self.batches[k] = batch
                    else:
                        self.batches.append(batch)
                    if k == 0 and head is not None:
                        head.state = dec.snapshot()
                    line += rec.newlines
            self.lines = line - 1


def decode_chunk(job: ChunkJob, state_in: ChunkState | None,
                 wait: Callable[[], ChunkState] | None = None,
                 source: Callable[[], str | None] | None = None,
                 publish: Callable[[ChunkState], None] | None = None) -> ChunkResult:
    """Decode and write one chunk. Without ``state_in``, speculate and ``wait`` for it at the end.

    The chunk's final state goes to ``publish`` as soon as it is known, before the rows are
    written, so that the process decoding the next chunk does not wait for this one's writing.
    A job without a source id (the file is still being hashed) gets it from ``source`` before
    writing; None from there means the file is not to be written (``ChunkResult.skipped``).
    """
    bits.reuse_freed_memory()  # the ingest's processes only, not every program that decodes AIS
    dec = Decoder(job.source, job.decode)
    blocks = _Blocks(job)
    if state_in is not None:
        dec.restore(state_in.decoder, -(state_in.next_line - 1))
        blocks.run(dec)
        redecoded = ""
    else:
        assert wait is not None
        head = _Head()
        blocks.run(dec, head=head)
        state_in = wait()
        true = Decoder(job.source, job.decode)
        true.restore(state_in.decoder, -(state_in.next_line - 1))
        redecoded = "head"
        if head.rec is not None and head.times is not None:
            head.rec.time_us = head.times
            blocks.batches[0] = true.decode_messages(*true.assemble(head.rec))
            if true.snapshot() != head.state:
                blocks.run(true, skip=1)  # the head ended in another state: decode the rest again
                redecoded = "chunk"
            else:
                true = dec
        dec = true
    last = job.chunk == job.n_chunks - 1
    if last:
        blocks.batches.append(dec.finish())
    offset = state_in.next_line - 1
    result = ChunkResult(job.chunk, ChunkState(shifted(dec.snapshot(), offset), state_in.next_line + blocks.lines),
                         redecoded=redecoded)
    if publish is not None:
        publish(result.state)
    if not job.source:  # decoded while the file was hashed
        assert source is not None
        known = source()
        if known is None:
            result.skipped = True
            return result
        job = replace(job, source=known)
    _write(job, blocks.batches, offset, result)
    return result


def _write(job: ChunkJob, batches: list[Batch], offset: int, result: ChunkResult) -> None:
    lake = Lake.open(job.lake_root)
    writer = PartitionWriter(lake, job.source)
    rejects = []
    for batch in batches:
        result.read += batch.read
        result.accepted.update(batch.accepted)
        result.rejected.update(batch.rejected)
        for table, rows in batch.tables.items():
            if offset:
                i = rows.schema.get_field_index("line")
                # In NumPy: pa.scalar on a Python int imports pandas (half a second per process).
                line = bits.numpy_of(rows["line"]) + offset
                rows = rows.set_column(i, rows.schema.field(i), bits.arrow(line, pa.int64()))
            writer.add(table, rows)
        if batch.n_rejects:  # (the writer puts the source id in the tables' rows)
            rejects.append(batch.reject_table(job.source, job.display_path, offset))
    if rejects:
        lake.write_rejects(job.source, job.chunk, pa.concat_tables(rejects))
    writer.end_chunk(job.chunk)
    result.rows = Counter(writer.rows_written)


# -- several processes ---------------------------------------------------------------------

def claim_and_decode(jobs: list[ChunkJob], rundir: str,
                     done: Callable[[ChunkResult], None] | None = None) -> list[ChunkResult]:
    """Decode chunks of ``jobs`` in order, each claimed by whichever process gets to it first.

    Processes coordinate through files in ``rundir``: ``claim-N`` (created exclusively) and
    ``state-N`` (the final state of chunk N, written atomically once it is decoded, before its rows
    are written), or ``failed-N``.
    """
    out = []
    for job in jobs:
        c = job.chunk
        if os.path.exists(os.path.join(rundir, "skip")):
            break
        try:
            os.close(os.open(os.path.join(rundir, f"claim-{c}"), os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            continue
        try:
            state_in = ChunkState() if c == 0 else _read_state(rundir, c - 1)
            result = decode_chunk(job, state_in, None if state_in is not None else partial(_wait_state, rundir, c - 1),
                                  partial(wait_source, rundir), partial(_publish_state, rundir, c))
        except BaseException:
            open(os.path.join(rundir, f"failed-{c}"), "w").close()
            raise
        out.append(result)
        if done:
            done(result)
    return out


def publish_source(rundir: str, source: str | None) -> None:
    """Tell the processes the file's source id (None: do not write, it is in the lake)."""
    name = "skip" if source is None else "source"
    tmp = os.path.join(rundir, f".{name}")
    with open(tmp, "w") as fh:
        fh.write(source or "")
    os.replace(tmp, os.path.join(rundir, name))


def wait_source(rundir: str) -> str | None:
    while True:
        if os.path.exists(os.path.join(rundir, "skip")):
            return None
        path = os.path.join(rundir, "source")
        if os.path.exists(path):
            with open(path) as fh:
                return fh.read()
        time.sleep(0.002)


def _publish_state(rundir: str, c: int, state: ChunkState) -> None:
    tmp = os.path.join(rundir, f".state-{c}")
    with open(tmp, "wb") as fh:
        pickle.dump(state, fh)
    os.replace(tmp, os.path.join(rundir, f"state-{c}"))


def _read_state(rundir: str, c: int) -> ChunkState | None:
    path = os.path.join(rundir, f"state-{c}")
    if os.path.exists(os.path.join(rundir, f"failed-{c}")):
        raise RuntimeError(f"chunk {c} failed")
    if not os.path.exists(path):
        return None
    with open(path, "rb") as fh:
        state = pickle.load(fh)
    assert isinstance(state, ChunkState)
    return state


def _wait_state(rundir: str, c: int) -> ChunkState:
    while (state := _read_state(rundir, c)) is None:
        time.sleep(0.002)
    return state


def ready() -> None:
    """A first task for a new worker process: it has imported this module by then, and loaded the
    compiled decoding loops (while the file is still being hashed, not in its first chunk)."""
    warm_up()


def die_with_parent(parent: int) -> None:
    """Worker initializer: a worker must not outlive an ingest that was killed (Linux). ``parent``:
    the ingest's process id. A worker holds both ends of its task queue, so it would wait on it
    for ever; the kernel kills it when its parent dies, and if the parent died while the worker
    was still starting (before this ran), it exits now."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass
    if os.getppid() != parent:
        os._exit(1)
