"""The reference case as a generated world: raw input files for the demo, truth for the tests.

SYNTHETIC DATA. What is public (REFERENCE-CASE.md) is used as given: the names and IMO numbers
of ANGARA (IMO 9179842) and MARIA (IMO 8517839), MARIA's call sign, the places and their
sources, the reported pattern (at least four round trips each between Dunai and Najin from
mid-August to early October 2023, AIS off), the Tumangang railcar counts reported by CSIS
(about 73 on 5 October 2023 against 20 or fewer before) and the ownership and listing facts
with their sources. Everything else is generated and labelled so: the two ships' MMSIs, lengths,
exact times and berths, every AIS report, every sighting, SAR detection and object count, and
all background vessels (named ``SYNTH ...``).

:func:`generate_reference` builds the world; :func:`write_reference` writes what an analyst
would receive (AIS export CSV, sightings and counts CSV, SAR detections GeoJSON, analyst facts
CSV, a small extract of the real SDN list) and, apart from them, ``truth.json`` for the tests.
Deterministic: the same seed gives byte-identical files.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from darkfleet.geo.units import M_PER_NM
from darkfleet.scenario.reference_traffic import TrafficParams, VesselTrack, background_tracks, port_points
from darkfleet.scenario.routes import sea_route
from darkfleet.scenario.track import TrackBuilder

SYNTHETIC = "SYNTHETIC (darkfleet reference scenario)"
NAJIN = "Najin (Rajin) port"
DUNAI = "Dunai port facility"
TUMANGANG = "Tumangang rail facility"
TIKHORETSK = "Tikhoretsk depot"
# Generated berths: Najin at searoute's KPNJN point (also the WPI position); Dunai in the inlet
# about 3 km south of the settlement (the nearest water on the ~1 km land mask).
BERTHS = {NAJIN: (130.3, 42.2333), DUNAI: (132.3475, 42.8530)}


@dataclass(frozen=True)
class ShuttleVessel:
    """A watchlisted ship of the case. name / imo / callsign: public (SDN); the rest generated."""

    name: str
    imo: int
    mmsi: int  # generated placeholder, not the ship's real MMSI
    callsign: str | None
    length_m: int  # generated
    home: str  # UN/LOCODE of the port before and after the shuttle (generated)
    round_trips: int
    first_departure: datetime  # from Dunai, outbound to Najin
    last_return: datetime  # back at Dunai
    ais_on_stays: tuple[int, ...]  # Dunai stays (0 = before the first trip) with AIS on
    late_off_trips: tuple[int, ...] = ()  # outbound legs where AIS goes off only part-way (partly dark)
    speed_kn: tuple[float, float] = (9.0, 11.0)


SHUTTLES = (
    ShuttleVessel("ANGARA", 9179842, 273990001, None, 128, "RUVVO", 5, datetime(2023, 8, 15, 20, tzinfo=UTC),
                  datetime(2023, 10, 7, 6, tzinfo=UTC), (0, 2, 4, 5), late_off_trips=(3,)),
    ShuttleVessel("MARIA", 8517839, 273990002, "UBRH7", 96, "RUVYP", 4, datetime(2023, 8, 18, 14, tzinfo=UTC),
                  datetime(2023, 10, 5, 9, tzinfo=UTC), (0, 2, 4)),
)


@dataclass(frozen=True)
class ReferenceParams:
    seed: int = 20231016
    start: datetime = datetime(2023, 8, 1, tzinfo=UTC)
    days: int = 92  # to 31 October 2023
    traffic: TrafficParams = field(default_factory=TrafficParams)
    shuttles: tuple[ShuttleVessel, ...] = SHUTTLES

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware (UTC)")
        for s in self.shuttles:
            if s.first_departure >= s.last_return or s.round_trips < 1:
                raise ValueError(f"{s.name}: first_departure before last_return and ≥ 1 round trip required")

    @property
    def end_min(self) -> int:
        return self.days * 1440


@dataclass(frozen=True)
class Call:
    vessel: str
    place: str
    arrive_min: int
    depart_min: int
    ais_on: bool


@dataclass(frozen=True, eq=False)
class ReferenceWorld:
    params: ReferenceParams
    tracks: list[VesselTrack]  # shuttles first, then background
    calls: list[Call]  # shuttle calls at Dunai and Najin (truth)
    legs: list[dict[str, object]]  # shuttle legs Dunai <-> Najin with their AIS state (truth)

    def at(self, minute: int) -> datetime:
        return self.params.start + timedelta(minutes=minute)


def _shuttle(p: ReferenceParams, s: ShuttleVessel, k: int) -> tuple[VesselTrack, list[Call], list[dict[str, object]]]:
    """One watchlisted ship: home port, then the Dunai–Najin shuttle, then home again."""
    r = np.random.default_rng([p.seed, 7, k])
    home = port_points((s.home,))[s.home]
    out_route, back_route = sea_route(BERTHS[DUNAI], BERTHS[NAJIN]), sea_route(BERTHS[NAJIN], BERTHS[DUNAI])
    speeds = r.uniform(*s.speed_kn, 2 * s.round_trips)
    sail_min = [int(np.ceil((out_route if j % 2 == 0 else back_route).length_m / (v * M_PER_NM / 60)))
                for j, v in enumerate(speeds)]
    minute = lambda t: int((t - p.start).total_seconds() // 60)  # noqa: E731
    f0, f1 = minute(s.first_departure), minute(s.last_return)
    idle = f1 - f0 - sum(sail_min)
    shares = r.uniform(0.85, 1.15, 2 * s.round_trips - 1) * np.r_[np.tile([0.4, 0.6], s.round_trips - 1), 0.4]
    stays = np.floor(idle * shares / shares.sum()).astype(int)  # Najin, Dunai, Najin, ..., Najin
    stays[-1] += idle - stays.sum()
    stay0 = int(r.uniform(60, 90) * 60)
    to_dunai = sea_route(home, BERTHS[DUNAI])
    v0 = float(r.uniform(*s.speed_kn))
    lead = int(np.ceil(to_dunai.length_m / (v0 * M_PER_NM / 60)))
    tb = TrackBuilder(r)
    tb.dwell(home[0], home[1], f0 - stay0 - lead, s.home)
    tb.sail(to_dunai, v0)  # ends at f0 - stay0: sail() takes ceil(length / metres a minute) minutes
    calls: list[Call] = []
    on = np.ones(p.end_min, bool)
    dunai_since = tb.now
    tb.dwell(*BERTHS[DUNAI], stay0, DUNAI)
    legs = []
    for trip in range(1, s.round_trips + 1):
        dep = tb.now
        calls.append(Call(s.name, DUNAI, dunai_since, dep, (trip - 1) in s.ais_on_stays))
        tb.sail(out_route, float(speeds[2 * trip - 2]))
        arr = tb.now
        tb.dwell(*BERTHS[NAJIN], int(stays[2 * trip - 2]), NAJIN)
        calls.append(Call(s.name, NAJIN, arr, tb.now, False))
        leave = tb.now
        tb.sail(back_route, float(speeds[2 * trip - 1]))
        dunai_since = tb.now
        if trip < s.round_trips:
            tb.dwell(*BERTHS[DUNAI], int(stays[2 * trip - 1]), DUNAI)
        # AIS: off from the departure (or part-way out) until back at a Dunai stay with AIS on
        off0 = dep + (int(0.45 * (arr - dep)) if trip in s.late_off_trips else int(r.uniform(10, 60)))
        if (trip - 1) not in s.ais_on_stays:
            off0 = calls[-2].arrive_min
        on_again = dunai_since + int(r.uniform(30, 120))
        on[off0:on_again] = False
        legs.append(dict(vessel=s.name, origin=DUNAI, destination=NAJIN, start_min=dep, end_min=arr,
                         ais="partly_dark" if trip in s.late_off_trips else "dark"))
        legs.append(dict(vessel=s.name, origin=NAJIN, destination=DUNAI, start_min=leave, end_min=dunai_since,
                         ais="dark"))
    last_stay = int(r.uniform(40, 60) * 60)
    tb.dwell(*BERTHS[DUNAI], last_stay, DUNAI)
    calls.append(Call(s.name, DUNAI, dunai_since, tb.now, s.round_trips in s.ais_on_stays))
    if s.round_trips not in s.ais_on_stays:
        on[dunai_since:tb.now] = False
    tb.sail(sea_route(BERTHS[DUNAI], home), v0)
    tb.dwell(home[0], home[1], max(p.end_min - tb.now, 1), s.home)
    a = {key: v[: p.end_min] for key, v in tb.arrays().items()}
    track = VesselTrack(s.mmsi, s.name, s.imo, s.callsign, 70, s.length_m, 0, a["lon"], a["lat"], a["sog"],
                        a["cog"], a["status"], on[: len(a["lon"])])
    return track, calls, legs


def generate_reference(params: ReferenceParams | None = None) -> ReferenceWorld:
    """The reference world: the two shuttles and the background fleet, with the truth."""
    p = params or ReferenceParams()
    tracks, calls, legs = [], [], []
    for k, s in enumerate(p.shuttles):
        t, c, lg = _shuttle(p, s, k)
        tracks.append(t)
        calls += c
        legs += lg
    tracks += background_tracks(p.traffic, p.seed, p.end_min)
    return ReferenceWorld(p, tracks, calls, legs)


@dataclass(frozen=True)
class ReferenceFiles:
    """The raw inputs written for the pipeline, and the truth file (tests only)."""

    ais: list[Path]
    observations: Path  # sightings and counts (``darkfleet case import``)
    detections: Path  # SAR detections (``darkfleet sar match --detections``)
    facts: Path  # analyst facts (``darkfleet sanctions load``)
    sanctions: list[Path]  # list extracts (``darkfleet sanctions load``)
    places: Path  # the reference places (GeoJSON)
    truth: Path


def write_reference(world: ReferenceWorld, out: Path, sdn_csv: Path | None = None) -> ReferenceFiles:
    """Write the raw input files under ``out/raw`` and the truth under ``out/truth.json``."""
    from darkfleet.scenario.reference_files import write_all

    return write_all(world, Path(out), sdn_csv)
