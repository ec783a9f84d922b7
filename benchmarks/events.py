"""Event detection throughput: gaps + stops + port visits on ≥ 50M positions, and encounters on 10M.

    .venv/bin/python benchmarks/events.py [--positions 50000000] [--repeats 2]
        [--encounter-positions 10000000] [--movingpandas-positions 100000] [--spark-positions 0]
        [--with-cleaning-positions 0] [--workdir DIR]

Builds synthetic lakes (vectorised: vessels calling at searoute ports, sailing straight legs at
12 kn, reporting every ~5 min, with 14 h transponder-off gaps; for encounters, vessels drifting
slowly offshore), then times, each in a fresh child process that reports its own peak memory:

* the local engine (both cores) running the gap, stop and port-visit kernels over the day
  partitions (reception map included; ``--with-cleaning-positions`` also times the cleaning);
* a hand-written DuckDB SQL gap query (``lag`` over mmsi, ts) on the same Parquet files —
  interleaved with the local engine ``--repeats`` times, so both see the same load on a shared
  machine (the load average before/after each run is printed); the best of each is compared;
* movingpandas' ``ObservationGapSplitter`` and ``TrajectoryStopDetector`` on a subset (it is
  per-trajectory Python), scaled to positions/s;
* the encounter stages on the encounter lake; optionally the Spark engine (local[2]) and the
  local engine on one more lake of ``--spark-positions``.

The last line is a JSON summary (positions/s and the ratios).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

T0_US = 1_690_848_000_000_000  # 2023-08-01T00:00:00Z
PER_VESSEL = 2000  # about a week at one fix per 5 min
CHUNK_VESSELS = 2500


def synth_tracks(first_vessel: int, n_vessels: int, seed: int) -> pl.DataFrame:
    """Vessels cycling: 100 fixes moored at a port, 150 sailing out, 150 sailing back."""
    from darkfleet.geo.places import searoute_ports

    rng = np.random.default_rng([seed, first_vessel])
    ports = searoute_ports()
    plon, plat = ports["lon"].to_numpy(), ports["lat"].to_numpy()
    home = rng.integers(0, len(plon), n_vessels)
    n = n_vessels * PER_VESSEL
    k = np.tile(np.arange(PER_VESSEL), n_vessels)
    v = np.repeat(np.arange(n_vessels), PER_VESSEL)
    ph = k % 400
    dt_s = 300 + rng.integers(-20, 20, n)
    dt_s[k == 0] = 0
    dt_s[(ph == 250) & (rng.random(n) < 0.2)] += 14 * 3600  # transponder off
    cs = np.cumsum(dt_s)
    start = np.repeat(cs[::PER_VESSEL], PER_VESSEL)
    t = T0_US + ((cs - start) + np.repeat(rng.integers(0, 86400, n_vessels), PER_VESSEL)) * 1_000_000
    leg = np.clip(ph - 100, 0, 150) - np.clip(ph - 250, 0, 150)  # out and back, 0.008° a fix (~12 kn)
    head = rng.uniform(0, 2 * np.pi, n_vessels)[v]
    moored = ph < 100
    return pl.DataFrame({
        "mmsi": (200_000_000 + (first_vessel + v) * 7).astype(np.int64),
        "ts": t,
        "lon": plon[home][v] + np.cos(head) * leg * 0.008 + rng.normal(0, 1e-4, n),
        "lat": np.clip(plat[home][v] + np.sin(head) * leg * 0.008 + rng.normal(0, 1e-4, n), -85, 85),
        "sog_kn": np.where(moored, np.abs(rng.normal(0, 0.05, n)), 12 + rng.normal(0, 0.5, n)).astype(np.float32),
        "source": "bench",
        "line": np.arange(n, dtype=np.int64) + first_vessel * PER_VESSEL,
    }).with_columns(pl.col("ts").cast(pl.Datetime("us", "UTC")))


def synth_drifters(first_vessel: int, n_vessels: int, seed: int) -> pl.DataFrame:
    """Slow vessels (0.5–1.5 kn) over a 4° x 4° sea 100+ km from ports: a dense pairing workload."""
    rng = np.random.default_rng([seed, first_vessel, 2])
    n = n_vessels * PER_VESSEL
    k = np.tile(np.arange(PER_VESSEL), n_vessels)
    v = np.repeat(np.arange(n_vessels), PER_VESSEL)
    lon0, lat0 = rng.uniform(150, 154, n_vessels), rng.uniform(30, 34, n_vessels)
    head = rng.uniform(0, 2 * np.pi, n_vessels)
    mate = np.arange(1, n_vessels, 50)  # one vessel in 50 drifts beside the previous one, 200 m away: an encounter
    lon0[mate], lat0[mate], head[mate] = lon0[mate - 1], lat0[mate - 1] + 0.0018, head[mate - 1]
    lon0, lat0, head = lon0[v], lat0[v], head[v]
    step = 1.0 * 1852 / 12 / 111_000  # ~1 kn over 5 min, in degrees
    return pl.DataFrame({
        "mmsi": (300_000_000 + (first_vessel + v) * 7).astype(np.int64),
        "ts": T0_US + (k * 300 + rng.integers(0, 60, n)) * 1_000_000,
        "lon": lon0 + np.cos(head) * k * step, "lat": lat0 + np.sin(head) * k * step,
        "sog_kn": rng.uniform(0.5, 1.5, n).astype(np.float32), "source": "bench",
        "line": np.arange(n, dtype=np.int64) + first_vessel * PER_VESSEL,
    }).with_columns(pl.col("ts").cast(pl.Datetime("us", "UTC")))


def build_lake(root: Path, positions: int, kind: str, seed: int = 1) -> int:
    """Write the lake chunk by chunk (memory bounded), one file per chunk and day."""
    from darkfleet.lake import schema
    from darkfleet.lake.store import Lake

    lake = Lake.open(root)
    n_vessels = max(positions // PER_VESSEL, 1)
    written = 0
    for first in range(0, n_vessels, CHUNK_VESSELS):
        count = min(CHUNK_VESSELS, n_vessels - first)
        df = (synth_tracks if kind == "tracks" else synth_drifters)(first, count, seed)
        df = df.with_columns(msg_type=pl.lit(1, pl.Int8), _day=pl.col("ts").dt.strftime("%Y-%m-%d"))
        for (day,), part in df.group_by("_day"):
            full = part.drop("_day").sort("mmsi", "ts")
            cols = {f.name: (full[f.name] if f.name in full.columns else pl.lit(None)) for f in schema.POSITIONS}
            table = full.select(**cols).to_arrow().cast(schema.POSITIONS)
            lake.write_file("positions", str(day), f"part-{first:08d}.parquet", table)
        written += df.height
    return written


# appended to every child: its result line with the peak RSS of the Python process (VmHWM: the
# rusage maximum would include the parent's, inherited at fork)
PEAK = """
_res = json.loads(_last)
_hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")]
_res["peak_rss_mib"] = int(_hwm[0]) / 1024 if _hwm else float("nan")
print(json.dumps(_res))
"""
CHILD = {
    "local": """
import json, sys, time
from darkfleet.engines.config import DetectConfig
from darkfleet.engines.local import LocalEngine
from darkfleet.engines.steps import Context
from darkfleet.geo.places import searoute_ports
from darkfleet.lake.store import Lake
kinds, cleaning = frozenset(sys.argv[2].split(",")), sys.argv[3] == "1"
ctx = Context(DetectConfig(), searoute_ports(), kinds=kinds, cleaning=cleaning)
t0, c0 = time.perf_counter(), time.process_time()
ev = LocalEngine(workers=2).run(Lake.open(sys.argv[1]), ctx)
_last = json.dumps({"elapsed_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0,
                    "events": dict(ev.group_by("kind").len().iter_rows())})
""",
    "spark": """
import json, sys, time
from darkfleet.engines.config import DetectConfig
from darkfleet.engines.spark import SparkEngine
from darkfleet.engines.steps import Context
from darkfleet.geo.places import searoute_ports
from darkfleet.lake.store import Lake
ctx = Context(DetectConfig(), searoute_ports(), kinds=frozenset(sys.argv[2].split(",")), cleaning=False)
eng = SparkEngine("local[2]")
t_start = time.perf_counter(); eng.session(); started = time.perf_counter() - t_start
t0 = time.perf_counter()
ev = eng.run(Lake.open(sys.argv[1]), ctx)
_last = json.dumps({"elapsed_s": time.perf_counter() - t0, "startup_s": started,
                   "events": dict(ev.group_by("kind").len().iter_rows())})
""",
    "duckdb": """
import json, sys, time
import duckdb
con = duckdb.connect(); con.execute("SET TimeZone='UTC'")
t0 = time.perf_counter()
n = con.sql(f'''
  SELECT count(*) FROM (
    SELECT mmsi, ts, lag(ts) OVER (PARTITION BY mmsi ORDER BY ts) AS prev_ts
    FROM read_parquet('{sys.argv[1]}/positions/*/*.parquet'))
  WHERE ts - prev_ts >= INTERVAL 12 HOUR''').fetchall()[0][0]
_last = json.dumps({"elapsed_s": time.perf_counter() - t0, "events": {"gap": n}})
""",
    "movingpandas": """
import json, sys, time, warnings
from datetime import timedelta
warnings.filterwarnings("ignore")
import geopandas as gpd, movingpandas as mpd, polars as pl
df = pl.scan_parquet(f"{sys.argv[1]}/positions/*/*.parquet").select("mmsi", "ts", "lon", "lat").collect()
keep = df["mmsi"].unique().sort().head(int(sys.argv[2]))
pdf = df.filter(pl.col("mmsi").is_in(keep.implode())).sort("mmsi", "ts").to_pandas()
pdf["ts"] = pdf["ts"].dt.tz_localize(None)
gdf = gpd.GeoDataFrame(pdf, geometry=gpd.points_from_xy(pdf.lon, pdf.lat), crs="EPSG:4326")
t0 = time.perf_counter()
tc = mpd.TrajectoryCollection(gdf, "mmsi", t="ts")
gaps = mpd.ObservationGapSplitter(tc).split(gap=timedelta(hours=12))
stops = mpd.TrajectoryStopDetector(tc).get_stop_segments(min_duration=timedelta(hours=2), max_diameter=1000)
_last = json.dumps({"elapsed_s": time.perf_counter() - t0, "positions": len(pdf),
                   "events": {"gap_pieces": len(gaps), "stop": len(stops)}})
""",
}


def child(name: str, *args: str) -> dict[str, object]:
    """Run one measurement in a fresh interpreter (which reports its own peak RSS)."""
    proc = subprocess.run([sys.executable, "-c", CHILD[name] + PEAK, *args], capture_output=True, text=True)
    if proc.returncode:
        return {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def show(name: str, positions: int, r: dict[str, object]) -> float:
    """Print one result; returns positions per second (0 on error)."""
    if "error" in r:
        print(f"{name:<46} error: {r['error']}")
        return 0.0
    s = float(r["elapsed_s"])  # type: ignore[arg-type]
    cpu = f"  cpu {float(r['cpu_s']):6.1f} s" if "cpu_s" in r else ""  # type: ignore[arg-type]
    print(f"{name:<46} {positions:>12,} pos  {s:8.1f} s{cpu}  {positions / s / 1e6:7.2f} M pos/s  "
          f"peak {r.get('peak_rss_mib', float('nan')):7.0f} MiB  load {r.get('load', '?')}  {r.get('events')}",
          flush=True)
    return positions / s


def timed(name: str, *args: str) -> dict[str, object]:
    import os

    before = os.getloadavg()[0]
    r = child(name, *args)
    r["load"] = f"{before:.1f}/{os.getloadavg()[0]:.1f}"
    return r


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--positions", type=int, default=50_000_000)
    ap.add_argument("--repeats", type=int, default=2, help="local and DuckDB runs, interleaved")
    ap.add_argument("--encounter-positions", type=int, default=10_000_000)
    ap.add_argument("--movingpandas-positions", type=int, default=100_000)
    ap.add_argument("--with-cleaning-positions", type=int, default=0)
    ap.add_argument("--spark-positions", type=int, default=0)
    ap.add_argument("--workdir", type=Path, default=None)
    a = ap.parse_args()
    kinds = "gap,stop,port_visit"
    summary: dict[str, object] = {}
    with tempfile.TemporaryDirectory(dir=a.workdir) as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        n = build_lake(root / "tracks", a.positions, "tracks")
        print(f"built {n:,} positions in {time.perf_counter() - t0:.0f} s", flush=True)
        local, duck = [], []
        for _ in range(max(a.repeats, 1)):  # interleaved: both see the same load on a shared machine
            r = timed("local", str(root / "tracks"), kinds, "0")
            local.append(show("local engine: gaps+stops+port visits", n, r))
            duck.append(show("DuckDB SQL: gaps (lag over mmsi, ts)", n, timed("duckdb", str(root / "tracks"))))
        summary |= {"positions": n, "local_pos_s": max(local), "duckdb_pos_s": max(duck),
                    "local_vs_duckdb": max(local) / max(max(duck), 1e-9)}
        if a.movingpandas_positions:
            r = timed("movingpandas", str(root / "tracks"), str(max(a.movingpandas_positions // PER_VESSEL, 1)))
            mp = show("movingpandas: gap splitter + stop detector", int(r.get("positions", 0)) or 1, r)  # type: ignore[arg-type]
            summary |= {"movingpandas_pos_s": mp, "local_vs_movingpandas": max(local) / max(mp, 1e-9)}
        if a.with_cleaning_positions:
            m = build_lake(root / "small", a.with_cleaning_positions, "tracks")
            summary["with_cleaning_pos_s"] = show("local engine: cleaning + gaps+stops+visits", m,
                                                  timed("local", str(root / "small"), kinds, "1"))
        if a.spark_positions:
            m = build_lake(root / "spark", a.spark_positions, "tracks")
            lo = show("local engine on the Spark input", m, timed("local", str(root / "spark"), kinds, "0"))
            sp = show("spark local[2]: gaps+stops+port visits", m, timed("spark", str(root / "spark"), kinds))
            summary |= {"spark_positions": m, "spark_pos_s": sp, "local_on_spark_input_pos_s": lo}
        if a.encounter_positions:
            m = build_lake(root / "drift", a.encounter_positions, "drift")
            r = timed("local", str(root / "drift"), "encounter", "0")
            show("local engine: encounters", m, r)
            summary |= {"encounter_positions": m, "encounters_s": r.get("elapsed_s")}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
