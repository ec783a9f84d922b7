"""Watched places from GeoJSON (the packaged reference places by default) into the case store."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from darkfleet.cases.store import CaseStore


def reference_places_path() -> Path:
    return Path(str(resources.files("darkfleet") / "data" / "reference_places.geojson"))


def load_places(store: CaseStore, path: Path | None = None, analyst: str = "darkfleet") -> list[str]:
    """Upsert every Point feature (``name``, ``kind``, ``radius_m``, ``source``, ``aliases``); returns the names."""
    path = path or reference_places_path()
    doc = json.loads(Path(path).read_text(encoding="utf-8"))
    names = []
    for i, f in enumerate(doc.get("features", [])):
        props = f.get("properties") or {}
        geom = f.get("geometry") or {}
        if geom.get("type") != "Point" or not props.get("name"):
            raise ValueError(f"{path}: feature {i}: expected a named Point with radius_m")
        lon, lat = geom["coordinates"][:2]
        store.upsert_place(props["name"], props.get("kind", "other"), float(lon), float(lat), analyst,
                           props.get("source") or str(path), radius_m=props.get("radius_m"),
                           aliases=tuple(props.get("aliases") or ()))
        names.append(props["name"])
    return names
