"""Detector configuration: every detector's frozen parameters, overridable from a TOML file.

TOML layout: one table per detector, keys as the dataclass fields::

    [gaps]
    min_gap_h = 6.0
    [port_visits]
    entry_radius_km = 2.0

An unknown table or key is an error naming the file, table and key.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from darkfleet.config import override, read_toml
from darkfleet.events.encounters import EncounterParams
from darkfleet.events.gaps import GapParams
from darkfleet.events.identity import IdentityParams
from darkfleet.events.loitering import LoiteringParams
from darkfleet.events.port_visits import PortVisitParams
from darkfleet.events.spoofing import SpoofParams
from darkfleet.events.stops import StopParams
from darkfleet.tracks.clean import CleanParams


@dataclass(frozen=True)
class DetectConfig:
    clean: CleanParams = field(default_factory=CleanParams)
    gaps: GapParams = field(default_factory=GapParams)
    port_visits: PortVisitParams = field(default_factory=PortVisitParams)
    stops: StopParams = field(default_factory=StopParams)
    loitering: LoiteringParams = field(default_factory=LoiteringParams)
    encounters: EncounterParams = field(default_factory=EncounterParams)
    spoofing: SpoofParams = field(default_factory=SpoofParams)
    identity: IdentityParams = field(default_factory=IdentityParams)

    def as_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)


def load_config(path: str | Path | None) -> DetectConfig:
    if path is None:
        return DetectConfig()
    return config_from_dict(read_toml(path), str(path))


def config_from_dict(doc: dict[str, Any], where: str = "config") -> DetectConfig:
    base = DetectConfig()
    tables = [f.name for f in dataclasses.fields(DetectConfig)]
    changes = {}
    for table, values in doc.items():
        if table not in tables:
            raise ValueError(f"{where}: unknown table [{table}]; expected one of {tables}")
        changes[table] = override(getattr(base, table), values, where, table)
    return dataclasses.replace(base, **changes)
