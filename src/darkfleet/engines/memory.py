"""The reference semantics: every kernel over whole tables held in memory (small inputs, tests).

Both engines must give exactly these events; they differ only in how they move data.
"""

from __future__ import annotations

import polars as pl

from darkfleet.engines.steps import (
    Context,
    finish_events,
    normalise,
    pair_step,
    reception_maps,
    reception_step,
    shared_step,
    statics_frame,
    vessel_step,
)


def run_memory(positions: pl.DataFrame, statics: pl.DataFrame | None, ctx: Context) -> pl.DataFrame:
    rows = normalise(positions).sort("mmsi", "ts", "source", "line")
    ctx = ctx.with_reception(reception_maps(reception_step(rows, ctx)))
    events, grid = vessel_step(rows, ctx)
    return finish_events([events], pair_step(grid, ctx), shared_step(rows, ctx), statics_frame(statics), ctx)
