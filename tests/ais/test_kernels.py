"""The compiled NMEA loops against the definitions they implement."""

from __future__ import annotations

import random

import numpy as np
import polars as pl

from darkfleet.ais import kernels

# The receive-time forms, as regular expressions (USCG first, then a bare time at the end).
USCG = r",[rbB][A-Za-z0-9_]*,(\d{9,10})(?:\.\d*)?(?:,|$)"
TRAILING = r",(\d{9,10})(?:\.\d*)?$"


def _random_trailers(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(n):
        parts = []
        for _ in range(rng.randint(0, 5)):
            kind = rng.random()
            if kind < 0.3:
                digits = "".join(rng.choice("0123456789") for _ in range(rng.choice([8, 9, 10, 11])))
                parts.append("," + digits + rng.choice(["", ".", ".5", ".12", "x"]))
            elif kind < 0.6:
                word = "".join(rng.choice("0123456789AZaz_-") for _ in range(rng.randint(0, 6)))
                parts.append("," + rng.choice("rbBdSx") + word)
            else:
                parts.append("".join(rng.choice(",rbB.0123456789x_é") for _ in range(rng.randint(0, 6))))
        texts.append("".join(parts))
    return texts


def test_trailing_receive_times_match_the_regular_expressions() -> None:
    texts = _random_trailers(20_000, seed=3)
    expected = (
        pl.Series("t", texts).to_frame()
        .select(pl.coalesce(pl.col("t").str.extract(USCG, 1), pl.col("t").str.extract(TRAILING, 1)).cast(pl.Int64))
        .to_series().fill_null(-1).to_numpy().copy()
    )
    encoded = [t.encode() for t in texts]
    expected[[any(b >= 128 for b in e) for e in encoded]] = -1  # non-ASCII text has no time
    lengths = np.array([len(e) for e in encoded])
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    buf = np.frombuffer(b"".join(encoded) + b"\0" * 16, dtype=np.uint8)
    got = kernels.trailing_seconds(buf, starts, starts + lengths)
    assert (expected >= 0).sum() > 1000  # the sample holds many times, of both forms
    assert got.tolist() == expected.tolist()


def test_sixbit_rows_follow_the_armouring_table() -> None:
    rng = np.random.default_rng(0)
    armour = np.frombuffer(b"0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVW`abcdefghijklmnopqrstuvw", dtype=np.uint8)
    buf = rng.choice(armour, 200_000)
    stray = rng.random(len(buf)) < 0.01
    buf[stray] = rng.integers(0, 256, int(stray.sum()))
    starts = np.sort(rng.integers(0, len(buf) - 64, 5_000))
    ends = starts + rng.integers(0, 50, len(starts))
    six, valid = kernels.sixbit_rows(buf, starts, ends, 30)
    table = np.full(256, 255, dtype=np.uint8)
    table[armour] = np.arange(64)
    for i, (a, b) in enumerate(zip(starts, ends, strict=True)):
        values = table[buf[a : min(b, a + 30)]]
        assert valid[i] == (values != 255).all()
        assert six[i, : len(values)].tolist() == np.where(values == 255, 0, values).tolist()
        assert not six[i, len(values) :].any()
    assert 0 < valid.mean() < 1
