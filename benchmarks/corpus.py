"""The benchmark corpus: every real AIS sentence in ../shared/data/ais/nmea, repeated.

Lines are kept whole (tag blocks and trailing receive times included), in file order, so the
mix of message types, multipart messages and malformed input is that of the real captures.
The file is written once to a cache folder outside the repository.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
CACHE = Path(os.environ.get("DARKFLEET_BENCH_CACHE", Path(tempfile.gettempdir()) / "darkfleet-bench"))


def real_sentences() -> list[bytes]:
    nmea = (SHARED / "ais" / "nmea").resolve()
    if not nmea.is_dir():
        raise SystemExit(f"benchmark corpus: {nmea} is absent (the shared data folder is needed)")
    lines: list[bytes] = []
    for f in sorted(nmea.rglob("*")):
        if not f.is_file() or f.suffix in (".chk", ".json") or f.name in ("LICENSE", "COPYING"):
            continue
        for line in f.read_bytes().splitlines():
            if b"VDM" in line or b"VDO" in line:
                lines.append(line.rstrip(b"\r"))
    return lines


def corpus(min_sentences: int = 1_000_000, name: str = "real-repeated") -> tuple[Path, int]:
    """A file of at least ``min_sentences`` lines; returns its path and line count."""
    lines = real_sentences()
    copies = -(-min_sentences // len(lines))
    path = CACHE / f"{name}-{copies * len(lines)}.nmea"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        block = b"\n".join(lines) + b"\n"
        tmp = path.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            for _ in range(copies):
                fh.write(block)
        tmp.replace(path)
    return path, copies * len(lines)
