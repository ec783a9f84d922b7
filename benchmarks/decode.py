"""Decode speed: darkfleet vs pyais on the same ≥1M-sentence file, on one core.

    .venv/bin/python benchmarks/decode.py [--sentences 1000000] [--pyais-sentences N]

The file repeats every real AIS sentence in ../shared/data/ais/nmea (tag blocks, multipart
messages and malformed lines included). Both decoders get the same bytes, already in memory;
the process is pinned to one CPU. Both are warmed up on the first 10,000 lines. The machine is
shared, so the runs are interleaved to see the same load: darkfleet decodes the whole file,
pyais a third of it, and so on three times; darkfleet's rate is that of its median run, pyais's
that of its three thirds together. Rates are given on wall time and on CPU time (the process's
own: on a shared machine, wall time also counts the time other processes held the core).
pyais is run on the whole file unless --pyais-sentences limits
it to a prefix. The position reports both produce are compared value for value (lon/lat within
1e-6 degree).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("POLARS_MAX_THREADS", "1")
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})

from datetime import UTC, datetime  # noqa: E402

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
from corpus import corpus  # noqa: E402

from darkfleet.ais import bits  # noqa: E402
from darkfleet.ais.decode import DecodeOptions, Decoder  # noqa: E402

POSITION_TYPES = (1, 2, 3, 18, 19, 27)


def blocks(data: bytes, size: int = 8 << 20) -> list[tuple[bytes, int]]:
    out, i, line = [], 0, 1
    while i < len(data):
        j = data.rfind(b"\n", i, i + size) + 1 if i + size < len(data) else len(data)
        out.append((data[i:j], line))
        line += data.count(b"\n", i, j)
        i = j
    return out


def run_darkfleet(data: bytes) -> tuple[float, float, int, np.ndarray]:
    bits.reuse_freed_memory()  # as an ingest's decoding processes do
    dec = Decoder("bench", DecodeOptions(assume_time=datetime(2024, 1, 1, tzinfo=UTC)))
    parts = blocks(data)
    tables = []
    messages = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for block, first in parts:
        batch = dec.decode_block(block, first)
        messages += sum(t.num_rows for t in batch.tables.values())
        if "positions" in batch.tables:
            tables.append(batch.tables["positions"].select(["msg_type", "mmsi", "lon", "lat"]))
    dec.finish()
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    pos = pa.concat_tables(tables)
    arr = np.column_stack([pos[c].to_numpy() for c in ("msg_type", "mmsi", "lon", "lat")]).astype(np.float64)
    return elapsed, cpu, messages, arr


def run_pyais(lines: list[bytes]) -> tuple[float, float, int, np.ndarray]:
    from pyais.stream import ByteStream

    rows: list[tuple[int, int, float, float]] = []
    n = 0
    t0, c0 = time.perf_counter(), time.process_time()
    for msg in ByteStream(lines):
        try:
            m = msg.decode()
        except Exception:  # noqa: BLE001  pyais raises on what it cannot decode; darkfleet rejects it
            continue
        n += 1
        if m.msg_type in POSITION_TYPES:
            rows.append((m.msg_type, m.mmsi, m.lon, m.lat))
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    arr = np.array(rows, dtype=np.float64).reshape(-1, 4)
    keep = (arr[:, 2] != 181) & (arr[:, 3] != 91) & (np.abs(arr[:, 2]) <= 180) & (np.abs(arr[:, 3]) <= 90)
    return elapsed, cpu, n, arr[keep]


def compare(ours: np.ndarray, theirs: np.ndarray) -> tuple[int, int, int]:
    """(matched, only darkfleet, only pyais) position reports, as multisets."""
    def key(a: np.ndarray) -> np.ndarray:
        return np.round(a, 6)

    a = {tuple(r) for r in key(ours).tolist()}
    b = {tuple(r) for r in key(theirs).tolist()}
    return len(a & b), len(a - b), len(b - a)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sentences", type=int, default=1_000_000)
    ap.add_argument("--pyais-sentences", type=int, default=0, help="limit pyais to a prefix")
    args = ap.parse_args()
    path, n_lines = corpus(args.sentences)
    data = path.read_bytes()
    print(f"corpus: {path} ({n_lines:,} lines, {len(data) / 1e6:.0f} MB); one CPU: {sorted(os.sched_getaffinity(0))}")

    lines = data.splitlines()
    if args.pyais_sentences:
        lines = lines[: args.pyais_sentences]
    warm = b"".join(x + b"\n" for x in lines[:10_000])
    run_darkfleet(warm)
    run_pyais(lines[:10_000])
    df_times, df_cpu, py_time, py_cpu, py_messages, py_pos = [], [], 0.0, 0.0, 0, []
    thirds = [lines[k * len(lines) // 3 : (k + 1) * len(lines) // 3] for k in range(3)]
    for part in thirds:
        t_df, c_df, n_df, pos_df = run_darkfleet(data)
        df_times.append(t_df)
        df_cpu.append(c_df)
        t_py, c_py, n_py, pos = run_pyais(part)
        py_time += t_py
        py_cpu += c_py
        py_messages += n_py
        py_pos.append(pos)
    t_df = float(np.median(df_times))
    pos_py = np.concatenate(py_pos)
    print(f"darkfleet: {n_lines / t_df:>12,.0f} sentences/s  (median of {', '.join(f'{t:.2f}' for t in df_times)} s;"
          f" {n_df:,} rows)")
    rate_py = len(lines) / py_time
    print(f"pyais:     {rate_py:>12,.0f} sentences/s  ({py_time:.2f} s on {len(lines):,} lines, "
          f"{py_messages:,} messages)")
    print(f"ratio darkfleet / pyais: {n_lines / t_df / rate_py:.1f}x  (load average {os.getloadavg()[0]:.1f})")
    # CPU time: what each decoder itself used, without the time other processes on a shared
    # machine took the core (wall time above includes it).
    c_df = float(np.median(df_cpu))
    rate_df_cpu, rate_py_cpu = n_lines / c_df, len(lines) / py_cpu
    print(f"on CPU time: darkfleet {rate_df_cpu:,.0f} sentences/s (median {c_df:.2f} s), pyais "
          f"{rate_py_cpu:,.0f} sentences/s ({py_cpu:.2f} s); ratio {rate_df_cpu / rate_py_cpu:.1f}x")
    try:
        import ais  # noqa: F401  libais
        print("libais: installed but not wired into this benchmark")
    except ImportError:
        print("libais: not installed (builds from source only); skipped")
    if not args.pyais_sentences:
        same, only_df, only_py = compare(pos_df, pos_py)
        print(f"position reports (distinct type, mmsi, lon, lat): identical {same:,}; "
              f"only darkfleet {only_df:,}; only pyais {only_py:,} "
              "(pyais also decodes sentences with bad checksums and too-short payloads, which darkfleet rejects)")


if __name__ == "__main__":
    main()
