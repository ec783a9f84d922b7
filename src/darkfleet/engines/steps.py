"""The work both engines share: which kernels run on one key's rows, and what a later batch
must replay. Engines only move data; everything here is pure (no files, no clock).

A *batch* is every row of some vessels over some time, sorted by (mmsi, ts, source, line): all of
their history (the memory engine, a Spark group) or one day plus the rows carried over from
earlier days (the local engine). :func:`vessel_batch` runs the per-vessel kernels on it and
says, per vessel, from when a later batch must replay (:func:`carry_since`); :func:`settle`
keeps the events a batch has completed and not reported before; :func:`finish_events` runs
the stages that need every vessel (encounter pairs, cloned tracks, identity, gap reasons).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from darkfleet.engines import kernels
from darkfleet.engines.config import DetectConfig
from darkfleet.events.base import Tracks, same_vessel_as_prev, tracks_of
from darkfleet.events.encounters import GRID_SCHEMA, close_pairs, encounters_from_pairs, grid_positions
from darkfleet.events.gaps import CANDIDATE_SCHEMA, ReceptionMaps, classify_gaps, gap_candidates
from darkfleet.events.identity import detect_identity_changes
from darkfleet.events.loitering import detect_loitering, loitering_open_since
from darkfleet.events.port_visits import port_visits_and_since
from darkfleet.events.reception import PARTIAL_SCHEMA, combine, reception_partials_many
from darkfleet.events.schema import EVENT_SCHEMA, KINDS, empty_events
from darkfleet.events.spoofing import PARTIAL_SCHEMA as SPOOF_PARTIAL_SCHEMA
from darkfleet.events.spoofing import clones_from_shared, shared_positions, spoofing_from_partials, spoofing_partials
from darkfleet.events.stops import stops_and_since, stops_open_since
from darkfleet.geo.shore import LandMask, ShoreDistance
from darkfleet.lake import schema
from darkfleet.tracks.clean import OUT_SCHEMA, SIZE_SCHEMA, clean, segment_ids, segment_sizes

POSITION_COLUMNS = ["mmsi", "ts", "lon", "lat", "sog_kn", "source", "line"]
SORT = ["mmsi", "ts", "source", "line"]
RECEPTION_SCHEMA = {**PARTIAL_SCHEMA, "grid": pl.String}
SINCE_SCHEMA: dict[str, Any] = {"mmsi": pl.Int64, "since": pl.Int64, "last": pl.Int64}


@dataclass(frozen=True, eq=False)
class Context:
    """What every kernel call needs besides the rows (shipped to Spark workers as a closure)."""

    config: DetectConfig
    places: pl.DataFrame
    land: LandMask | None = None
    shore: ShoreDistance | None = None
    reception: ReceptionMaps | None = None
    declared_flags: pl.DataFrame | None = None  # flags declared for vessels (darkfleet.tracks.flags)
    kinds: frozenset[str] = frozenset(KINDS)  # the detectors to run (benchmarks run a subset)
    cleaning: bool = True  # False: the kernels see the rows as stored (benchmarks of the kernels alone)
    segments: pl.DataFrame | None = None  # darkfleet.tracks.clean.segment_table of all the data (batched engines)

    def wants(self, kind: str) -> bool:
        return kind in self.kinds

    @property
    def segmenting(self) -> bool:
        """Whether the cleaning's segmentation runs (for the detectors' input, or for spoofing)."""
        return self.cleaning or self.wants("spoofing")

    def with_reception(self, reception: ReceptionMaps) -> Context:
        return replace(self, reception=reception)

    def with_segments(self, segments: pl.DataFrame) -> Context:
        return replace(self, segments=segments)


def normalise(rows: pl.DataFrame) -> pl.DataFrame:
    """The columns the kernels use, with UTC microsecond times (Spark hands over its own zone)."""
    dtype = rows.schema["ts"]
    naive = not isinstance(dtype, pl.Datetime) or dtype.time_zone is None
    return rows.select(POSITION_COLUMNS).with_columns(
        pl.col("ts").cast(pl.Datetime("us")).dt.replace_time_zone("UTC") if naive
        else pl.col("ts").dt.convert_time_zone("UTC").cast(pl.Datetime("us", "UTC")),
        pl.col("sog_kn").cast(pl.Float32),
    )


# -- over every row, any split ----------------------------------------------------------------

def reception_step(rows: pl.DataFrame | Tracks, ctx: Context, counted: np.ndarray | None = None) -> pl.DataFrame:
    """Reception partials for both grids the gap rules use, tagged by ``grid`` (of the ``counted``
    rows only, if given)."""
    if not ctx.wants("gap"):
        return pl.DataFrame(schema=RECEPTION_SCHEMA)
    gfw, coastal = reception_partials_many(rows, list(ctx.config.gaps.reception()), counted)
    return pl.concat([gfw.with_columns(grid=pl.lit("gfw")), coastal.with_columns(grid=pl.lit("coastal"))])


def reception_maps(partials: pl.DataFrame, ctx: Context) -> ReceptionMaps:
    gfw, coastal = ctx.config.gaps.reception()
    return ReceptionMaps(combine(partials.filter(pl.col("grid") == "gfw").drop("grid"), gfw.period),
                         combine(partials.filter(pl.col("grid") == "coastal").drop("grid"), coastal.period))


def shared_step(rows: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Positions shared by two MMSIs (clone detection, stage 1); partition by time."""
    if not ctx.wants("spoofing"):
        return shared_positions(rows.clear(), ctx.config.spoofing)
    return shared_positions(rows, ctx.config.spoofing)


# -- per vessel ---------------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class BatchResult:
    """What the per-vessel kernels give for one batch."""

    events: pl.DataFrame  # complete events of every per-vessel kind but gaps and spoofing
    gaps: pl.DataFrame  # gap candidates (reasons come once the reception map is known)
    spoofing: pl.DataFrame  # spoofing partials (summed over batches at the end)
    grid: pl.DataFrame  # encounter grid points
    cleaned_out: pl.DataFrame  # rows removed or re-assigned by cleaning (darkfleet.tracks.clean.OUT_SCHEMA)
    rows: pl.DataFrame  # the batch's rows (with ``_seg`` when cleaning), for the local engine's carry
    since: pl.DataFrame | None = field(default=None)  # SINCE_SCHEMA, with_since only
    times: pl.DataFrame | None = field(default=None)  # mmsi, key, t_us of the kept rows, with_since only
    reception: pl.DataFrame | None = field(default=None)  # RECEPTION_SCHEMA, given ``counted`` only


def vessel_step(raw: pl.DataFrame, ctx: Context) -> BatchResult:
    """Every per-vessel kernel on rows holding whole vessel histories."""
    return vessel_batch(raw, ctx, with_since=False)


def vessel_batch(raw: pl.DataFrame, ctx: Context, with_since: bool = True,
                 earlier: pl.DataFrame | None = None, counted: np.ndarray | None = None) -> BatchResult:
    """The per-vessel kernels on one batch (sorted by ``SORT``), and for the local engine the
    carry (:func:`carry_since`) sharing their work. ``earlier``: times of fixes before the batch
    (:func:`darkfleet.events.gaps.gap_candidates`). ``counted``: the rows the reception partials
    count (the local engine's day, not the rows carried from earlier days); none if not given."""
    c = ctx.config
    w = ctx.wants
    if raw.height == 0:
        return BatchResult(empty_events(), pl.DataFrame(schema=CANDIDATE_SCHEMA),
                           pl.DataFrame(schema=SPOOF_PARTIAL_SCHEMA), pl.DataFrame(schema=GRID_SCHEMA),
                           pl.DataFrame(schema=OUT_SCHEMA), raw, pl.DataFrame(schema=SINCE_SCHEMA))
    kept, rows = raw, raw
    out, spoof = pl.DataFrame(schema=OUT_SCHEMA), pl.DataFrame(schema=SPOOF_PARTIAL_SCHEMA)
    if ctx.segmenting:
        cleaned = clean(raw, c.clean, ctx.land, ctx.places, ctx.segments)
        rows = cleaned.rows
        if ctx.cleaning:
            kept, out = cleaned.kept, cleaned.out_rows()
        if w("spoofing"):
            spoof = spoofing_partials(cleaned)
    tr = tracks_of(kept.drop("_carried", "_seg", strict=False))
    visits, visit_since = (port_visits_and_since(tr, c.port_visits, ctx.places) if w("port_visit")
                           else (empty_events(), None))
    stops, stop_since = stops_and_since(tr, c.stops) if w("stop") else (empty_events(), None)
    events = pl.concat([
        visits,
        stops,
        detect_loitering(tr, c.loitering, ctx.shore) if w("loitering") else empty_events(),
    ])
    gaps = gap_candidates(tr, c.gaps, ctx.shore, earlier) if w("gap") else pl.DataFrame(schema=CANDIDATE_SCHEMA)
    grid = grid_positions(tr, c.encounters, ctx.places) if w("encounter") else pl.DataFrame(schema=GRID_SCHEMA)
    since = times = reception = None
    need_raw = counted is not None or with_since
    raw_tr = tr if kept is raw or not need_raw else tracks_of(raw.drop("_carried", "_seg", strict=False))
    if counted is not None:
        reception = reception_step(raw_tr, ctx, counted)
    if with_since:
        since = carry_since(raw_tr, tr, rows, ctx, visit_since, stop_since)
        if w("gap"):
            keep = _earlier_rows(tr.vessel, tr.t_us, since, ctx)
            times = pl.DataFrame({"mmsi": tr.vessel[keep], "key": tr.key[keep], "t_us": tr.t_us[keep]})
    return BatchResult(events, gaps, spoof, grid, out, rows, since, times, reception)


def carry_since(raw: Tracks, kept: Tracks, rows: pl.DataFrame, ctx: Context,
                visit_since: tuple[np.ndarray, np.ndarray] | None = None,
                stop_since: tuple[np.ndarray, np.ndarray] | None = None) -> pl.DataFrame:
    """Per MMSI, the earliest time (µs since the epoch) a later batch must replay from
    (``since``), and ``last``: the vessel's last kept row (its last row if cleaning removed them
    all) — the row a still-open event would end at (see :func:`settle`)."""
    c = ctx.config
    last_raw = raw.last_rows()
    # the last fix (a gap may start there), and what cleaning may link to (the gaps' 12 h before
    # are kept as times only: :func:`earlier_times`)
    lookback_us = int(c.clean.max_link_h * 3.6e9) if ctx.segmenting else 0
    parts: list[tuple[np.ndarray, np.ndarray]] = [(raw.vessel[last_raw], raw.t_us[last_raw] - lookback_us)]
    if ctx.segmenting:  # the last lookback_positions + 1 candidates: their successors link among them
        cand = rows.filter(pl.col("_seg") >= 0)
        parts.append(_tail_since(cand["mmsi"].to_numpy(), cand["ts"].dt.epoch("us").to_numpy(),
                                 c.clean.lookback_positions + 1))
    if ctx.wants("port_visit"):
        parts.append(visit_since if visit_since is not None else port_visits_and_since(kept, c.port_visits,
                                                                                       ctx.places)[1])
    if ctx.wants("stop"):
        parts.append(stop_since if stop_since is not None else stops_open_since(kept, c.stops))
    if ctx.wants("loitering"):
        parts.append(loitering_open_since(kept, c.loitering))
    if ctx.wants("encounter"):  # the grid interpolates between a fix and the next
        parts.append((raw.vessel[last_raw], raw.t_us[last_raw]))
    who, since = _min_per(np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts]))
    # every vessel is one track of the raw rows (their key is the MMSI): its last row
    at = np.searchsorted(raw.vessel[last_raw], who)
    last = raw.t_us[last_raw][at]
    kept_last = kept.last_rows()  # a vessel's kept tracks (segments) are adjacent: the latest of them
    k_who, k_last = _max_per(kept.vessel[kept_last], kept.t_us[kept_last])
    if len(k_who):
        j = np.minimum(np.searchsorted(k_who, who), len(k_who) - 1)
        last = np.where(k_who[j] == who, k_last[j], last)
    return pl.DataFrame({"mmsi": who, "since": since, "last": last}, schema=SINCE_SCHEMA)


def _min_per(key: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The least ``value`` per ``key``, keys ascending."""
    order = np.lexsort((value, key))
    key, value = key[order], value[order].astype(np.int64)
    first = ~same_vessel_as_prev(key)
    return key[first], value[first]


def _max_per(key: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The greatest ``value`` per run of equal ``key`` (keys sorted)."""
    if len(key) == 0:
        return key, value
    starts = np.flatnonzero(~same_vessel_as_prev(key))
    return key[starts], np.maximum.reduceat(value, starts)


def _tail_since(m: np.ndarray, t: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Per vessel (rows sorted by vessel), the time of its ``count``-th last row (its first if fewer)."""
    if len(m) == 0:
        return m, t
    last = np.r_[np.flatnonzero(m[1:] != m[:-1]), len(m) - 1]
    first = np.r_[0, last[:-1] + 1]
    return m[last], t[np.maximum(last - count + 1, first)]


def earlier_times(times: pl.DataFrame, since: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """The times of fixes a later batch needs for the gaps' ``positions_before`` but will not get
    as carried rows: per vessel, from ``before_window_h`` before its last kept fix up to the
    carried rows (``times``: this batch's and the earlier times; columns mmsi, key, t_us)."""
    if times.height == 0:
        return times
    return times.filter(pl.Series(_earlier_rows(times["mmsi"].to_numpy(), times["t_us"].to_numpy(), since, ctx)))


def _earlier_rows(m: np.ndarray, t: np.ndarray, since: pl.DataFrame, ctx: Context) -> np.ndarray:
    """Which of the fixes (vessel ``m``, time ``t`` in µs) :func:`earlier_times` keeps."""
    window_us = int(ctx.config.gaps.before_window_h * 3.6e9)
    return kernels.rows_in_windows(m, t, since["mmsi"].to_numpy(), since["last"].to_numpy() - window_us,
                                   since["since"].to_numpy())


def carry_rows(rows: pl.DataFrame, since: pl.DataFrame) -> pl.DataFrame:
    """The rows of a batch a later batch must replay (``rows`` sorted by mmsi, ``since`` per mmsi)."""
    if rows.height == 0:
        return rows
    never = np.full(since.height, np.iinfo(np.int64).max)
    keep = kernels.rows_in_windows(rows["mmsi"].to_numpy(), rows["ts"].dt.epoch("us").to_numpy(),
                                   since["mmsi"].to_numpy(), since["since"].to_numpy(), never)
    return rows.filter(pl.Series(keep))


def settle(events: pl.DataFrame, last_us: pl.DataFrame, prev_us: pl.DataFrame | None, final: bool) -> pl.DataFrame:
    """Keep the events of this batch that are complete and new.

    ``last_us``/``prev_us``: per MMSI (ascending), the last row time of this batch / of the
    previous one. A run event reaching the vessel's last row may go on in the next batch
    (pending) unless the batch is final; an event that ended before the previous batch's last row
    was found then. Gaps are complete when found; one ending at or before the previous last row
    was found then.
    """
    if events.height == 0:
        return events
    mmsi, end = events["mmsi"].to_numpy(), events["end"].dt.epoch("us").to_numpy()
    gap = (events["kind"] == "gap").to_numpy()
    has_last, last = _look_up(last_us, mmsi)
    complete = final | gap | (has_last & (end < last))
    if prev_us is None:
        return events.filter(pl.Series(complete))
    has_prev, prev = _look_up(prev_us, mmsi)
    new = ~has_prev | np.where(gap, end > prev, end >= prev)
    return events.filter(pl.Series(complete & new))


def _look_up(per_mmsi: pl.DataFrame, mmsi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Whether each MMSI is in ``per_mmsi`` (columns mmsi ascending, t), and its ``t`` there."""
    keys, values = per_mmsi["mmsi"].to_numpy(), per_mmsi["t"].to_numpy()
    if len(keys) == 0:
        return np.zeros(len(mmsi), bool), np.zeros(len(mmsi), np.int64)
    at = np.minimum(np.searchsorted(keys, mmsi), len(keys) - 1)
    return keys[at] == mmsi, values[at]


# -- cleaning in batches: segment sizes first ----------------------------------------------------

def segment_step(raw: pl.DataFrame, ctx: Context) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """For a batched engine's first pass: the batch's segment sizes (``SIZE_SCHEMA``), its rows
    with ``_seg``, and per MMSI the time to carry from (what the next rows may link to)."""
    c = ctx.config.clean
    if raw.height == 0:
        return pl.DataFrame(schema=SIZE_SCHEMA), raw, pl.DataFrame(schema=SINCE_SCHEMA)
    rows, _ = segment_ids(raw, c, ctx.land, ctx.places)
    cand = rows.filter(pl.col("_seg") >= 0)
    who, since = _tail_since(cand["mmsi"].to_numpy(), cand["ts"].dt.epoch("us").to_numpy(), c.lookback_positions + 1)
    m, t = rows["mmsi"].to_numpy(), rows["ts"].dt.epoch("us").to_numpy()
    last = np.r_[np.flatnonzero(m[1:] != m[:-1]), len(m) - 1]
    # the previous fix may be linked at any age; older ones within max_link_h
    window = pl.DataFrame({"mmsi": m[last], "since": t[last] - int(c.max_link_h * 3.6e9)})
    carry = (pl.concat([window, pl.DataFrame({"mmsi": who, "since": since})])
             .group_by("mmsi").agg(pl.col("since").min()).sort("mmsi"))
    return segment_sizes(rows), rows, carry


# -- after the per-vessel work -------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class Detection:
    """An engine's result: the events, and the rows cleaning removed or re-assigned."""

    events: pl.DataFrame
    cleaned_out: pl.DataFrame

    @classmethod
    def of(cls, events: pl.DataFrame, cleaned_out: list[pl.DataFrame]) -> Detection:
        out = pl.concat([pl.DataFrame(schema=OUT_SCHEMA), *cleaned_out]).sort("mmsi", "ts", "source", "line")
        return cls(events, out)

    def cleaning_counts(self) -> dict[str, int]:
        return dict(sorted(self.cleaned_out.group_by("reason").len().iter_rows()))


def pair_step(grid: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Encounter stage 2 on grid points of one time partition. One point per vessel and slot: two
    segments of one MMSI (two transmitters) in one slot give the one west-, then south-most."""
    one = grid.sort("mmsi", "slot", "lon", "lat").unique(["mmsi", "slot"], keep="first", maintain_order=True)
    return close_pairs(one, ctx.config.encounters)


def finish_events(parts: list[pl.DataFrame], gaps: pl.DataFrame, spoofing: pl.DataFrame, pairs: pl.DataFrame,
                  shared: pl.DataFrame, statics: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Cross-vessel final stages, gap reasons, identity changes, and one sorted, de-duplicated table."""
    c = ctx.config
    reception = ctx.reception or ReceptionMaps(combine(pl.DataFrame(schema=PARTIAL_SCHEMA)),
                                               combine(pl.DataFrame(schema=PARTIAL_SCHEMA)))
    out = pl.concat([
        *parts,
        classify_gaps(gaps, reception, c.gaps) if ctx.wants("gap") else empty_events(),
        encounters_from_pairs(pairs, c.encounters, ctx.places),
        spoofing_from_partials(spoofing, c.spoofing) if ctx.wants("spoofing") else empty_events(),
        clones_from_shared(shared, c.spoofing),
        detect_identity_changes(statics, c.identity, ctx.declared_flags)
        if statics.height and ctx.wants("identity_change") else empty_events(),
    ])
    return out.unique("id", keep="first").sort("kind", "mmsi", "start", "id").select(list(EVENT_SCHEMA))


def statics_frame(tbl: pl.DataFrame | None) -> pl.DataFrame:
    if tbl is None or tbl.height == 0:
        return pl.from_arrow(schema.STATICS.empty_table())  # type: ignore[return-value]
    return tbl


def day_of_slot(slot: pl.Expr, step_min: int) -> pl.Expr:
    return (slot * step_min * 60 // 86400).cast(pl.Int64)
