"""Readers of the public label formats used to score the optical methods: COCO instance masks
(uncompressed RLE, as in sen2ships) and DOTA v1.0 oriented boxes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class DotaObject:
    quad: tuple[tuple[float, float], ...]  # four (x, y) = (col, row) corners
    category: str
    difficult: bool

    @property
    def centre_rc(self) -> tuple[float, float]:
        q = np.asarray(self.quad)
        return float(q[:, 1].mean()), float(q[:, 0].mean())


def rle_decode(counts: list[int], height: int, width: int) -> NDArray[np.bool_]:
    """COCO uncompressed RLE (column-major runs, starting with background) to a mask."""
    runs = np.asarray(counts, np.int64)
    if runs.sum() != height * width:
        raise ValueError(f"RLE covers {runs.sum()} pixels, image has {height * width}")
    values = np.arange(runs.size) % 2 == 1
    flat = np.repeat(values, runs)
    return flat.reshape(width, height).T


def coco_instance_labels(coco_file: Path, file_name_prefix: str) -> NDArray[np.int32] | None:
    """Label image (0 background, 1..n vessels) of the image in ``coco_file`` whose
    ``file_name`` starts with ``file_name_prefix`` (``"busan_"``), or None when absent."""
    doc = json.loads(Path(coco_file).read_text())
    images = [i for i in doc["images"] if i["file_name"].startswith(file_name_prefix)]
    if not images:
        return None
    img = images[0]
    out = np.zeros((img["height"], img["width"]), np.int32)
    k = 0
    for ann in doc["annotations"]:
        if ann["image_id"] != img["id"]:
            continue
        seg = ann["segmentation"]
        if not isinstance(seg, dict) or not isinstance(seg.get("counts"), list):
            raise ValueError(f"{coco_file}: annotation {ann['id']}: only uncompressed RLE masks are supported")
        k += 1
        h, w = seg["size"]
        out[rle_decode(seg["counts"], h, w)] = k
    return out


def read_dota(label_file: Path) -> list[DotaObject]:
    """Objects of a DOTA v1.0 label file (two header lines, then ``x1 y1 … x4 y4 class difficult``)."""
    objs: list[DotaObject] = []
    for lineno, line in enumerate(Path(label_file).read_text().splitlines(), start=1):
        parts = line.split()
        if len(parts) < 9 or ":" in line:
            continue
        try:
            xy = [float(v) for v in parts[:8]]
        except ValueError as exc:
            raise ValueError(f"{label_file}:{lineno}: expected eight coordinates, got {parts[:8]}") from exc
        quad = tuple((xy[i], xy[i + 1]) for i in range(0, 8, 2))
        objs.append(DotaObject(quad, parts[8], len(parts) > 9 and parts[9] == "1"))
    return objs
