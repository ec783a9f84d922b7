"""Confirmed optical observations (detections and counts an analyst has confirmed).

Stored, until the case store lands, as Parquet under ``<lake>/observations/`` — one file per
confirmation, named by the observation id (a hash of image, kind, analyst and counts), so
confirming the same thing twice writes the same file. :func:`store_observation` and
:func:`load_observations` are the only entry points: the case store replaces their bodies.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from darkfleet.lake.store import write_parquet

OBSERVATIONS = pa.schema(
    [
        pa.field("observation_id", pa.string(), nullable=False),
        pa.field("image_id", pa.string(), nullable=False),
        pa.field("sha256", pa.string(), nullable=False),
        pa.field("analyst", pa.string(), nullable=False),
        pa.field("confirmed_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("acquired_at", pa.timestamp("us", tz="UTC")),
        pa.field("site", pa.string()),
        pa.field("kind", pa.string(), nullable=False),  # "ships", "count", "change"
        pa.field("counts_json", pa.string(), nullable=False),  # {"total": 50, "size:large": 48, ...}
        pa.field("method_version", pa.string(), nullable=False),
        pa.field("params_json", pa.string(), nullable=False),
    ]
)


@dataclass(frozen=True)
class Observation:
    image_id: str
    sha256: str
    analyst: str
    confirmed_at: datetime
    kind: str
    counts: dict[str, int]
    method_version: str
    params_json: str = "{}"
    acquired_at: datetime | None = None
    site: str | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("confirmed_at", "acquired_at"):
            t = getattr(self, name)
            if t is not None and t.tzinfo is None:
                raise ValueError(f"{name} must be timezone-aware (UTC)")
        if not self.analyst:
            raise ValueError("an observation needs the analyst who confirmed it")

    @property
    def observation_id(self) -> str:
        key = f"{self.sha256}|{self.image_id}|{self.kind}|{self.analyst}|{json.dumps(self.counts, sort_keys=True)}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]


def store_observation(lake_root: str | Path, obs: Observation) -> Path:
    """Write one confirmed observation; returns its file."""
    out_dir = Path(lake_root) / "observations"
    out_dir.mkdir(parents=True, exist_ok=True)
    row = {
        "observation_id": obs.observation_id,
        "image_id": obs.image_id,
        "sha256": obs.sha256,
        "analyst": obs.analyst,
        "confirmed_at": obs.confirmed_at.astimezone(UTC),
        "acquired_at": obs.acquired_at.astimezone(UTC) if obs.acquired_at else None,
        "site": obs.site,
        "kind": obs.kind,
        "counts_json": json.dumps(obs.counts, sort_keys=True),
        "method_version": obs.method_version,
        "params_json": obs.params_json,
    }
    path = out_dir / f"obs-{obs.observation_id}.parquet"
    return write_parquet(pa.Table.from_pylist([row], schema=OBSERVATIONS), path)


def load_observations(lake_root: str | Path) -> pa.Table:
    """All stored observations (an empty table with the schema when none)."""
    files = sorted((Path(lake_root) / "observations").glob("obs-*.parquet"))
    if not files:
        return OBSERVATIONS.empty_table()
    return pa.concat_tables([pq.read_table(f, schema=OBSERVATIONS) for f in files])
