"""Inferred anchorages: places where many vessels stop, found from the stop events themselves.

Global Fishing Watch builds its anchorage list the same way (anchorages_pipeline: S2 cells of
about 0.5 km where at least 20 distinct vessels stayed; neighbouring cells merged). darkfleet links
stop positions closer than ``link_distance_m`` (single linkage with a k-d tree and connected
components, no all-pairs loop) and keeps clusters visited by at least ``min_vessels`` distinct
vessels. GFW's 20 vessels suits years of global data; the default of 3 suits weeks of a region.
The result is a places table (``kind`` = ``anchorage``) that the analyst can name and feed back
to the port-visit detector — which is how a facility missing from every gazetteer (Dunai)
gets its visits counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from darkfleet.geo.places import PLACES
from darkfleet.geo.units import haversine_m, m_to_chord, unit_vectors


@dataclass(frozen=True)
class AnchorageParams:
    link_distance_m: float = 1000.0
    min_vessels: int = 3  # GFW: 20 over years of global data

    def __post_init__(self) -> None:
        if self.link_distance_m <= 0 or self.min_vessels < 1:
            raise ValueError("link_distance_m > 0 and min_vessels ≥ 1 required")


def infer_anchorages(stops: pl.DataFrame, params: AnchorageParams) -> pl.DataFrame:
    """Places (PLACES columns plus ``vessels`` and ``stops``) from stop events."""
    s = stops.filter(pl.col("kind") == "stop") if "kind" in stops.columns else stops
    out_schema = {**PLACES, "vessels": pl.Int64, "stops": pl.Int64}
    if s.height == 0:
        return pl.DataFrame(schema=out_schema)
    xyz = unit_vectors(s["lon"].to_numpy(), s["lat"].to_numpy())
    pairs = cKDTree(xyz).query_pairs(m_to_chord(params.link_distance_m), output_type="ndarray")
    n = s.height
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n)) if len(pairs) else \
        coo_matrix((n, n))
    _, label = connected_components(graph, directed=False)
    clusters = (s.with_columns(_c=pl.Series(label))
                .group_by("_c").agg(pl.col("lon").mean().alias("c_lon"), pl.col("lat").mean().alias("c_lat"),
                                    pl.col("mmsi").n_unique().cast(pl.Int64).alias("vessels"),
                                    pl.len().cast(pl.Int64).alias("stops"), pl.col("lon"), pl.col("lat"))
                .filter(pl.col("vessels") >= params.min_vessels))
    if clusters.height == 0:
        return pl.DataFrame(schema=out_schema)
    radius = [float(haversine_m(cx, cy, np.asarray(lo), np.asarray(la)).max())
              for cx, cy, lo, la in clusters.select("c_lon", "c_lat", "lon", "lat").iter_rows()]
    return clusters.select(
        pl.format("inferred:{}N_{}E", pl.col("c_lat").round(3), pl.col("c_lon").round(3)).alias("place_id"),
        pl.format("anchorage {}N {}E", pl.col("c_lat").round(3), pl.col("c_lon").round(3)).alias("name"),
        pl.lit("anchorage").alias("kind"), pl.col("c_lon").alias("lon"), pl.col("c_lat").alias("lat"),
        pl.Series("radius_m", radius, dtype=pl.Float64), pl.lit("inferred").alias("source"), "vessels", "stops",
    ).sort("place_id")
