"""Ingest raw AIS files (NMEA text or CSV exports, plain or gzip) into the lake.

Files are streamed in blocks of complete lines, so memory stays bounded whatever the input
size; each block's rows are written as they are decoded (Parquet writing runs on a second
thread, overlapping with decoding). Every line is accounted for: read = accepted + rejected.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import io
import json
import multiprocessing
import os
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

import darkfleet
from darkfleet.ais import csvfmt, nmea
from darkfleet.ais.decode import Batch, DecodeOptions, Decoder, frame_block
from darkfleet.lake import schema
from darkfleet.lake.store import Lake
from darkfleet.lake.writer import PartitionWriter

BLOCK_BYTES = 8 << 20
BOM = b"\xef\xbb\xbf"


@dataclass
class FileReport:
    path: str
    source: str
    format: str
    skipped: bool = False
    read: int = 0
    accepted: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)


@dataclass
class IngestReport:
    files: list[FileReport] = field(default_factory=list)

    @property
    def read(self) -> int:
        return sum(f.read for f in self.files)

    def total(self, attr: str) -> dict[str, int]:
        out: Counter[str] = Counter()
        for f in self.files:
            out.update(getattr(f, attr))
        return dict(sorted(out.items()))

    def as_json(self) -> dict[str, object]:
        return {
            "read": self.read,
            "accepted": self.total("accepted"),
            "rejected": self.total("rejected"),
            "rows": self.total("rows"),
            "files": len(self.files),
            "skipped": [f.path for f in self.files if f.skipped],
        }


def expand_paths(paths: list[str]) -> list[Path]:
    """Files named directly, found under directories, or matched by globs; sorted, once each."""
    out: list[Path] = []
    for p in paths:
        matches = sorted(glob.glob(p, recursive=True)) if glob.has_magic(p) else [p]
        if not matches:
            raise FileNotFoundError(f"no file matches {p!r}")
        for m in matches:
            path = Path(m)
            if path.is_dir():
                out.extend(sorted(f for f in path.rglob("*") if f.is_file() and not f.name.startswith(".")))
            elif path.is_file():
                out.append(path)
            else:
                raise FileNotFoundError(f"no such file or directory: {m}")
    seen: set[Path] = set()
    unique = []
    for f in out:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            unique.append(f)
    return unique


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def _open(path: Path) -> BinaryIO:
    with path.open("rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else path.open("rb")  # type: ignore[return-value]


def _blocks(fh: BinaryIO, block_bytes: int) -> Iterator[tuple[bytes, int]]:
    """Blocks of complete lines and the 1-based number of each block's first line."""
    line = 1
    tail = b""
    first = True
    while True:
        chunk = fh.read(block_bytes)
        if first:
            if chunk.startswith(BOM):
                chunk = chunk[len(BOM):]
            first = False
        if not chunk:
            if tail:
                yield tail, line
            return
        data = tail + chunk
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            tail = data
            continue
        block, tail = data[:cut], data[cut:]
        yield block, line
        line += block.count(b"\n")


@dataclass(frozen=True)
class IngestOptions:
    decode: DecodeOptions = DecodeOptions()
    csv_format: csvfmt.CsvFormat | None = None  # forces CSV with this mapping
    block_bytes: int = BLOCK_BYTES


def sniff_format(path: Path, options: IngestOptions) -> tuple[str, csvfmt.CsvFormat | None]:
    """("nmea", None) or ("csv", mapping), from the first line of the file."""
    if options.csv_format is not None:
        return "csv", options.csv_format
    with _open(path) as fh:
        head = fh.read(65536)
    if head.startswith(BOM):
        head = head[len(BOM):]
    first = next((ln.strip() for ln in head.splitlines() if ln.strip()), b"")
    if first[:1] in (b"!", b"\\", b"$", b"#") and not first.startswith(b"# Timestamp"):
        return "nmea", None
    header = pacsv.read_csv(io.BytesIO(first + b"\n")).column_names if b"," in first else []
    fmt = csvfmt.detect(header) if header else None
    if fmt is not None:
        return "csv", fmt
    raise ValueError(
        f"{path}: cannot tell the format from the first line {first[:80]!r}: it is neither NMEA "
        f"(starting with '!', '\\\\' or '$') nor the header of a known CSV export "
        f"({', '.join(f.name for f in csvfmt.KNOWN)}); give the columns with --map"
    )


PARALLEL_MIN_BYTES = 64 << 20  # below this, starting worker processes costs more than it saves


def ingest(
    lake: Lake,
    paths: list[Path],
    options: IngestOptions | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> IngestReport:
    """Ingest files into the lake. ``progress`` is called with bytes consumed.

    Several large files are ingested in parallel, one worker process per core (``workers``);
    each file is still decoded on two threads. Files with the same content are ingested once.
    """
    options = options or IngestOptions()
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    sizes = [p.stat().st_size for p in paths]
    if workers > 1 and len(paths) > 1 and sum(sizes) >= PARALLEL_MIN_BYTES:
        return _ingest_parallel(lake, paths, options, progress, workers)
    report = IngestReport()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lake-writer") as writer:
        for path in paths:
            report.files.append(_ingest_file(lake, path, options, writer, progress))
    return report


def _ingest_parallel(lake: Lake, paths: list[Path], options: IngestOptions,
                     progress: Callable[[int], None] | None, workers: int) -> IngestReport:
    shas = [sha256_of(p) for p in paths]
    first_of: dict[str, int] = {}
    for i, sha in enumerate(shas):
        first_of.setdefault(sha, i)
    results: dict[int, FileReport] = {}
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        futures = {}
        for i, (path, sha) in enumerate(zip(paths, shas, strict=True)):
            if first_of[sha] != i:  # the same content under another name: once is enough
                results[i] = FileReport(str(path), sha[:16], "duplicate", skipped=True)
                if progress:
                    progress(path.stat().st_size)
                continue
            futures[pool.submit(_ingest_in_worker, str(lake.root), str(path), options, sha)] = i
        for future in as_completed(futures):
            i = futures[future]
            results[i] = future.result()
            if progress:
                progress(paths[i].stat().st_size)
    return IngestReport([results[i] for i in range(len(paths))])


def _ingest_in_worker(root: str, path: str, options: IngestOptions, sha: str) -> FileReport:
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="lake-writer") as writer:
        return _ingest_file(Lake.open(root), Path(path), options, writer, None, sha)


def _ingest_file(lake: Lake, path: Path, options: IngestOptions, writer: ThreadPoolExecutor,
                 progress: Callable[[int], None] | None, sha: str | None = None) -> FileReport:
    size = path.stat().st_size
    sha = sha or sha256_of(path)
    source = sha[:16]
    fmt_name, fmt = sniff_format(path, options)
    rep = FileReport(str(path), source, fmt.name if fmt else fmt_name)
    if lake.has_source(source):
        rep.skipped = True
        if progress:
            progress(size)
        return rep
    lake.discard_partial(source)
    pending: list[Future[None]] = []
    partitions = PartitionWriter(lake, source)

    def write(block: int, batch: Batch) -> None:
        for table, rows in batch.tables.items():
            partitions.add(table, rows)
        if batch.rejects:
            lines, texts, reasons = zip(*batch.rejects, strict=True)
            lake.write_rejects(source, block, pa.table({
                "source": pa.array([source] * len(lines), pa.string()),
                "path": pa.array([str(path)] * len(lines), pa.string()),
                "line": pa.array(lines, pa.int64()),
                "text": pa.array(texts, pa.string()),
                "reason": pa.array(reasons, pa.string()),
            }, schema=schema.REJECTS))

    def account(block: int, batch: Batch) -> None:
        rep.read += batch.read
        rep.accepted.update(batch.accepted)
        rep.rejected.update(batch.rejected)
        pending.append(writer.submit(write, block, batch))
        while len(pending) > 1:  # bound memory: at most one block waiting to be written
            pending.pop(0).result()

    with _open(path) as fh:
        if fmt is None:
            _ingest_nmea(fh, size, source, options, account, progress)
        else:
            _ingest_csv(fh, fmt, source, options, account)
    for f in pending:
        f.result()
    writer.submit(partitions.close).result()
    rep.rows = Counter(partitions.rows_written)
    if progress:
        progress(0)
    rep.accepted = Counter({k: v for k, v in rep.accepted.items() if v})
    lake.commit_source({
        "source": source, "path": str(path), "sha256": sha, "size_bytes": size,
        "format": rep.format, "ingested_at": datetime.now(UTC), "read": rep.read,
        "accepted_json": json.dumps(dict(sorted(rep.accepted.items()))),
        "rejected_json": json.dumps(dict(sorted(rep.rejected.items()))),
        "darkfleet_version": darkfleet.__version__,
    })
    return rep


def _ingest_nmea(fh: BinaryIO, size: int, source: str, options: IngestOptions,
                 account: Callable[[int, Batch], None], progress: Callable[[int], None] | None) -> int:
    """Decode blocks on two threads: while one block is framed, the one before it is decoded.

    Framing and decoding hold no state and run on the pool (NumPy and Arrow release the GIL
    in their loops); times and multipart reassembly run here, in file order, so the result is
    that of a sequential decode.
    """
    decoder = Decoder(source, options.decode)
    framed: deque[Future[nmea.Records]] = deque()
    decoded: deque[Future[Batch]] = deque()
    block = 0
    last = 0
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="decode") as pool:
        blocks = _blocks(fh, options.block_bytes)
        done = False
        while not done or framed:
            while not done and len(framed) < 2:
                nxt = next(blocks, None)
                if nxt is None:
                    done = True
                else:
                    framed.append(pool.submit(frame_block, *nxt))
            if framed:
                decoded.append(pool.submit(decoder.decode_messages, *decoder.assemble(framed.popleft().result())))
            while len(decoded) > (1 if framed or not done else 0):
                account(block, decoded.popleft().result())
                block += 1
                if progress:
                    pos = _position(fh, size)
                    progress(pos - last)
                    last = pos
    account(block, decoder.finish())
    return block + 1


def _position(fh: BinaryIO, size: int) -> int:
    raw = getattr(fh, "fileobj", None)  # gzip: position in the compressed file
    try:
        return min((raw or fh).tell(), size)
    except (OSError, ValueError):
        return 0


def _ingest_csv(fh: BinaryIO, fmt: csvfmt.CsvFormat, source: str, options: IngestOptions,
                account: Callable[[int, Batch], None]) -> int:
    data = fh.read(65536)
    if data.startswith(BOM):
        data = data[len(BOM):]
    header_line = data.split(b"\n", 1)[0].rstrip(b"\r")
    names = pacsv.read_csv(io.BytesIO(header_line + b"\n")).column_names
    stream = io.BufferedReader(_Prepend(data, fh))  # type: ignore[type-var]
    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(block_size=options.block_bytes, use_threads=True),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                             strings_can_be_null=False),
    )
    line, block = 2, 0
    for rb in reader:
        df = pl.from_arrow(pa.Table.from_batches([rb]))
        assert isinstance(df, pl.DataFrame)
        account(block, csvfmt.decode_frame(df, fmt, source, line))
        line += df.height
        block += 1
    return block


class _Prepend(io.RawIOBase):
    """A raw stream that yields ``head`` then the rest of ``fh``."""

    def __init__(self, head: bytes, fh: BinaryIO) -> None:
        self._head = head
        self._fh = fh

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        chunk = self._fh.read(len(b))
        b[: len(chunk)] = chunk
        return len(chunk)


def summary_rows(report: IngestReport) -> list[tuple[str, str, int]]:
    rows: list[tuple[str, str, int]] = [("read", "", report.read)]
    rows += [("accepted", k, v) for k, v in report.total("accepted").items()]
    rows += [("rejected", k, v) for k, v in report.total("rejected").items()]
    return rows

