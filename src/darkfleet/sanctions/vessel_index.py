"""The blocking index of listed vessels, built once per set of list versions (pure).

Screening cannot compare every identity with every listed vessel and stay fast, so each listed
vessel is entered under a few *blocking keys*, and a query is scored only against the vessels
that share one of its keys:

* ``i:<imo>`` and ``m:<mmsi>`` — exact identifiers;
* ``k:<key>`` — the compact name key and every key with one character deleted (the symmetric
  deletion neighbourhood of SymSpell): two keys within one edit always share one of these;
* ``s:<sorted key>`` — the tokens sorted, for reordered names;
* ``p:<skeleton>`` — the consonant skeleton (see :func:`normalize.skeleton`), for other
  romanisations of one Cyrillic name;
* ``t:<token>`` — each token of three or more characters that few listed names share
  (document frequency at most ``max_token_df``), for names with extra or missing words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import polars as pl
from followthemoney import EntityProxy

from darkfleet.sanctions.imo import imo_digits, parse_mmsi
from darkfleet.sanctions.normalize import normalize_name
from darkfleet.sanctions.vessel_types import categories_of_text

MIN_DELETION_KEY_LEN = 4  # shorter keys would make single letters collide everywhere


@dataclass(frozen=True, slots=True)
class ListedEntity:
    """An entity with the list version it came from."""

    entity: EntityProxy
    list_name: str
    list_date: date
    version_id: str


@dataclass(frozen=True, slots=True)
class VesselIndex:
    """Listed vessels as tables: one row per vessel, per name, per blocking key."""

    vessels: pl.DataFrame  # e_row, entity_id, caption, list_name, version_id, list_date, e_*
    names: pl.DataFrame  # e_row, e_name, e_key, e_skey, e_numbers
    keys: pl.DataFrame  # key, e_row
    max_token_df: int

    @property
    def size(self) -> int:
        return self.vessels.height


def deletion_keys(expr: pl.Expr, max_len: int) -> pl.Expr:
    """The list of ``expr`` with each single character deleted (vectorised; no Python loop)."""
    if max_len == 0:
        return pl.lit([], dtype=pl.List(pl.String))
    n = expr.str.len_chars()
    variants = [
        pl.when(n > i).then(expr.str.slice(0, i) + expr.str.slice(i + 1)).otherwise(None) for i in range(max_len)
    ]
    return pl.concat_list(variants).list.drop_nulls()


def name_key_rows(names: pl.DataFrame, id_col: str, rare_tokens: set[str] | None) -> pl.DataFrame:
    """Blocking keys (column ``key``) of names with columns key, skey, skel and tokens."""
    max_len = int(names.select(pl.col("key").str.len_chars().max()).item() or 0)
    long_enough = pl.col("key").str.len_chars() >= MIN_DELETION_KEY_LEN
    parts = [
        names.select(id_col, key=pl.lit("k:") + pl.col("key")),
        names.filter(long_enough)
        .select(id_col, key=deletion_keys(pl.col("key"), max_len))
        .explode("key")
        .with_columns(key=pl.lit("k:") + pl.col("key")),
        names.select(id_col, key=pl.lit("s:") + pl.col("skey")),
        names.filter(pl.col("skel").str.len_chars() >= 3).select(id_col, key=pl.lit("p:") + pl.col("skel")),
    ]
    tokens = names.select(id_col, "tokens").explode("tokens").drop_nulls("tokens")
    tokens = tokens.filter(pl.col("tokens").str.len_chars() >= 3)
    if rare_tokens is not None:
        tokens = tokens.filter(pl.col("tokens").is_in(sorted(rare_tokens)))
    parts.append(tokens.select(id_col, key=pl.lit("t:") + pl.col("tokens")))
    return pl.concat(parts).filter(pl.col("key").str.len_chars() > 2).unique()


def build_vessel_index(listed: Sequence[ListedEntity], max_token_df: int = 25) -> VesselIndex:
    """Index every ``Vessel`` among ``listed``; the same entity id is kept once (latest list)."""
    latest: dict[str, ListedEntity] = {}
    for item in listed:
        if not item.entity.schema.is_a("Vessel"):
            continue
        key = f"{item.list_name}|{item.entity.id}"
        if key not in latest or item.list_date >= latest[key].list_date:
            latest[key] = item
    rows: list[dict[str, object]] = []
    name_rows: list[dict[str, object]] = []
    for e_row, item in enumerate(latest.values()):
        e = item.entity
        rows.append(
            {
                "e_row": e_row,
                "entity_id": e.id,
                "caption": e.caption,
                "list_name": item.list_name,
                "version_id": item.version_id,
                "list_date": item.list_date,
                "e_imos": sorted({d for v in e.get("imoNumber") if (d := imo_digits(v))}),
                "e_mmsis": sorted({m for v in e.get("mmsi") if (m := parse_mmsi(v))}),
                "e_callsigns": sorted({c.replace(" ", "").upper() for c in e.get("callSign")}),
                "e_flags": sorted(set(e.get("flag")) | set(e.get("pastFlags"))),
                "e_types": sorted({c for t in e.get("type") for c in categories_of_text(t)}),
            }
        )
        for name in sorted(set(e.get("name")) | set(e.get("alias")) | set(e.get("previousName"))):
            norm = normalize_name(name)
            if norm.key:
                name_rows.append(
                    {
                        "e_row": e_row,
                        "e_name": name,
                        "key": norm.key,
                        "skey": norm.sorted_key,
                        "skel": norm.skeleton,
                        "tokens": list(norm.tokens),
                        "e_numbers": " ".join(norm.numbers),
                    }
                )
    vessels = pl.DataFrame(rows, schema=_VESSEL_SCHEMA)
    names = pl.DataFrame(name_rows, schema=_NAME_SCHEMA)
    df = Counter(t for row in name_rows for t in set(cast("list[str]", row["tokens"])))
    rare = {t for t, n in df.items() if n <= max_token_df}
    keys = (
        name_key_rows(names, "e_row", rare)
        if names.height
        else pl.DataFrame(schema={"e_row": pl.UInt32, "key": pl.String})
    )
    id_keys = pl.concat(
        [
            vessels.select("e_row", key=pl.col("e_imos")).explode("key").with_columns(key=pl.lit("i:") + pl.col("key")),
            vessels.select("e_row", key=pl.col("e_mmsis"))
            .explode("key")
            .with_columns(key=pl.lit("m:") + pl.col("key")),
        ]
    ).drop_nulls("key")
    keys = pl.concat([keys.select("e_row", "key"), id_keys.select("e_row", "key")]).unique()
    names = names.rename({"key": "e_key", "skey": "e_skey"}).drop("tokens", "skel")
    return VesselIndex(vessels, names, keys.sort("key"), max_token_df)


_VESSEL_SCHEMA: dict[str, Any] = {
    "e_row": pl.UInt32,
    "entity_id": pl.String,
    "caption": pl.String,
    "list_name": pl.String,
    "version_id": pl.String,
    "list_date": pl.Date,
    "e_imos": pl.List(pl.String),
    "e_mmsis": pl.List(pl.String),
    "e_callsigns": pl.List(pl.String),
    "e_flags": pl.List(pl.String),
    "e_types": pl.List(pl.String),
}
_NAME_SCHEMA: dict[str, Any] = {
    "e_row": pl.UInt32,
    "e_name": pl.String,
    "key": pl.String,
    "skey": pl.String,
    "skel": pl.String,
    "tokens": pl.List(pl.String),
    "e_numbers": pl.String,
}
