"""Ingest into the lake: accounting over every real file, idempotence, resume after a kill."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from darkfleet.ais.decode import DecodeOptions
from darkfleet.lake.ingest import IngestOptions, expand_paths, ingest
from darkfleet.lake.query import connect
from darkfleet.lake.store import Lake
from tests.conftest import SHARED_DATA, shared_files

AIS_FILES = [f for f in shared_files("ais") if f.name not in ("LICENSE", "COPYING", "LICENSE-mobiml")
             and f.suffix not in (".chk", ".json")]


def lake_snapshot(root: Path) -> dict[str, bytes]:
    """Every data file of a lake with its content, except the ingest time in sources/."""
    out = {}
    for f in sorted(root.rglob("*.parquet")):
        rel = str(f.relative_to(root))
        if not rel.startswith("sources"):
            out[rel] = f.read_bytes()
    return out


@pytest.mark.parametrize("path", AIS_FILES, ids=lambda p: str(p.relative_to(SHARED_DATA)))
def test_every_line_is_accounted_for(path: Path, tmp_path: Path) -> None:
    lake = Lake.open(tmp_path / "lake")
    report = ingest(lake, [path])
    f = report.files[0]
    non_blank = sum(1 for ln in path.read_bytes().splitlines() if ln.strip())
    if f.format != "nmea":
        assert f.read == non_blank - 1  # every row but the header
    else:
        assert f.read >= non_blank  # a line carrying several sentences counts once per sentence
    assert f.read == sum(f.accepted.values()) + sum(f.rejected.values())
    con = connect(lake)
    rejected_rows = con.sql("SELECT count(*) FROM rejects").fetchone()[0]  # type: ignore[index]
    assert rejected_rows <= sum(f.rejected.values())  # multi-sentence rejects share a row
    if sum(f.rejected.values()):
        reasons = dict(con.sql("SELECT reason, count(*) FROM rejects GROUP BY ALL").fetchall())
        assert set(reasons) == set(f.rejected)
    source = con.sql("SELECT read, accepted_json, rejected_json FROM sources").fetchall()
    assert source[0][0] == f.read
    assert json.loads(source[0][1]) == dict(f.accepted)
    assert json.loads(source[0][2]) == dict(f.rejected)


def test_rows_in_the_lake_match_the_accounting(shared_data: Path, tmp_path: Path) -> None:
    path = shared_data / "ais/nmea/aisdb/test_data_20211101.nm4"
    lake = Lake.open(tmp_path / "lake")
    f = ingest(lake, [path]).files[0]
    con = connect(lake)
    n = con.sql("SELECT count(*) FROM positions").fetchone()[0]  # type: ignore[index]
    assert n == f.rows["positions"] > 900
    # Rows are sorted by (mmsi, ts) within each file and carry their provenance.
    bad = con.sql("""
        SELECT count(*) FROM (
          SELECT mmsi, ts, lag(mmsi) OVER w AS pm, lag(ts) OVER w AS pt
          FROM (SELECT *, filename FROM read_parquet(? , filename=true))
          WINDOW w AS (PARTITION BY filename ORDER BY file_row_number))
        WHERE pm > mmsi OR (pm = mmsi AND pt > ts)
    """.replace("?", f"'{tmp_path}/lake/positions/**/*.parquet'").replace(
        "filename=true", "filename=true, file_row_number=true")).fetchone()[0]  # type: ignore[index]
    assert bad == 0
    src = con.sql("SELECT DISTINCT source FROM positions").fetchall()
    assert src == [(f.source,)]


def test_ingesting_twice_adds_nothing(shared_data: Path, tmp_path: Path) -> None:
    files = [shared_data / "ais/nmea/aisdb/test_data_20211101.nm4",
             shared_data / "ais/csv/noaa_marinecadastre_2023-01-01_sample.csv"]
    lake = Lake.open(tmp_path / "lake")
    first = ingest(lake, files)
    before = lake_snapshot(lake.root)
    second = ingest(lake, files)
    assert [f.skipped for f in second.files] == [True, True]
    assert second.read == 0
    assert lake_snapshot(lake.root) == before
    assert first.read > 1900


def test_same_content_under_another_name_is_not_ingested_twice(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "ais/nmea/libais/tagblock.nmea"
    copy = tmp_path / "copy.nmea"
    copy.write_bytes(src.read_bytes())
    lake = Lake.open(tmp_path / "lake")
    report = ingest(lake, [src, copy])
    assert [f.skipped for f in report.files] == [False, True]


def test_gzip_input_gives_the_same_rows(shared_data: Path, tmp_path: Path) -> None:
    src = shared_data / "ais/nmea/aisdb/test_data_20211101.nm4"
    gz = tmp_path / "x.nm4.gz"
    gz.write_bytes(gzip.compress(src.read_bytes()))
    a = ingest(Lake.open(tmp_path / "a"), [src]).files[0]
    b = ingest(Lake.open(tmp_path / "b"), [gz]).files[0]
    assert (a.read, a.accepted, a.rejected) == (b.read, b.accepted, b.rejected)


def test_block_size_does_not_change_the_result(shared_data: Path, tmp_path: Path) -> None:
    """Multipart messages split across blocks are still assembled."""
    path = shared_data / "ais/nmea/gpsd/sample.aivdm"
    opts = IngestOptions(decode=DecodeOptions(assume_time=datetime(2010, 1, 1, tzinfo=UTC)))
    small = IngestOptions(decode=opts.decode, block_bytes=1000)
    a = ingest(Lake.open(tmp_path / "a"), [path], opts).files[0]
    b = ingest(Lake.open(tmp_path / "b"), [path], small).files[0]
    assert (a.read, a.accepted, a.rejected) == (b.read, b.accepted, b.rejected)
    ca, cb = connect(Lake.open(tmp_path / "a")), connect(Lake.open(tmp_path / "b"))
    q = "SELECT * EXCLUDE (day) FROM statics ORDER BY line"
    assert ca.sql(q).pl().equals(cb.sql(q).pl())
    assert a.accepted["statics"] >= 13


def test_expand_paths_globs_and_directories(shared_data: Path) -> None:
    d = shared_data / "ais/nmea/libais"
    assert expand_paths([str(d)]) == sorted(p for p in d.rglob("*") if p.is_file())
    assert [p.name for p in expand_paths([str(d / "*.nmea")])] == ["tagblock.nmea", "typeexamples.nmea"]
    with pytest.raises(FileNotFoundError, match="no file matches"):
        expand_paths([str(d / "*.nothing")])


def _big_input(shared_data: Path, path: Path, copies: int) -> None:
    text = (shared_data / "ais/nmea/aisdb/test_data_20211101.nm4").read_bytes()
    with path.open("wb") as fh:
        for i in range(copies):
            # Shift the tag-block times so that every copy is a distinct day of traffic.
            fh.write(text.replace(b"c:16357", b"c:%d" % (16357 + i)))


def _ingest_process(lake: Path, path: Path) -> subprocess.Popen[bytes]:
    """``ingest`` of one file in a child process (to be killed), on two processes whatever its size."""
    code = (
        "from pathlib import Path; from darkfleet.lake.store import Lake;"
        "import darkfleet.lake.ingest as m; m.PARALLEL_MIN_BYTES = 0;"
        f"m.ingest(Lake.open({str(lake)!r}), [Path({str(path)!r})])"
    )
    return subprocess.Popen([sys.executable, "-c", code])


@pytest.mark.slow
def test_an_ingest_killed_midway_resumes_to_the_same_lake(shared_data: Path, tmp_path: Path) -> None:
    big = tmp_path / "big.nm4"
    _big_input(shared_data, big, 400)  # about 34 MB, 400k lines, five blocks of 8 MB
    clean = Lake.open(tmp_path / "clean")
    ingest(clean, [big])
    expected = lake_snapshot(clean.root)

    killed = tmp_path / "killed"
    proc = _ingest_process(killed, big)
    # Kill it once it has written part of its output, well before it completes.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if len(list((killed / "positions").rglob("*.parquet"))) >= 2 if (killed / "positions").exists() else False:
            break
        if proc.poll() is not None:
            pytest.fail("the ingest finished before it could be killed; make the input bigger")
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (killed / "sources").exists() or not any((killed / "sources").iterdir())
    report = ingest(Lake.open(killed), [big])
    assert not report.files[0].skipped
    assert lake_snapshot(killed) == expected


def _children(pid: int) -> list[int]:
    out = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        out += [int(c) for c in (task / "children").read_text().split()]
    return out


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_workers_do_not_outlive_an_ingest_killed_while_they_start(shared_data: Path, tmp_path: Path) -> None:
    """Killed before its worker has finished importing (before it can ask to die with its parent):
    the worker still goes, rather than waiting on its task queue for ever."""
    big = tmp_path / "big.nm4"
    _big_input(shared_data, big, 400)  # two chunks or more: a worker process is started
    proc = _ingest_process(tmp_path / "lake", big)
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while not workers and time.monotonic() < deadline and proc.poll() is None:
        workers = [c for c in _children(proc.pid) if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text()]
        time.sleep(0.005)
    assert workers, "no worker process was started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [w for w in workers if _alive(w)]
    for w in left:
        os.kill(w, signal.SIGKILL)
    assert not left, f"worker processes {left} outlived the killed ingest"


def test_parallel_ingest_of_several_files_gives_the_same_lake(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import darkfleet.lake.ingest as mod

    monkeypatch.setattr(mod, "PARALLEL_MIN_BYTES", 0)
    files = []
    for i in range(3):
        f = tmp_path / f"in{i}.nm4"
        _big_input(shared_data, f, 3 + i)  # distinct contents
        files.append(f)
    files.append(files[0])  # the same file twice: ingested once
    serial = ingest(Lake.open(tmp_path / "serial"), files, workers=1)
    parallel = ingest(Lake.open(tmp_path / "parallel"), files, workers=2)
    assert [f.skipped for f in parallel.files] == [False, False, False, True]
    assert [f.read for f in serial.files] == [f.read for f in parallel.files]
    assert lake_snapshot(tmp_path / "serial") == lake_snapshot(tmp_path / "parallel")


def _chunked(monkeypatch: pytest.MonkeyPatch, head_lines: int) -> None:
    import darkfleet.lake.chunks as chunks_mod

    monkeypatch.setattr(chunks_mod, "MIN_HEAD_LINES", head_lines)


def test_one_file_on_two_processes_gives_the_serial_lake(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks decoded on two processes, multipart messages straddling their boundaries."""
    from darkfleet.lake import chunks as chunks_mod

    _chunked(monkeypatch, 64)
    text = (shared_data / "ais/nmea/gpsd/sample.aivdm").read_bytes()
    big = tmp_path / "big.aivdm"
    big.write_bytes(text * 40)  # 1.9 MB: 58 chunks of 32 kB
    opts = IngestOptions(decode=DecodeOptions(assume_time=datetime(2010, 1, 1, tzinfo=UTC),
                                              multipart_window_lines=8), chunk_bytes=32 << 10, block_bytes=4096)
    # Some chunk boundaries fall inside multipart messages.
    lines = big.read_bytes().splitlines(keepends=True)
    offsets = [0]
    for ln in lines:
        offsets.append(offsets[-1] + len(ln))
    straddling = 0
    with big.open("rb") as fh:
        for c in range(1, chunks_mod.n_chunks(big.stat().st_size, opts.chunk_bytes)):
            k = offsets.index(chunks_mod.chunk_start(fh, c * opts.chunk_bytes, big.stat().st_size))
            straddling += lines[k].startswith(b"!AIVDM,2,2")
    assert straddling >= 1

    serial = ingest(Lake.open(tmp_path / "serial"), [big], opts, workers=1).files[0]
    parallel = ingest(Lake.open(tmp_path / "parallel"), [big], opts, workers=2).files[0]
    before = lake_snapshot(tmp_path / "parallel")
    again = ingest(Lake.open(tmp_path / "parallel"), [big], opts, workers=2).files[0]
    assert again.skipped and again.read == 0 and lake_snapshot(tmp_path / "parallel") == before
    whole = ingest(Lake.open(tmp_path / "whole"), [big], IngestOptions(decode=opts.decode), workers=1).files[0]
    for r in (parallel, whole):
        assert (r.read, r.accepted, r.rejected, r.rows) == (serial.read, serial.accepted, serial.rejected, serial.rows)
    assert serial.read == sum(serial.accepted.values()) + sum(serial.rejected.values())
    assert lake_snapshot(tmp_path / "serial") == lake_snapshot(tmp_path / "parallel")
    # The same rows as one chunk: nothing lost or doubled at the boundaries.
    q = "SELECT * EXCLUDE (day) FROM statics ORDER BY line"
    ca, cb = connect(Lake.open(tmp_path / "serial")), connect(Lake.open(tmp_path / "whole"))
    assert ca.sql(q).pl().equals(cb.sql(q).pl())

    # The same chunks shared out between two processes by hand (odd ones to the other process),
    # so that most chunks are decoded before the state of the one before them is known.
    import multiprocessing
    import shutil
    import tempfile
    from concurrent.futures import ProcessPoolExecutor

    shutil.rmtree(tmp_path / "parallel")
    n = chunks_mod.n_chunks(big.stat().st_size, opts.chunk_bytes)
    source = parallel.source
    jobs = [chunks_mod.ChunkJob(str(tmp_path / "parallel"), str(big), str(big), source, c, n, opts.chunk_bytes,
                                opts.decode, opts.block_bytes) for c in range(n)]
    with tempfile.TemporaryDirectory() as rundir, ProcessPoolExecutor(
            1, mp_context=multiprocessing.get_context("spawn")) as pool:
        theirs = pool.submit(chunks_mod.claim_and_decode, jobs[1::2], rundir)
        results = chunks_mod.claim_and_decode(jobs[0::2], rundir) + theirs.result()
    assert sorted(r.chunk for r in results) == list(range(n))
    assert sum(r.read for r in results) == serial.read
    serial_files = {k: v for k, v in lake_snapshot(tmp_path / "serial").items()}
    assert lake_snapshot(tmp_path / "parallel") == serial_files
    # How many chunks the race above decoded before their predecessor's state was known depends
    # on timing. Here every chunk after the first is: the same lake again.
    shutil.rmtree(tmp_path / "parallel")
    state_of = {r.chunk: r.state for r in results}
    speculated = [chunks_mod.decode_chunk(job, None, lambda job=job: state_of[job.chunk - 1]) for job in jobs[1:]]
    chunks_mod.decode_chunk(jobs[0], chunks_mod.ChunkState())
    assert all(r.redecoded for r in speculated)
    assert [r.state for r in speculated] == [state_of[c] for c in range(1, n)]
    assert lake_snapshot(tmp_path / "parallel") == serial_files


def test_speculative_chunks_are_decoded_again_when_their_state_differs(tmp_path: Path) -> None:
    """A Gatehouse time carried into a chunk that has none: the chunk is decoded again."""
    from darkfleet.lake import chunks as chunks_mod

    pos = "!AIVDM,1,1,,A,13u?etPv2;0n:dDPwUM1U1Cb069D,0*24"
    text = ("$PGHP,1,2023,8,15,6,30,5,250,338,2,,1,09*17\n" + (pos + "\n") * 3000).encode()
    path = tmp_path / "gh.nmea"
    path.write_bytes(text)
    opts = IngestOptions(chunk_bytes=40_000)
    n = chunks_mod.n_chunks(len(text), opts.chunk_bytes)
    jobs = [chunks_mod.ChunkJob(str(tmp_path / "lake"), str(path), str(path), "s", c, n, opts.chunk_bytes,
                                opts.decode, 8192) for c in range(n)]
    serial, state = [], chunks_mod.ChunkState()
    for job in jobs:
        serial.append(chunks_mod.decode_chunk(job, state))
        state = serial[-1].state
    snapshot = lake_snapshot(tmp_path / "lake")
    import shutil

    shutil.rmtree(tmp_path / "lake")
    first = chunks_mod.decode_chunk(jobs[0], chunks_mod.ChunkState())
    second = chunks_mod.decode_chunk(jobs[1], None, lambda: first.state)  # speculation
    assert second.redecoded == "chunk"
    assert (second.read, second.accepted, second.rejected) == (serial[1].read, serial[1].accepted, serial[1].rejected)
    assert second.accepted["positions"] == serial[1].read  # every sentence got the carried time
    for job in jobs[2:]:
        r = chunks_mod.decode_chunk(job, None, lambda job=job: serial[job.chunk - 1].state)
        assert r.redecoded == "chunk"
    assert lake_snapshot(tmp_path / "lake") == snapshot
