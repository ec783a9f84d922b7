"""AIS positions at one instant (a satellite acquisition): interpolated between the fixes either
side of it, or dead-reckoned from the nearest fix's speed and course within a bounded time.

Pure kernel: a positions table in (the lake's ``positions`` columns ``mmsi``, ``ts``, ``lon``,
``lat``, ``sog_kn``, ``cog_deg``, ``heading_deg``), one row per vessel out. Vectorised over all
vessels (no loop per vessel).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl

from darkfleet.geo.units import EARTH_RADIUS_M, M_PER_NM, S_PER_H, haversine_m  # noqa: F401  (re-exported)

KN_TO_M_S = M_PER_NM / S_PER_H  # one knot is 0.5144 m/s

AT_COLUMNS = pl.Schema(
    {
        "mmsi": pl.Int64(),
        "lon": pl.Float64(),
        "lat": pl.Float64(),
        "sog_kn": pl.Float64(),
        "cog_deg": pl.Float64(),
        "heading_deg": pl.Float64(),
        "ve_m_s": pl.Float64(),
        "vn_m_s": pl.Float64(),
        "method": pl.String(),
        "fix_age_s": pl.Float64(),
        "uncertainty_m": pl.Float64(),
        "before_ts": pl.Datetime("us", "UTC"),
        "after_ts": pl.Datetime("us", "UTC"),
    }
)


@dataclass(frozen=True)
class AisAtParams:
    """How far AIS is carried to the acquisition time.

    ``max_interpolation_gap_s``: fixes either side are interpolated when at most this far apart
    (30 min: a Class A ship under way reports every 2–10 s, at anchor every 3 min, so longer gaps
    are reception holes over which a ship may have turned). ``max_dead_reckoning_s``: otherwise
    the nearest fix is carried along its speed and course for at most this long (10 min, about
    3 km at 10 kn). ``gps_sigma_m`` is the AIS position error itself (GNSS with an antenna
    up to half a ship's length from its centre: 30 m); ``drift_fraction`` the share of the
    distance carried that may be wrong (speed and course change: 10 %); the uncertainty of a
    carried position is their sum, never less than the GPS error. A vessel slower than
    ``stationary_sog_kn`` (at anchor or moored) is carried for up to ``max_stationary_age_s``
    (30 min: at anchor Class A reports only every 3 min, so with patchy reception ten
    minutes without a fix are common, and an anchored ship does not go far).
    """

    max_interpolation_gap_s: float = 1800.0
    max_dead_reckoning_s: float = 600.0
    gps_sigma_m: float = 30.0
    drift_fraction: float = 0.1
    stationary_sog_kn: float = 0.5
    max_stationary_age_s: float = 1800.0

    def __post_init__(self) -> None:
        if self.max_interpolation_gap_s < 0 or self.max_dead_reckoning_s < 0:
            raise ValueError("max_interpolation_gap_s and max_dead_reckoning_s must be ≥ 0")
        if self.gps_sigma_m < 0 or not 0 <= self.drift_fraction <= 1:
            raise ValueError("gps_sigma_m ≥ 0 and drift_fraction in [0, 1] required")

    @property
    def window(self) -> timedelta:
        """The time either side of the instant from which fixes can contribute."""
        longest = max(self.max_interpolation_gap_s, self.max_dead_reckoning_s, self.max_stationary_age_s)
        return timedelta(seconds=longest)


def _offset(lon: pl.Expr, lat: pl.Expr, east_m: pl.Expr, north_m: pl.Expr) -> tuple[pl.Expr, ...]:
    """(lon, lat) moved by small east/north offsets in metres (local tangent plane)."""
    dlat = (north_m / EARTH_RADIUS_M).degrees()
    dlon = (east_m / (EARTH_RADIUS_M * lat.radians().cos())).degrees()
    new_lon = ((lon + dlon + 180.0) % 360.0) - 180.0
    return new_lon, lat + dlat


def positions_at(positions: pl.DataFrame, when: datetime, params: AisAtParams | None = None) -> pl.DataFrame:
    """Each vessel's position at ``when`` (aware UTC), with how it was obtained.

    ``method`` is ``"interpolated"`` (fixes on both sides within the gap), ``"dead_reckoned"``
    (from the nearer fix, forwards or backwards, within ``max_dead_reckoning_s``) or
    ``"fix"`` (a fix at the instant itself). Vessels with no usable fix are absent.
    ``ve_m_s`` / ``vn_m_s`` are the velocity east / north in m/s (from the nearer fix's SOG and
    COG; zero when either is unavailable); ``fix_age_s`` is the time to the nearer fix used.
    """
    if when.tzinfo is None:
        raise ValueError("when must be timezone-aware (UTC)")
    params = params or AisAtParams()
    t = when.astimezone(UTC)
    if positions.height == 0:
        return pl.DataFrame(schema=AT_COLUMNS)
    cols = ["mmsi", "ts", "lon", "lat", "sog_kn", "cog_deg", "heading_deg"]
    p = positions.select(cols).with_columns(
        pl.col("sog_kn", "cog_deg", "heading_deg").cast(pl.Float64),
        pl.col("ts").dt.convert_time_zone("UTC"),
    )
    p = p.filter((pl.col("ts") >= t - params.window) & (pl.col("ts") <= t + params.window)).sort("mmsi", "ts")
    before = p.filter(pl.col("ts") <= t).group_by("mmsi").agg(pl.all().last())
    after = p.filter(pl.col("ts") > t).group_by("mmsi").agg(pl.all().first())
    j = before.join(after, on="mmsi", how="full", coalesce=True, suffix="_a")
    f = pl.col
    t_lit = pl.lit(t).dt.cast_time_unit("us")
    dt0 = (t_lit - f("ts")).dt.total_microseconds() / 1e6  # seconds since the fix before
    dt1 = (f("ts_a") - t_lit).dt.total_microseconds() / 1e6  # seconds until the fix after
    j = j.with_columns(dt0.alias("_dt0"), dt1.alias("_dt1"))
    interp = (
        f("_dt0").is_not_null() & f("_dt1").is_not_null() & ((f("_dt0") + f("_dt1")) <= params.max_interpolation_gap_s)
    )
    use_before = f("_dt1").is_null() | (f("_dt0").is_not_null() & (f("_dt0") <= f("_dt1")))
    j = j.with_columns(
        interp.alias("_interp"),
        use_before.alias("_before"),
        pl.when(use_before).then(f("_dt0")).otherwise(f("_dt1")).alias("fix_age_s"),
    )
    near = {
        c: pl.when(f("_before")).then(f(c)).otherwise(f(f"{c}_a"))
        for c in ("lon", "lat", "sog_kn", "cog_deg", "heading_deg")
    }
    speed = near["sog_kn"].fill_null(0.0) * KN_TO_M_S
    course = near["cog_deg"].radians()
    ve = pl.when(course.is_null()).then(0.0).otherwise(speed * course.sin())
    vn = pl.when(course.is_null()).then(0.0).otherwise(speed * course.cos())
    j = j.with_columns(*(e.alias(f"_n_{c}") for c, e in near.items()), ve.alias("ve_m_s"), vn.alias("vn_m_s"))
    # Dead reckoning: forwards from a fix before (+age), backwards from a fix after (−age).
    signed_age = pl.when(f("_before")).then(f("fix_age_s")).otherwise(-f("fix_age_s"))
    dr_lon, dr_lat = _offset(f("_n_lon"), f("_n_lat"), f("ve_m_s") * signed_age, f("vn_m_s") * signed_age)
    # Interpolation along the straight line between the fixes (unwrapped across ±180°).
    w = f("_dt0") / (f("_dt0") + f("_dt1"))
    dlon = ((f("lon_a") - f("lon") + 180.0) % 360.0) - 180.0
    in_lon = ((f("lon") + w * dlon + 180.0) % 360.0) - 180.0
    in_lat = f("lat") + w * (f("lat_a") - f("lat"))
    carried_m = f("fix_age_s") * (f("ve_m_s") ** 2 + f("vn_m_s") ** 2).sqrt()
    j = j.with_columns(
        pl.when(f("_interp")).then(in_lon).otherwise(dr_lon).alias("lon_t"),
        pl.when(f("_interp")).then(in_lat).otherwise(dr_lat).alias("lat_t"),
        pl.when(f("fix_age_s") == 0)
        .then(pl.lit("fix"))
        .when(f("_interp"))
        .then(pl.lit("interpolated"))
        .otherwise(pl.lit("dead_reckoned"))
        .alias("method"),
        (params.gps_sigma_m + params.drift_fraction * carried_m).alias("uncertainty_m"),
    )
    stationary = f("_n_sog_kn").is_not_null() & (f("_n_sog_kn") < params.stationary_sog_kn)
    ok = (
        f("_interp")
        | (f("fix_age_s") <= params.max_dead_reckoning_s)
        | (stationary & (f("fix_age_s") <= params.max_stationary_age_s))
    )
    return (
        j.filter(ok)
        .select(
            "mmsi",
            f("lon_t").alias("lon"),
            f("lat_t").alias("lat"),
            f("_n_sog_kn").alias("sog_kn"),
            f("_n_cog_deg").alias("cog_deg"),
            f("_n_heading_deg").alias("heading_deg"),
            "ve_m_s",
            "vn_m_s",
            "method",
            "fix_age_s",
            "uncertainty_m",
            f("ts").alias("before_ts"),
            f("ts_a").alias("after_ts"),
        )
        .cast(AT_COLUMNS)
        .sort("mmsi")
    )
