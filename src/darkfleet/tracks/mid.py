"""Flag state from an MMSI's Maritime Identification Digits (ITU-R M.585, ITU MID table).

The table ships with darkfleet (``tracks/data/mid.csv``): ``mid``, ``flag_state`` as ITU names
it, ``iso2`` (the ISO 3166 code, lower case, as FollowTheMoney writes a vessel's ``flag``) and,
for territories the ITU lists under a country ("Gibraltar - United Kingdom ..."),
``parent_iso2``. The codes were derived from the ITU names with FollowTheMoney's country
cleaner (parentheticals removed) and checked by hand where it finds none or picks wrong (French
Guiana is ``gf``, not Guyana; the French southern islands are ``tf``).

A ship station's MMSI is ``MIDXXXXXX``; other forms carry the MID later: ``0MID`` (group),
``00MID`` (coast station), ``111MID`` (SAR aircraft), ``98MID``/``99MID`` (craft associated
with a parent ship, aids to navigation), ``8MID`` (handheld VHF).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray

MID_SCHEMA = {"mid": pl.Int32, "flag_state": pl.String, "iso2": pl.String, "parent_iso2": pl.String}


@lru_cache(maxsize=1)
def mid_table() -> pl.DataFrame:
    with resources.files("darkfleet.tracks").joinpath("data/mid.csv").open("rb") as fh:
        return pl.read_csv(fh, schema=MID_SCHEMA)


def mid_of(mmsi: ArrayLike) -> NDArray[np.int32]:
    """The MID of each MMSI (−1 when the MMSI is not a 9-digit station identity)."""
    m = np.asarray(mmsi, dtype=np.int64)
    mid = np.full(m.shape, -1, np.int32)
    ship = (m >= 200_000_000) & (m < 800_000_000)
    mid[ship] = m[ship] // 1_000_000
    sar = (m >= 111_000_000) & (m < 112_000_000)
    mid[sar] = (m[sar] // 1000) % 1000
    craft = (m >= 980_000_000) & (m < 1_000_000_000)
    mid[craft] = (m[craft] // 10_000) % 1000
    coast = (m >= 2_000_000) & (m < 8_000_000)
    mid[coast] = m[coast] // 10_000
    group = (m >= 20_000_000) & (m < 80_000_000)
    mid[group] = m[group] // 100_000
    handheld = (m >= 820_000_000) & (m < 880_000_000)
    mid[handheld] = (m[handheld] // 100_000) % 1000
    return mid


def _lookup(mmsi: ArrayLike, column: str) -> pl.Series:
    mids = pl.DataFrame({"mid": mid_of(mmsi)})
    return mids.join(mid_table(), on="mid", how="left", maintain_order="left")[column]


def flag_of(mmsi: ArrayLike) -> pl.Series:
    """Flag state of each MMSI per its MID, as the ITU names it (null when unknown)."""
    return _lookup(mmsi, "flag_state")


def flag_code_of(mmsi: ArrayLike) -> pl.Series:
    """ISO 3166 code (lower case) of each MMSI's MID (null when unknown)."""
    return _lookup(mmsi, "iso2")


def parent_code_of(mmsi: ArrayLike) -> pl.Series:
    """ISO code of the country a territory's MID is listed under (null when not a territory)."""
    return _lookup(mmsi, "parent_iso2")
