"""Where a set of detections came from: the scene, its content hash, acquisition time and
footprint, and the detector version and parameters that produced them."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from darkfleet.imagery.sar.detect import DETECTOR_VERSION, DetectorParams
from darkfleet.imagery.sar.image import SarImage

_VSIZIP = re.compile(r"^(?:/vsizip/|zip://)(?P<zip>.+?\.zip)(?:!)?/(?P<member>.+)$")


@dataclass(frozen=True)
class SceneRecord:
    """One processed scene (or chip): the provenance every detection from it carries."""

    scene_id: str
    source_path: str
    sha256: str  # full hex digest of the file's (or zip member's) bytes
    band: str
    acquired_at: datetime | None
    footprint_wkt: str | None
    detector_version: str
    params_json: str
    stac_item_json: str | None = None

    @property
    def source(self) -> str:
        """The project's 16-hex-digit source id."""
        return self.sha256[:16]

    @property
    def params_hash(self) -> str:
        return hashlib.sha256(self.params_json.encode()).hexdigest()[:8]

    @property
    def footprint(self) -> shapely.Geometry | None:
        return shapely.from_wkt(self.footprint_wkt) if self.footprint_wkt else None


def content_sha256(uri: str | Path) -> str:
    """sha256 of a file, or of a member of a zip given as ``/vsizip/a.zip/m`` or
    ``zip://a.zip!/m`` (so a chip read from an archive is identified by its own bytes)."""
    h = hashlib.sha256()
    if Path(uri).is_dir() or Path(uri).name == "manifest.safe":
        return _safe_sha256(Path(uri).parent if Path(uri).name == "manifest.safe" else Path(uri))
    m = _VSIZIP.match(str(uri))
    if m:
        with zipfile.ZipFile(m["zip"]) as z, z.open(m["member"]) as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        return h.hexdigest()
    with open(uri, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _safe_sha256(root: Path) -> str:
    """A SAFE product's digest: its manifest, measurement and annotation files (relative path
    and bytes, in path order), the inputs its sigma0 depends on."""
    h = hashlib.sha256()
    files = [root / "manifest.safe", *(root / "measurement").glob("*"), *(root / "annotation").rglob("*.xml")]
    for f in sorted(p for p in files if p.is_file()):
        h.update(str(f.relative_to(root)).encode() + b"\0")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    return h.hexdigest()


def params_json(params: DetectorParams, masks: dict[str, Any] | None = None) -> str:
    """Detector parameters (and the masks applied before detection) as canonical JSON (sorted
    keys), for outputs and hashing."""
    doc = {"detector": dataclasses.asdict(params), "masks": masks or {}}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"))


def image_footprint(image: SarImage, step: int = 8) -> shapely.Geometry | None:
    """The image outline on the ground (geocoded along its edges), or None without a
    georeference."""
    if image.geocoder is None:
        return None
    h, w = image.shape
    rows = np.linspace(-0.5, h - 0.5, step + 1)
    cols = np.linspace(-0.5, w - 0.5, step + 1)
    r = np.concatenate([np.full(step, -0.5), rows[:-1], np.full(step, h - 0.5), rows[::-1][:-1]])
    c = np.concatenate([cols[:-1], np.full(step, w - 0.5), cols[::-1][:-1], np.full(step, -0.5)])
    lon, lat = image.geocoder.lonlat(r, c)
    return shapely.Polygon(np.column_stack([lon, lat])).normalize()


def scene_record(
    image: SarImage,
    sha256: str,
    params: DetectorParams,
    acquired_at: datetime | None = None,
    masks: dict[str, Any] | None = None,
) -> SceneRecord:
    """The scene's record: id and acquisition time from its STAC item when it has one
    (``acquired_at`` overrides), footprint from its georeference."""
    item = image.item or {}
    when = acquired_at
    if when is None and item.get("properties", {}).get("datetime"):
        when = datetime.fromisoformat(item["properties"]["datetime"].replace("Z", "+00:00"))
    if when is not None:
        if when.tzinfo is None:
            raise ValueError("acquisition time must be timezone-aware (UTC)")
        when = when.astimezone(UTC)
    fp = image_footprint(image)
    scene_id = str(item.get("id") or Path(image.source.split("!")[-1]).stem)
    return SceneRecord(
        scene_id=scene_id,
        source_path=image.source,
        sha256=sha256,
        band=image.band,
        acquired_at=when,
        footprint_wkt=fp.wkt if fp is not None else None,
        detector_version=DETECTOR_VERSION,
        params_json=params_json(params, masks),
        stac_item_json=json.dumps(item, sort_keys=True) if item else None,
    )


def detection_ids(scene: SceneRecord, rows: Any, cols: Any) -> list[str]:
    """Deterministic ids: a hash of the scene content, band, detector, parameters and the
    detection's pixel position, so a re-run gives the same ids."""
    base = f"{scene.sha256}|{scene.band}|{scene.detector_version}|{scene.params_hash}"
    return [
        hashlib.sha256(f"{base}|{r:.2f}|{c:.2f}".encode()).hexdigest()[:16] for r, c in zip(rows, cols, strict=True)
    ]
