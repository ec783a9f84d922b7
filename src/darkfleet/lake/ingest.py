"""Ingest raw AIS files (NMEA text or CSV exports, plain or gzip) into the lake.

Files are streamed in chunks of blocks of complete lines, so memory stays bounded whatever the
input size; each chunk's rows are written when it is decoded, as files that depend only on the
input (``lake.chunks``, ``lake.writer``). A large NMEA file is decoded on several processes with
the result of a serial decode. Every line is accounted for: read = accepted + rejected.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import io
import json
import multiprocessing
import os
import tempfile
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv

import darkfleet
from darkfleet.ais import csvfmt
from darkfleet.ais.decode import DecodeOptions
from darkfleet.lake import chunks
from darkfleet.lake.store import Lake
from darkfleet.lake.writer import PartitionWriter

BLOCK_BYTES = chunks.BLOCK_BYTES
BOM = chunks.BOM


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


_open = chunks.open_input


@dataclass(frozen=True)
class IngestOptions:
    decode: DecodeOptions = DecodeOptions()
    csv_format: csvfmt.CsvFormat | None = None  # forces CSV with this mapping
    block_bytes: int = BLOCK_BYTES
    chunk_bytes: int | None = None  # None: by file size (chunks.chunk_size)


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


PARALLEL_MIN_BYTES = 64 << 20  # below this much input, worker processes cost more than they save


def ingest(
    lake: Lake,
    paths: list[Path],
    options: IngestOptions | None = None,
    progress: Callable[[int], None] | None = None,
    workers: int | None = None,
) -> IngestReport:
    """Ingest files into the lake. ``progress`` is called with bytes consumed.

    A large NMEA file is decoded in chunks on ``workers`` processes (this one and the others,
    see ``lake.chunks``); several smaller files are ingested in parallel, one per process.
    Either way the lake is the one a serial ingest writes. Files with the same content are
    ingested once.
    """
    options = options or IngestOptions()
    workers = workers if workers is not None else min(2, os.cpu_count() or 1)
    sizes = [p.stat().st_size for p in paths]
    big = [s >= 2 * (options.chunk_bytes or chunks.chunk_size(s)) for s in sizes]
    if workers > 1 and len(paths) > 1 and not any(big) and sum(sizes) >= PARALLEL_MIN_BYTES:
        return _ingest_parallel(lake, paths, options, progress, workers)
    report = IngestReport()
    for path in paths:
        report.files.append(_ingest_file(lake, path, options, progress, workers))
    return report


def _ingest_parallel(lake: Lake, paths: list[Path], options: IngestOptions,
                     progress: Callable[[int], None] | None, workers: int) -> IngestReport:
    shas = [sha256_of(p) for p in paths]
    first_of: dict[str, int] = {}
    for i, sha in enumerate(shas):
        first_of.setdefault(sha, i)
    results: dict[int, FileReport] = {}
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=chunks.die_with_parent,
                             initargs=(os.getpid(),)) as pool:
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
    return _ingest_file(Lake.open(root), Path(path), options, None, 1, sha)


def _ingest_file(lake: Lake, path: Path, options: IngestOptions, progress: Callable[[int], None] | None,
                 workers: int, sha: str | None = None) -> FileReport:
    size = path.stat().st_size
    fmt_name, fmt = sniff_format(path, options)
    pool = None
    with _open(path) as fh:
        plain = not isinstance(fh, gzip.GzipFile)
    chunk_bytes = options.chunk_bytes or chunks.chunk_size(size)
    count = chunks.n_chunks(size, chunk_bytes) if plain and fmt is None else 1
    # Below PARALLEL_MIN_BYTES a second process costs more than it saves (it imports for about
    # 1.5 s), unless the caller chose the chunk size.
    if workers > 1 and count > 1 and (options.chunk_bytes or size >= PARALLEL_MIN_BYTES):
        # start the workers now: they import while the file is hashed
        pool = ProcessPoolExecutor(max_workers=workers - 1, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=chunks.die_with_parent, initargs=(os.getpid(),))
        pool.submit(chunks.ready)
    try:
        if pool is not None and fmt is None and sha is None:
            # Hash the file on a thread while the chunks are decoded; they are written once the
            # hash says the file is not in the lake yet.
            sha, rep = _ingest_chunks_while_hashing(lake, path, options, pool, workers, count, chunk_bytes, progress)
            if rep.skipped:
                return rep
            source = sha[:16]
        else:
            sha = sha or sha256_of(path)
            source = sha[:16]
            rep = FileReport(str(path), source, fmt.name if fmt else fmt_name)
            if lake.has_source(source):
                rep.skipped = True
                if progress:
                    progress(size)
                return rep
            lake.discard_partial(source)
            if fmt is None:
                jobs = [chunks.ChunkJob(str(lake.root), str(path), str(path), source, c, count, chunk_bytes,
                                        options.decode, options.block_bytes) for c in range(count)]
                _add_results(rep, _decode_chunks(jobs, pool, workers, size, progress))
            else:
                with _open(path) as fh:
                    _ingest_csv(lake, fh, fmt, source, str(path), options, rep)
    finally:
        if pool is not None:
            # Not waiting for the workers to exit (a third of a second: interpreter teardown);
            # every chunk they took is written by now, and they stop on their own.
            pool.shutdown(wait=False, cancel_futures=True)
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


def _add_results(rep: FileReport, results: list[chunks.ChunkResult]) -> None:
    for r in results:
        rep.read += r.read
        rep.accepted.update(r.accepted)
        rep.rejected.update(r.rejected)
        rep.rows.update(r.rows)


def _ingest_chunks_while_hashing(lake: Lake, path: Path, options: IngestOptions, pool: ProcessPoolExecutor,
                                 workers: int, count: int, chunk_bytes: int,
                                 progress: Callable[[int], None] | None) -> tuple[str, FileReport]:
    size = path.stat().st_size
    with tempfile.TemporaryDirectory(prefix="darkfleet-ingest-") as rundir:

        def hash_and_publish() -> str:
            try:
                sha = sha256_of(path)
                if lake.has_source(sha[:16]):
                    chunks.publish_source(rundir, None)
                else:
                    lake.discard_partial(sha[:16])
                    chunks.publish_source(rundir, sha[:16])
            except BaseException:
                chunks.publish_source(rundir, None)
                raise
            return sha

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha256") as hasher:
            hashed = hasher.submit(hash_and_publish)
            jobs = [chunks.ChunkJob(str(lake.root), str(path), str(path), "", c, count, chunk_bytes,
                                    options.decode, options.block_bytes) for c in range(count)]
            results = _decode_chunks(jobs, pool, workers, size, progress, rundir)
            sha = hashed.result()
    rep = FileReport(str(path), sha[:16], "nmea")
    if any(r.skipped for r in results) or not results:
        rep.skipped = True
        if progress:
            progress(size)
        return sha, rep
    _add_results(rep, results)
    return sha, rep


def _decode_chunks(jobs: list[chunks.ChunkJob], pool: ProcessPoolExecutor | None, workers: int, size: int,
                   progress: Callable[[int], None] | None, rundir: str | None = None) -> list[chunks.ChunkResult]:
    """Decode the chunks of one file here and, given a pool, on ``workers - 1`` other processes."""
    per_chunk = size // len(jobs)

    def done(_: chunks.ChunkResult) -> None:
        if progress:
            progress(per_chunk)

    if pool is None:
        state = chunks.ChunkState()
        results = []
        for job in jobs:
            r = chunks.decode_chunk(job, state)
            state = r.state
            results.append(r)
            done(r)
        return results
    with tempfile.TemporaryDirectory(prefix="darkfleet-ingest-") as own:
        rundir = rundir or own
        futures = [pool.submit(chunks.claim_and_decode, jobs, rundir) for _ in range(workers - 1)]
        results = chunks.claim_and_decode(jobs, rundir, done)
        for f in futures:
            theirs = f.result()
            for r in theirs:
                done(r)
            results += theirs
    return sorted(results, key=lambda r: r.chunk)


CSV_BLOCKS_PER_CHUNK = 4


def _ingest_csv(lake: Lake, fh: BinaryIO, fmt: csvfmt.CsvFormat, source: str, path: str,
                options: IngestOptions, rep: FileReport) -> None:
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
    writer = PartitionWriter(lake, source)
    rejects: list[pa.Table] = []
    line, block, chunk = 2, 0, 0

    def end_chunk() -> None:
        if rejects:
            lake.write_rejects(source, chunk, pa.concat_tables(rejects))
            rejects.clear()
        writer.end_chunk(chunk)

    for rb in reader:
        df = pl.from_arrow(pa.Table.from_batches([rb]))
        assert isinstance(df, pl.DataFrame)
        batch = csvfmt.decode_frame(df, fmt, source, line)
        rep.read += batch.read
        rep.accepted.update(batch.accepted)
        rep.rejected.update(batch.rejected)
        for table, rows in batch.tables.items():
            writer.add(table, rows)
        if batch.n_rejects:
            rejects.append(batch.reject_table(source, path))
        line += df.height
        block += 1
        if block % CSV_BLOCKS_PER_CHUNK == 0:
            end_chunk()
            chunk += 1
    if block % CSV_BLOCKS_PER_CHUNK:
        end_chunk()
    rep.rows.update(writer.rows_written)


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

