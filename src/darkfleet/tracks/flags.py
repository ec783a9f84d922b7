"""Declared flags: what a registry, a sanctions list or the reports themselves say a vessel flies.

AIS carries no flag field; the flag an MMSI implies comes from its MID (:mod:`darkfleet.tracks.mid`).
A *declared* flag comes from elsewhere, and the identity detector checks the two agree
(:mod:`darkfleet.events.identity`, ``flag_mid_mismatch``). Sources that declare one:

* a sanctions list in the lake (``<lake>/sanctions``): each listed ``Vessel`` entity's ``flag``
  and ``pastFlags``, keyed by its MMSIs and IMO numbers (OFAC's ``Vess_flag`` column and the
  "Former Vessel Flag" remarks; the latest version of each list);
* a registry CSV the analyst supplies (``darkfleet detect --flags FILE``): columns ``mmsi``
  and/or ``imo``, ``flag`` (a name or an ISO code; ``flag_state`` and ``iso3`` are accepted
  too), optional ``valid_from`` / ``valid_to`` (ISO dates or times, UTC);
* a ``flag`` column in the statics table itself (CSV exports that carry one), each report
  declaring the flag at its own time.

The shipped AIS exports (NOAA MarineCadastre, DMA) and GFW's vessel-characteristics registry in
``../shared/data`` have no flag column, so for them the sanctions list is the source.

Every declaration is one row of ``DECLARED_SCHEMA``: the vessel key (``mmsi`` or ``imo``, the
other null), ``flag`` as an ISO 3166 code in lower case (FollowTheMoney's country form), the
``source`` that declared it, and the time it holds (nulls: always).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

TS = pl.Datetime("us", "UTC")
DECLARED_SCHEMA: dict[str, Any] = {"mmsi": pl.Int64, "imo": pl.String, "flag": pl.String, "source": pl.String,
                                   "valid_from": TS, "valid_to": TS}


def empty_declared() -> pl.DataFrame:
    return pl.DataFrame(schema=DECLARED_SCHEMA)


@lru_cache(maxsize=4096)
def flag_code(text: str | None) -> str | None:
    """ISO 3166 code (lower case) of a flag given as a code ("RU", "RUS") or a name ("Russia",
    "Comoros (Union of the)"); None when it names no country ("None Identified")."""
    from followthemoney import registry

    if text is None or not text.strip():
        return None
    plain = re.sub(r"\s*\([^)]*\)", "", text).strip()
    return registry.country.clean(plain) or registry.country.clean(text.strip())


def normalise(declared: pl.DataFrame) -> pl.DataFrame:
    """Declarations in ``DECLARED_SCHEMA`` with flags as ISO codes (rows naming no country dropped)."""
    df = declared
    for col, dtype in DECLARED_SCHEMA.items():
        if col not in df.columns:
            df = df.with_columns(pl.lit(None, dtype).alias(col))
    codes = {v: flag_code(v) for v in df["flag"].cast(pl.String).unique().drop_nulls().to_list()}
    imo = pl.col("imo").cast(pl.String).str.strip_chars().str.replace(r"^(?i:IMO)\s*", "").str.zfill(7)
    return (df.with_columns(pl.col("flag").cast(pl.String).replace_strict(codes, default=None, return_dtype=pl.String),
                            imo=pl.when(imo.str.contains(r"^\d{7}$") & (imo != "0000000")).then(imo))
            .filter(pl.col("flag").is_not_null() & (pl.col("mmsi").is_not_null() | pl.col("imo").is_not_null()))
            .select([pl.col(c).cast(t) for c, t in DECLARED_SCHEMA.items()])
            .unique(maintain_order=True))


def from_statics(statics: pl.DataFrame, source: str = "statics") -> pl.DataFrame:
    """A ``flag`` column in the static reports: each report declares the flag at its time."""
    if "flag" not in statics.columns or statics.height == 0:
        return empty_declared()
    return normalise(statics.filter(pl.col("flag").is_not_null()).select(
        "mmsi", "flag", pl.lit(source).alias("source"), pl.col("ts").alias("valid_from"),
        pl.col("ts").alias("valid_to")))


def from_csv(path: str | Path) -> pl.DataFrame:
    """A registry CSV (see the module docstring); errors name the file and what is missing."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"flags file {p} does not exist")
    df = pl.read_csv(p, infer_schema=False)
    flag = next((c for c in ("flag", "flag_state", "iso3") if c in df.columns), None)
    if flag is None or not ({"mmsi", "imo"} & set(df.columns)):
        raise ValueError(f"{p}: a flags file needs an 'mmsi' or 'imo' column and a 'flag' column; has {df.columns}")
    out = df.select(
        (pl.col("mmsi").str.strip_chars().cast(pl.Int64, strict=False) if "mmsi" in df.columns
         else pl.lit(None, pl.Int64)).alias("mmsi"),
        (pl.col("imo") if "imo" in df.columns else pl.lit(None, pl.String)).alias("imo"),
        pl.col(flag).alias("flag"), pl.lit(f"file:{p.name}").alias("source"),
        *[(_utc(pl.col(c)) if c in df.columns else pl.lit(None, TS)).alias(c) for c in ("valid_from", "valid_to")])
    return normalise(out)


def _utc(text: pl.Expr) -> pl.Expr:
    return text.str.to_datetime(time_unit="us", time_zone="UTC", strict=False)


def from_sanctions(lake: str | Path) -> pl.DataFrame:
    """Flags and past flags of the listed vessels in the lake's latest version of each list."""
    from darkfleet.sanctions.store import latest_versions, read_entity_table, read_versions

    rows: list[dict[str, Any]] = []
    for version in latest_versions(read_versions(Path(lake))):
        table = read_entity_table(Path(lake), version)
        for schema, entity in zip(table.column("schema").to_pylist(), table.column("entity").to_pylist(),
                                  strict=True):
            if schema != "Vessel":
                continue
            props = json.loads(entity).get("properties", {})
            flags = {*props.get("flag", []), *props.get("pastFlags", [])}
            keys = [{"mmsi": int(m), "imo": None} for m in props.get("mmsi", []) if str(m).strip().isdigit()]
            keys += [{"mmsi": None, "imo": i} for i in props.get("imoNumber", [])]
            rows += [{**k, "flag": f, "source": f"sanctions:{version.version_id}"} for k in keys for f in flags]
    if not rows:
        return empty_declared()
    return normalise(pl.DataFrame(rows, schema={"mmsi": pl.Int64, "imo": pl.String, "flag": pl.String,
                                                "source": pl.String}))
