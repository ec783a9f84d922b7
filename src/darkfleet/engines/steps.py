"""The work both engines share: which kernels run on one key's rows, and what a later batch
must replay. Engines only move data; everything here is pure (no files, no clock)."""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from darkfleet.engines.config import DetectConfig
from darkfleet.events.encounters import GRID_SCHEMA, close_pairs, encounters_from_pairs, grid_positions
from darkfleet.events.gaps import ReceptionMaps, detect_gaps
from darkfleet.events.identity import detect_identity_changes
from darkfleet.events.loitering import detect_loitering, loitering_open_since
from darkfleet.events.port_visits import port_visits_and_since, port_visits_open_since
from darkfleet.events.reception import ReceptionParams, combine, reception_partials
from darkfleet.events.schema import EVENT_SCHEMA, KINDS, empty_events
from darkfleet.events.spoofing import clones_from_shared, detect_spoofing, shared_positions, spoofing_open_since
from darkfleet.events.stops import detect_stops, stops_open_since
from darkfleet.geo.shore import LandMask, ShoreDistance
from darkfleet.lake import schema
from darkfleet.tracks.clean import clean

POSITION_COLUMNS = ["mmsi", "ts", "lon", "lat", "sog_kn", "source", "line"]


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

    def wants(self, kind: str) -> bool:
        return kind in self.kinds

    def with_reception(self, reception: ReceptionMaps) -> Context:
        return replace(self, reception=reception)


def normalise(rows: pl.DataFrame) -> pl.DataFrame:
    """The columns the kernels use, with UTC microsecond times (Spark hands over its own zone)."""
    dtype = rows.schema["ts"]
    naive = not isinstance(dtype, pl.Datetime) or dtype.time_zone is None
    return rows.select(POSITION_COLUMNS).with_columns(
        pl.col("ts").cast(pl.Datetime("us")).dt.replace_time_zone("UTC") if naive
        else pl.col("ts").dt.convert_time_zone("UTC").cast(pl.Datetime("us", "UTC")),
        pl.col("sog_kn").cast(pl.Float32),
    )


# -- pass 1: over every row, any split ----------------------------------------------------

def reception_step(rows: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Reception partials for both grids the gap rules use, tagged by ``grid``."""
    g = ctx.config.gaps
    return pl.concat([
        reception_partials(rows, ReceptionParams(g.gfw_cell_deg)).with_columns(grid=pl.lit("gfw")),
        reception_partials(rows, ReceptionParams(g.coastal_cell_deg)).with_columns(grid=pl.lit("coastal")),
    ])


def reception_maps(partials: pl.DataFrame) -> ReceptionMaps:
    return ReceptionMaps(combine(partials.filter(pl.col("grid") == "gfw").drop("grid")),
                         combine(partials.filter(pl.col("grid") == "coastal").drop("grid")))


def shared_step(rows: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Positions shared by two MMSIs (clone detection, stage 1); partition by time."""
    if not ctx.wants("spoofing"):
        return shared_positions(rows.clear(), ctx.config.spoofing)
    return shared_positions(rows, ctx.config.spoofing)


# -- pass 2: per vessel ---------------------------------------------------------------------

def vessel_step(raw: pl.DataFrame, ctx: Context) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Every per-vessel detector on these rows (all rows of the vessels they hold), and the
    encounter grid points."""
    events, grid, _ = vessel_batch(raw, ctx, with_since=False)
    return events, grid


def vessel_batch(raw: pl.DataFrame, ctx: Context,
                 with_since: bool = True) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame | None]:
    """:func:`vessel_step` plus, for the local engine, :func:`carry_since` sharing its work."""
    c = ctx.config
    if raw.height == 0:
        return empty_events(), pl.DataFrame(schema=GRID_SCHEMA), None
    kept = _kept(raw, ctx)
    w = ctx.wants
    visits, visit_since = (port_visits_and_since(kept, c.port_visits, ctx.places) if w("port_visit")
                           else (empty_events(), None))
    events = pl.concat([
        detect_gaps(kept, c.gaps, ctx.reception, ctx.shore) if w("gap") else empty_events(),
        visits,
        detect_stops(kept, c.stops) if w("stop") else empty_events(),
        detect_loitering(kept, c.loitering, ctx.shore) if w("loitering") else empty_events(),
        detect_spoofing(raw, c.spoofing, ctx.land, ctx.places) if w("spoofing") else empty_events(),
    ])
    grid = grid_positions(kept, c.encounters, ctx.places) if w("encounter") else pl.DataFrame(schema=GRID_SCHEMA)
    since = carry_since(raw, ctx, kept, visit_since) if with_since else None
    return events, grid, since


def _kept(raw: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    return clean(raw, ctx.config.clean, ctx.land, ctx.places).kept if ctx.cleaning else raw


def carry_since(raw: pl.DataFrame, ctx: Context, kept: pl.DataFrame | None = None,
                visit_since: pl.DataFrame | None = None) -> pl.DataFrame:
    """Per MMSI, the earliest time a later batch must replay from (``since``, microseconds since the
    epoch), and ``last``: the vessel's last kept row (its last row if cleaning removed them all) —
    the row a still-open event would end at (see :func:`settle`)."""
    c = ctx.config
    kept = _kept(raw, ctx) if kept is None else kept
    t = raw["ts"].dt.epoch("us")
    last = raw.select("mmsi", t.alias("t")).group_by("mmsi").agg(pl.col("t").max())
    lookback_s = max(c.gaps.before_window_h, c.clean.max_link_h) * 3600
    parts = [last.select("mmsi", (pl.col("t") - int(lookback_s * 1e6)).alias("since"))]
    tail = raw.select("mmsi", t.alias("t")).sort("mmsi", "t").group_by("mmsi").agg(
        pl.col("t").tail(max(c.clean.lookback_positions, c.spoofing.max_excursion_positions) + 1).min().alias("since"))
    parts.append(tail)
    opens = [(visit_since if visit_since is not None else port_visits_open_since(kept, c.port_visits, ctx.places))
             if ctx.wants("port_visit") else None,
             stops_open_since(kept, c.stops) if ctx.wants("stop") else None,
             loitering_open_since(kept, c.loitering) if ctx.wants("loitering") else None,
             spoofing_open_since(raw, c.spoofing) if ctx.wants("spoofing") else None]
    for since in (o for o in opens if o is not None):
        parts.append(since.select("mmsi", (pl.col("since_s") * 1e6).round().cast(pl.Int64).alias("since")))
    kept_last = kept.group_by("mmsi").agg(pl.col("ts").max().dt.epoch("us").alias("k"))
    return (pl.concat(parts).group_by("mmsi").agg(pl.col("since").min())
            .join(last, on="mmsi").join(kept_last, on="mmsi", how="left")
            .select("mmsi", "since", pl.col("k").fill_null(pl.col("t")).alias("last")))


def settle(events: pl.DataFrame, last_us: pl.DataFrame, prev_us: pl.DataFrame | None, final: bool) -> pl.DataFrame:
    """Keep the events of this batch that are complete and new.

    ``last_us``/``prev_us``: per MMSI, the last row time of this batch / of the previous one.
    A run event reaching the vessel's last row may go on in the next batch (pending) unless the
    batch is final; an event that ended before the previous batch's last row was found then.
    Gaps are complete when found; one ending at or before the previous last row was found then.
    """
    if events.height == 0:
        return events
    e = events.with_columns(_end=pl.col("end").dt.epoch("us"))
    e = e.join(last_us.rename({"t": "_last"}), on="mmsi", how="left")
    e = e.join(prev_us.rename({"t": "_prev"}), on="mmsi", how="left") if prev_us is not None else e.with_columns(
        _prev=pl.lit(None, pl.Int64))
    gap = pl.col("kind") == "gap"
    complete = pl.lit(final) | gap | (pl.col("_end") < pl.col("_last"))
    new = pl.col("_prev").is_null() | pl.when(gap).then(pl.col("_end") > pl.col("_prev")).otherwise(
        pl.col("_end") >= pl.col("_prev"))
    return e.filter(complete & new).select(list(EVENT_SCHEMA))


# -- after both passes ------------------------------------------------------------------------

def pair_step(grid: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Encounter stage 2 on grid points of one time partition."""
    return close_pairs(grid.unique(["mmsi", "slot"], keep="first").sort("mmsi", "slot"), ctx.config.encounters)


def finish_events(parts: list[pl.DataFrame], pairs: pl.DataFrame, shared: pl.DataFrame, statics: pl.DataFrame,
                  ctx: Context) -> pl.DataFrame:
    """Cross-vessel final stages, identity changes, and one sorted, de-duplicated table."""
    c = ctx.config
    out = pl.concat([
        *parts,
        encounters_from_pairs(pairs, c.encounters, ctx.places),
        clones_from_shared(shared, c.spoofing),
        detect_identity_changes(statics, c.identity, ctx.declared_flags)
        if statics.height and ctx.wants("identity_change") else empty_events(),
    ])
    return out.unique("id", keep="first").sort("kind", "mmsi", "start", "id")


def statics_frame(tbl: pl.DataFrame | None) -> pl.DataFrame:
    if tbl is None or tbl.height == 0:
        return pl.from_arrow(schema.STATICS.empty_table())  # type: ignore[return-value]
    return tbl


def day_of_slot(slot: pl.Expr, step_min: int) -> pl.Expr:
    return (slot * step_min * 60 // 86400).cast(pl.Int64)


