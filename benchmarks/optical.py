"""Ships in a full Sentinel-2 tile: 10,980 × 10,980 px at 10 m.

No full tile is in ../shared/data, so one is built from the real sen2ships port scenes
(B02, B03, B04, B08) mirrored and repeated to 10,980² — real water, quays and ships, with
the same statistics as the ports, about 60× the Busan scene. Times the whole detector
(NDWI, water mask, top-hat, labelling, measurement) and prints Mpx/s and the number of
detections.

    python benchmarks/optical.py [--size 10980] [--port busan]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from darkfleet.imagery.optical.readers import read_s2_directory
from darkfleet.imagery.optical.scene import ground_pixel_m
from darkfleet.imagery.optical.ships import detect_ships

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
    args = ap.parse_args()
    scene = read_s2_directory(DATA / args.port)
    bands = {k: tile(v, args.size) for k, v in scene.bands.items()}
    px = ground_pixel_m(scene)
    t0 = time.perf_counter()
    det, _ = detect_ships(bands, px)
    dt = time.perf_counter() - t0
    mpx = args.size * args.size / 1e6
    print(
        f"tile {args.size}x{args.size} ({mpx:.0f} Mpx, from {args.port}): {dt:.1f} s, "
        f"{mpx / dt:.1f} Mpx/s, {det.height} detections; target < 30 s: {'OK' if dt < 30 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
