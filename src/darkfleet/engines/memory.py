"""The reference semantics: every kernel over whole tables held in memory (small inputs, tests).

Both engines must give exactly these events; they differ only in how they move data.
"""

from __future__ import annotations

import polars as pl

from darkfleet.engines.steps import (
    SORT,
    Context,
    Detection,
    finish_events,
    normalise,
    pair_step,
    reception_maps,
    reception_step,
    shared_step,
    statics_frame,
    vessel_step,
)


def detect_memory(positions: pl.DataFrame, statics: pl.DataFrame | None, ctx: Context) -> Detection:
    rows = normalise(positions).sort(SORT)
    ctx = ctx.with_reception(reception_maps(reception_step(rows, ctx), ctx))
    res = vessel_step(rows, ctx)
    events = finish_events([res.events], res.gaps, res.spoofing, pair_step(res.grid, ctx), shared_step(rows, ctx),
                           statics_frame(statics), ctx)
    return Detection.of(events, [res.cleaned_out])


def run_memory(positions: pl.DataFrame, statics: pl.DataFrame | None, ctx: Context) -> pl.DataFrame:
    return detect_memory(positions, statics, ctx).events
