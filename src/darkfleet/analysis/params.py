"""Parameters of the reconstruction: frozen, validated, units in every name, written into findings."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

VERSION = "analysis/1"


@dataclass(frozen=True)
class CallParams:
    """How observations become calls. ``place_extra_m``: an AIS event or detection counts as at a
    watched place when within its radius plus this (GFW's 3 km port entry distance).
    ``max_merge_gap_h``: observations of a vessel at one place with nothing elsewhere between them
    are one call unless more than this apart (a week: conservative, an unobserved trip in a shorter
    silence is not counted; longer silences may hide one, so they split the call)."""

    place_extra_m: float = 3000.0
    max_merge_gap_h: float = 168.0

    def __post_init__(self) -> None:
        if self.place_extra_m < 0 or self.max_merge_gap_h <= 0:
            raise ValueError("place_extra_m ≥ 0 and max_merge_gap_h > 0 required")


@dataclass(frozen=True)
class LegParams:
    """Leg feasibility and AIS cover. ``max_speed_kn``: the fastest plausible passage speed of a
    small cargo ship (16 kn, as ``imagery.match.dark.DarkParams``); ``dark_share_min``: a leg
    whose time is at least this share inside AIS gaps (or has no AIS position at all) is dark;
    ``covered_share_max``: at most this share in gaps is AIS-covered; between is partly dark."""

    max_speed_kn: float = 16.0
    dark_share_min: float = 0.9
    covered_share_max: float = 0.1

    def __post_init__(self) -> None:
        if self.max_speed_kn <= 0 or not 0 <= self.covered_share_max < self.dark_share_min <= 1:
            raise ValueError("max_speed_kn > 0 and 0 ≤ covered_share_max < dark_share_min ≤ 1 required")


@dataclass(frozen=True)
class FlowParams:
    """Cargo-flow links. A count at a site is taken as "before" a call when made at most
    ``before_h`` before the arrival (or ``slack_h`` after it), "after" when made at most ``after_h``
    after the departure (or ``slack_h`` before it); the destination's counts are looked at up to
    ``destination_window_h`` after the vessel arrives there. Changes under ``min_change`` are noise."""

    before_h: float = 72.0
    after_h: float = 72.0
    slack_h: float = 6.0
    destination_window_h: float = 96.0
    min_change: int = 20

    def __post_init__(self) -> None:
        if min(self.before_h, self.after_h, self.destination_window_h) <= 0 or self.min_change < 1:
            raise ValueError("windows > 0 h and min_change ≥ 1 required")


@dataclass(frozen=True)
class SurgeParams:
    """Count surges and growth at a site: a count at least ``factor`` times the highest of the
    previous ``baseline_days`` (and ``min_change`` above it) is a surge; a series whose last count
    is ``factor`` times its first (and ``min_change`` above it) grew."""

    baseline_days: float = 35.0
    factor: float = 2.5
    min_change: int = 20

    def __post_init__(self) -> None:
        if self.baseline_days <= 0 or self.factor <= 1 or self.min_change < 1:
            raise ValueError("baseline_days > 0, factor > 1 and min_change ≥ 1 required")


@dataclass(frozen=True)
class ReconstructParams:
    calls: CallParams = field(default_factory=CallParams)
    legs: LegParams = field(default_factory=LegParams)
    flow: FlowParams = field(default_factory=FlowParams)
    surge: SurgeParams = field(default_factory=SurgeParams)
    window_start: datetime | None = None  # trips counted inside [start, end] (all data by default)
    window_end: datetime | None = None

    def __post_init__(self) -> None:
        for t in (self.window_start, self.window_end):
            if t is not None and t.tzinfo is None:
                raise ValueError("window times must be timezone-aware (UTC)")

    def as_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        for k in ("window_start", "window_end"):
            d[k] = d[k].isoformat() if d[k] is not None else None
        return d
