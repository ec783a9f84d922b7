"""Small helpers shared by the SVG renderers: number formatting, escaping, scales, palette."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape, quoteattr

# Colour-blind-safe (Okabe-Ito) for vessels, in the order vessels are listed.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8B6D00", "#000000")
SEA = "#dcecf5"
LAND = "#ece6d6"
COAST = "#9a8f74"
DARK = "#b2182b"
SIGHTING = "#6a3d9a"
DETECTION = "#1b1b1b"
INK = "#222222"
MUTED = "#666666"


def num(x: float) -> str:
    """A coordinate with one decimal (0.1 px), without a trailing '.0' or '-0'."""
    text = f"{x:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def text(s: str) -> str:
    return escape(s)


def attr(s: str) -> str:
    """A quoted attribute value."""
    return quoteattr(s)


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


@dataclass(frozen=True, slots=True)
class TimeScale:
    """Maps UTC times onto [x0, x1] pixels."""

    start: datetime
    end: datetime
    x0: float
    x1: float

    def __call__(self, when: datetime) -> float:
        span = (self.end - self.start).total_seconds() or 1.0
        return self.x0 + (self.x1 - self.x0) * (when - self.start).total_seconds() / span

    def ticks(self, max_ticks: int = 10) -> list[tuple[datetime, str]]:
        """Day, week or month ticks, whichever keeps at most ``max_ticks``."""
        days = max((self.end - self.start).total_seconds() / 86400, 1e-9)
        for step_days in (1, 2, 7, 14):
            if days / step_days <= max_ticks:
                first = datetime(self.start.year, self.start.month, self.start.day, tzinfo=UTC)
                if first < self.start:
                    first += timedelta(days=1)
                if step_days == 7:  # Mondays
                    first += timedelta(days=(7 - first.weekday()) % 7)
                out = []
                t = first
                while t <= self.end and self(t) <= self.x1 - 40:  # room for the last label
                    out.append((t, t.strftime("%d %b")))
                    t += timedelta(days=step_days)
                return out
        out = []
        y, m = self.start.year, self.start.month
        step = max(1, math.ceil(days / 30.4 / max_ticks))
        while True:
            t = datetime(y, m, 1, tzinfo=UTC)
            if t > self.end or self(t) > self.x1 - 40:
                return out
            if t >= self.start:
                out.append((t, t.strftime("%b %Y")))
            m += step
            y, m = y + (m - 1) // 12, (m - 1) % 12 + 1


def nice_step(span: float, target: int = 5) -> float:
    """1, 2 or 5 times a power of ten, giving about ``target`` steps over ``span``."""
    if span <= 0:
        return 1.0
    raw = span / target
    power = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * power:
            return m * power
    return 10 * power
