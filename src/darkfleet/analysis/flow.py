"""Cargo flow from object counts: falls at an origin while a vessel is there, rises where it goes
next; and surges and growth at a site. Pure kernels.

``counts``: one row per count: ``count_id``, ``place``, ``site``, ``object_class``, ``size_class``,
``colour``, ``observed_at``, ``count``. A *series* is one (place, site, object_class, size_class,
colour). ``calls`` as :func:`darkfleet.analysis.voyages.calls` returns.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from darkfleet.analysis.params import FlowParams, SurgeParams

SERIES = ["place", "site", "object_class", "size_class", "colour"]


def series(counts: pl.DataFrame) -> pl.DataFrame:
    """Counts sorted per series with a ``series`` label (``place / site / class [size colour]``)."""
    label = pl.concat_str([pl.col("place"), pl.lit(" / "), pl.col("site"), pl.lit(" / "), pl.col("object_class"),
                           pl.lit(" "), pl.col("size_class").fill_null(""),
                           pl.lit(" "), pl.col("colour").fill_null("")])
    return counts.with_columns([pl.col(c).fill_null("") for c in SERIES[1:]]).with_columns(
        series=label.str.strip_chars()).sort("series", "observed_at", "count_id")


def _around(calls: pl.DataFrame, cs: pl.DataFrame, p: FlowParams, prefix: str,
            window_h: float | None = None) -> pl.DataFrame:
    """For each (call, series at the call's place): the last count before arrival and the first
    after departure (``window_h``: instead, the highest count from arrival to arrival + window_h)."""
    keys = cs.select("place", "series").unique()
    base = calls.join(keys, on="place").with_row_index("_k")
    slack = timedelta(hours=p.slack_h)
    before = base.with_columns(_t=pl.col("start") + slack).sort("_t").join_asof(
        cs.select("series", pl.col("observed_at").alias("b_t"), pl.col("count").alias("b_n"),
                  pl.col("count_id").alias("b_id")).sort("b_t"),
        left_on="_t", right_on="b_t", by="series", strategy="backward", check_sortedness=False,
        tolerance=timedelta(hours=p.before_h) + slack)
    if window_h is None:
        after = base.with_columns(_t=pl.col("end") - slack).sort("_t").join_asof(
            cs.select("series", pl.col("observed_at").alias("a_t"), pl.col("count").alias("a_n"),
                      pl.col("count_id").alias("a_id")).sort("a_t"),
            left_on="_t", right_on="a_t", by="series", strategy="forward", check_sortedness=False,
            tolerance=timedelta(hours=p.after_h) + slack).select("_k", "a_t", "a_n", "a_id")
    else:
        after = base.select("_k", "series", "start").join(cs, on="series").filter(
            (pl.col("observed_at") > pl.col("start")) &
            (pl.col("observed_at") <= pl.col("start") + timedelta(hours=window_h))
        ).sort("count", "observed_at", descending=[True, False]).group_by("_k").agg(
            pl.col("observed_at").first().alias("a_t"), pl.col("count").first().alias("a_n"),
            pl.col("count_id").first().alias("a_id"))
    out = before.select("_k", "vessel", "call_no", "place", "series", "start", "end", "b_t", "b_n", "b_id").join(
        after, on="_k", how="left").drop("_k").filter(
        pl.col("b_t").is_not_null() & pl.col("a_t").is_not_null() & (pl.col("a_t") > pl.col("b_t")))
    return out.with_columns(change=pl.col("a_n") - pl.col("b_n")).rename(
        {c: f"{prefix}{c}" for c in ("place", "series", "start", "end", "b_t", "b_n", "b_id", "a_t", "a_n", "a_id",
                                      "change")})


def flow_links(calls: pl.DataFrame, counts: pl.DataFrame, p: FlowParams) -> pl.DataFrame:
    """Links origin call → the vessel's next call, where a series at the origin fell by at least
    ``min_change`` across the call and a series at the destination rose by at least as much
    within ``destination_window_h`` of the arrival. One row per (link, destination series)."""
    cs = series(counts)
    if cs.height == 0 or calls.height == 0:
        return pl.DataFrame()
    fell = _around(calls, cs, p, "o_").filter(pl.col("o_change") <= -p.min_change)
    nxt = calls.select("vessel", (pl.col("call_no") - 1).alias("call_no"), pl.col("call_no").alias("d_call_no"))
    rose = _around(calls, cs, p, "d_", window_h=p.destination_window_h).filter(pl.col("d_change") >= p.min_change)
    rose = rose.rename({"call_no": "d_call_no"})
    return fell.join(nxt, on=["vessel", "call_no"]).join(rose, on=["vessel", "d_call_no"]).filter(
        pl.col("o_place") != pl.col("d_place")).sort("vessel", "o_start", "d_series")


def surges(counts: pl.DataFrame, p: SurgeParams) -> pl.DataFrame:
    """Counts at least ``factor`` × the highest count of the previous ``baseline_days`` in their series."""
    cs = series(counts)
    if cs.height == 0:
        return cs
    prior = cs.select("series", pl.col("observed_at").alias("t0"), pl.col("count").alias("n0"),
                      pl.col("count_id").alias("id0"))
    base = cs.join(prior, on="series").filter(
        (pl.col("t0") < pl.col("observed_at"))
        & (pl.col("t0") >= pl.col("observed_at") - timedelta(days=p.baseline_days))
    ).group_by("count_id").agg(pl.col("n0").max().alias("baseline_max"), pl.len().alias("baseline_n"),
                               pl.col("t0").min().alias("baseline_from"), pl.col("id0").sort().alias("baseline_ids"))
    out = cs.join(base, on="count_id").filter(
        (pl.col("count") >= p.factor * pl.col("baseline_max").clip(lower_bound=1))
        & (pl.col("count") - pl.col("baseline_max") >= p.min_change) & (pl.col("baseline_n") >= 2))
    return out.sort("series", "observed_at").group_by("series", maintain_order=True).first()


def growth(counts: pl.DataFrame, p: SurgeParams) -> pl.DataFrame:
    """Series whose last count is at least ``factor`` × the first (and ``min_change`` above it)."""
    cs = series(counts)
    if cs.height == 0:
        return cs
    g = cs.group_by("series", maintain_order=True).agg(
        pl.col("place").first(), pl.col("site").first(), pl.col("object_class").first(),
        pl.col("observed_at").first().alias("first_t"), pl.col("count").first().alias("first_n"),
        pl.col("observed_at").last().alias("last_t"), pl.col("count").last().alias("last_n"),
        pl.col("count_id").alias("count_ids"), pl.len().alias("n"))
    return g.filter((pl.col("n") >= 3) & (pl.col("last_n") >= p.factor * pl.col("first_n").clip(lower_bound=1))
                    & (pl.col("last_n") - pl.col("first_n") >= p.min_change))
