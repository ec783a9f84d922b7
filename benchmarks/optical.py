"""Ships in a full Sentinel-2 tile: 10,980 × 10,980 px at 10 m.

No full tile is in ../shared/data, so one is built from the real sen2ships port scenes
(B02, B03, B04, B08) mirrored and repeated to 10,980² — real water, quays and ships, with
the same statistics as the ports, about 60× the Busan scene. Times the whole detector (water
mask, candidates, features, classifier, suppression) over overlapping blocks on ``--workers``
threads, and prints Mpx/s, the number of detections, the process CPU time and the load
average before and after (the machine is shared: compare runs at similar load).

    python benchmarks/optical.py [--size 10980] [--port busan] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from darkfleet.imagery.optical.readers import read_s2_directory
from darkfleet.imagery.optical.scene import ground_pixel_m
from darkfleet.imagery.optical.ships import ShipParams, detect_ships

DATA = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "optical" / "sen2ships"


def tile(a: np.ndarray, size: int) -> np.ndarray:
    """Mirror-repeat ``a`` to size × size (mirroring avoids seams across the repeats)."""
    block = np.block([[a, a[:, ::-1]], [a[::-1], a[::-1, ::-1]]])
    reps = (size // block.shape[0] + 1, size // block.shape[1] + 1)
    return np.ascontiguousarray(np.tile(block, reps)[:size, :size])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=10_980)
    ap.add_argument("--port", default="busan")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    scene = read_s2_directory(DATA / args.port)
    bands = {k: tile(v, args.size) for k, v in scene.bands.items()}
    px = ground_pixel_m(scene)
    detect_ships({k: v[:512, :512] for k, v in bands.items()}, px)  # loads the model outside the timing
    load0 = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), time.process_time()
    det = detect_ships(bands, px, ShipParams(workers=args.workers))
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    load1 = os.getloadavg()[0]
    mpx = args.size * args.size / 1e6
    print(
        f"tile {args.size}x{args.size} ({mpx:.0f} Mpx, from {args.port}): {dt:.1f} s, "
        f"{mpx / dt:.1f} Mpx/s, {det.height} detections, CPU {cpu:.1f} s on {args.workers} threads, "
        f"load {load0:.2f} → {load1:.2f}; target < 30 s: {'OK' if dt < 30 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
