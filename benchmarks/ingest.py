"""End-to-end ingest: the ≥1M-sentence corpus into a fresh lake, on both cores.

    .venv/bin/python benchmarks/ingest.py [--sentences 1000000] [--big-gb 2]

Times `darkfleet.lake.ingest.ingest` (hashing, decoding, sorting, Parquet writing) in a child
process and reports sentences/s, the CPU time it and its workers used, and peak resident
memory: the largest single process (from getrusage) and the sum over the child and its worker
processes (sampled every 50 ms from /proc), as RSS (shared library pages counted in every
process) and as PSS (each shared page counted once). With --big-gb N it also ingests an N-GB file (the
corpus repeated, written to the cache folder and deleted afterwards unless --keep) to show that
memory stays bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))
from corpus import CACHE, corpus  # noqa: E402

# Sentences without a time of their own (most of the real captures) are stamped with an assumed
# time, as `darkfleet ingest --assume-time` does, so that every sentence is decoded and written.
CHILD = """
import json, sys, time
from datetime import UTC, datetime
from pathlib import Path
from darkfleet.ais.decode import DecodeOptions
from darkfleet.lake.ingest import IngestOptions, ingest
from darkfleet.lake.store import Lake
import darkfleet.lake.ingest as ingest_module
ingest_module.PARALLEL_MIN_BYTES = 0  # small inputs too: always one worker process per core
options = IngestOptions(decode=DecodeOptions(assume_time=datetime(2023, 8, 15, tzinfo=UTC)))
t0 = time.perf_counter()
report = ingest(Lake.open(sys.argv[2]), [Path(p) for p in sys.argv[1].split(",")], options)
elapsed = time.perf_counter() - t0
print(json.dumps({"elapsed_s": elapsed, "read": report.read, "accepted": report.total("accepted"),
                  "rejected": report.total("rejected")}))
"""


def _tree_memory(pid: int) -> tuple[int, int]:
    """Resident bytes of a process and all its descendants (Linux /proc): (RSS, PSS).

    Summed RSS counts the pages of shared libraries once per process (Numba's LLVM alone maps
    about 120 MiB that every process shares); PSS divides each shared page among the processes
    that map it, so its sum is the memory the ingest takes from the machine.
    """
    total = {"Rss": 0, "Pss": 0}
    todo = [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                key, _, rest = line.partition(":")
                if key in total:
                    total[key] += int(rest.split()[0]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, IndexError, ValueError):
            continue
    return total["Rss"], total["Pss"]


def run(path: Path | list[Path]) -> dict[str, object]:
    paths = path if isinstance(path, list) else [path]
    with tempfile.TemporaryDirectory() as tmp:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        before, cpu_before = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        child = subprocess.Popen([sys.executable, "-c", CHILD, ",".join(map(str, paths)), str(Path(tmp) / "lake")],
                                 stdout=subprocess.PIPE, text=True)
        peak_sum = peak_pss = 0
        load = []
        while child.poll() is None:
            rss, pss = _tree_memory(child.pid)
            peak_sum, peak_pss = max(peak_sum, rss), max(peak_pss, pss)
            load.append(os.getloadavg()[0])
            time.sleep(0.05)
        out = child.stdout.read() if child.stdout else ""
        if child.returncode:
            raise SystemExit(f"ingest failed ({child.returncode})")
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_kib = usage.ru_maxrss
        result = json.loads(out)
        result["cpu_s"] = usage.ru_utime + usage.ru_stime - cpu_before
        result["peak_rss_mib"] = max(peak_kib, before) / 1024
        result["peak_rss_sum_mib"] = peak_sum / 2**20
        result["peak_pss_sum_mib"] = peak_pss / 2**20
        result["load"] = max(load) if load else os.getloadavg()[0]
        lake_bytes = sum(f.stat().st_size for f in (Path(tmp) / "lake").rglob("*") if f.is_file())
        result["lake_mb"] = lake_bytes / 1e6
    return result


def big_file(path: Path, gigabytes: float) -> Path:
    target = CACHE / f"big-{gigabytes:g}gb.nmea"
    if not target.exists():
        block = path.read_bytes()
        with target.open("wb") as fh:
            while fh.tell() < gigabytes * 1e9:
                fh.write(block)
    return target


def split_corpus(path: Path, parts: int) -> list[Path]:
    """The corpus cut into ``parts`` files at line boundaries (distinct contents)."""
    lines = path.read_bytes().splitlines(keepends=True)
    out = []
    for k in range(parts):
        part = CACHE / f"{path.stem}-part{k}of{parts}.nmea"
        if not part.exists():
            part.write_bytes(b"".join(lines[k::parts]))
        out.append(part)
    return out


def report(name: str, path: Path | list[Path], r: dict[str, object]) -> None:
    read = int(r["read"])  # type: ignore[arg-type]
    el = float(r["elapsed_s"])  # type: ignore[arg-type]
    size = sum(p.stat().st_size for p in (path if isinstance(path, list) else [path]))
    print(f"{name}: {read:,} sentences, {size / 1e6:,.0f} MB in {el:.2f} s -> {read / el:,.0f} sentences/s, "
          f"{size / el / 1e6:.0f} MB/s; peak RSS {r['peak_rss_mib']:.0f} MiB (largest process), "
          f"{r['peak_rss_sum_mib']:.0f} MiB RSS / {r['peak_pss_sum_mib']:.0f} MiB PSS (all processes); "
          f"lake {r['lake_mb']:.0f} MB; "
          f"load average up to {r['load']:.1f}")
    # The machine is shared: CPU time says what two cores of our own would do.
    cpu = float(r["cpu_s"])  # type: ignore[arg-type]
    print(f"    CPU {cpu:.1f} s (all processes, imports included): {read / cpu:,.0f} sentences per CPU-second, "
          f"{2 * read / cpu:,.0f}/s on two idle cores if both were kept busy")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sentences", type=int, default=1_000_000)
    ap.add_argument("--big-gb", type=float, default=0.0)
    ap.add_argument("--keep", action="store_true", help="keep the big file in the cache folder")
    ap.add_argument("--only-big", action="store_true")
    args = ap.parse_args()
    path, _ = corpus(args.sentences)
    print(f"cores: {len(os.sched_getaffinity(0))}")
    t = time.perf_counter()
    if not args.only_big:
        report("corpus, one file (two processes)", path, run(path))
        parts = split_corpus(path, 4)
        report("corpus as 4 files (two worker processes)", parts, run(parts))
    if args.big_gb:
        big = big_file(path, args.big_gb)
        try:
            report(f"{args.big_gb:g} GB file (two processes)", big, run(big))
        finally:
            if not args.keep:
                big.unlink()
    print(f"total {time.perf_counter() - t:.0f} s")


if __name__ == "__main__":
    main()
