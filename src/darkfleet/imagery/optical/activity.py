"""Site activity over time: one row per image of a watched place (vessels at berth, object counts,
changed area since the first image), a surge flag against the site's own baseline, and the
series drawn as an SVG chart (no plotting library needed).

Surge: a value is a surge when it exceeds the median of the site's earlier images (at least
``min_baseline_images`` of them) by ``surge_factor`` times and by ``min_increase`` — the
Beyond Parallel railcar case (about 73 railcars at Tumangang against 20 or fewer before) is a
3.6× surge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape

import numpy as np
import polars as pl

ACTIVITY_COLUMNS = ["site", "image_id", "sha256", "acquired_at", "metric", "value"]


@dataclass(frozen=True)
class SurgeParams:
    """``surge_factor`` 2: activity at least double the site's usual; ``min_increase`` 5
    objects, so a quiet site going from 1 to 3 is not a surge."""

    surge_factor: float = 2.0
    min_increase: float = 5.0
    min_baseline_images: int = 2

    def __post_init__(self) -> None:
        if self.surge_factor < 1 or self.min_baseline_images < 1:
            raise ValueError("surge_factor must be ≥ 1 and min_baseline_images ≥ 1")


def flag_surges(series: pl.DataFrame, params: SurgeParams = SurgeParams()) -> pl.DataFrame:
    """Adds ``baseline`` (median of the earlier values of the same site and metric) and
    ``surge`` to a long table with :data:`ACTIVITY_COLUMNS`."""
    out = []
    for (_site, _metric), g in series.sort("acquired_at").group_by(["site", "metric"], maintain_order=True):
        v = g["value"].to_numpy().astype(np.float64)
        base = np.full(v.size, np.nan)
        for i in range(params.min_baseline_images, v.size):
            base[i] = np.median(v[:i])
        surge = (v >= params.surge_factor * base) & (v - base >= params.min_increase)
        out.append(
            g.with_columns(pl.Series("baseline", base), pl.Series("surge", np.nan_to_num(surge, nan=0).astype(bool)))
        )
    if not out:
        return series.with_columns(pl.lit(None, pl.Float64).alias("baseline"), pl.lit(False).alias("surge"))
    return pl.concat(out)


def svg_chart(series: pl.DataFrame, title: str, width_px: int = 720, height_px: int = 320) -> str:
    """A line chart per metric (time on x), surges marked red, as a standalone SVG document."""
    pad_l, pad_r, pad_t, pad_b = 56, 150, 36, 48
    w, h = width_px - pad_l - pad_r, height_px - pad_t - pad_b
    palette = ["#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#17becf", "#bcbd22"]
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width_px}" height="{height_px}"'
        ' font-family="sans-serif" font-size="11">',
        f'<text x="{pad_l}" y="20" font-size="14">{escape(title)}</text>',
        f'<rect x="{pad_l}" y="{pad_t}" width="{w}" height="{h}" fill="none" stroke="#999"/>',
    ]
    if series.height == 0:
        parts.append(f'<text x="{pad_l + 10}" y="{pad_t + 20}">no images</text></svg>')
        return "\n".join(parts)
    times = series["acquired_at"].to_list()
    t0, t1 = min(times), max(times)
    span = max((t1 - t0).total_seconds(), 1.0)
    vmax = max(float(series["value"].cast(pl.Float64).max() or 0.0), 1.0)  # type: ignore[arg-type]

    def xy(t: datetime, v: float) -> tuple[float, float]:
        return pad_l + w * (t - t0).total_seconds() / span, pad_t + h * (1 - v / vmax)

    for i, frac in enumerate((0.0, 0.5, 1.0)):
        y = pad_t + h * (1 - frac)
        parts.append(f'<text x="{pad_l - 6}" y="{y + 4:.1f}" text-anchor="end">{vmax * frac:.0f}</text>')
        del i
    parts.append(f'<text x="{pad_l}" y="{height_px - 18}">{t0:%Y-%m-%d}</text>')
    parts.append(f'<text x="{pad_l + w}" y="{height_px - 18}" text-anchor="end">{t1:%Y-%m-%d}</text>')
    for k, (metric, g) in enumerate(series.sort("acquired_at").group_by("metric", maintain_order=True)):
        colour = palette[k % len(palette)]
        pts = [xy(t, float(v)) for t, v in zip(g["acquired_at"], g["value"], strict=True)]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        surges = g["surge"].to_list() if "surge" in g.columns else [False] * g.height
        for (x, y), s in zip(pts, surges, strict=True):
            fill = "#d62728" if s else colour
            r = 5 if s else 3
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{fill}"/>')
        name = metric[0] if isinstance(metric, tuple) else metric
        parts.append(f'<text x="{pad_l + w + 10}" y="{pad_t + 14 + 16 * k}" fill="{colour}">{escape(str(name))}</text>')
    parts.append(f'<text x="{pad_l + w + 10}" y="{pad_t + h}" fill="#d62728">● surge</text>')
    parts.append("</svg>")
    return "\n".join(parts)
