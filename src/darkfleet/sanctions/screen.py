"""Vessel screening: a weighted list of named features, explained (algorithm ``vessel-v1``).

``screen_vessels(queries, index, params)`` is a pure, vectorised kernel: every query is blocked
against the index (see :mod:`vessel_index`), each candidate pair scored at once with Polars and
RapidFuzz, and every result carries the features that fired with their weights. It follows
nomenklatura's heuristic matchers (logic-v2): the score is the best of the *main* features
(IMO, MMSI, name), then *qualifiers* add or subtract. Unlike logic-v2 it has a rule for
conflicting IMO numbers, which there do not lower a same-name match (STACK-NOTES.md).

Qualifiers that change when a ship is reflagged (MMSI, call sign, flag, type) only qualify a
match made on the name: when the IMO number matches, a new MMSI is what reflagging looks like.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import OSA

from darkfleet.sanctions.imo import flag_of_mmsi, parse_mmsi, parse_vessel_imo
from darkfleet.sanctions.normalize import normalize_name, skeleton
from darkfleet.sanctions.vessel_index import VesselIndex, name_key_rows
from darkfleet.sanctions.vessel_types import category_of_query

ALGORITHM = "vessel-v1"

FEATURES: dict[str, str] = {
    "imo_match": "The query's IMO number (valid check digit) is one of the vessel's.",
    "mmsi_match": "The query's MMSI is one of the vessel's.",
    "name_match": "Names agree after normalisation, within the edits allowed for their "
    "length and with identical numbers; the value falls by edit_penalty per edit.",
    "imo_mismatch": "Both have IMO numbers and none is shared: almost surely another ship.",
    "mmsi_mismatch": "Both have MMSIs and none is shared (name match only).",
    "callsign_match": "The call sign agrees (name match only).",
    "callsign_mismatch": "Both have call signs and they differ (name match only).",
    "flag_match": "The query's flag (given, or from its MMSI's MID) is the vessel's flag or a "
    "past flag (name match only).",
    "flag_mismatch": "The query's flag is neither the vessel's flag nor a past one (name match "
    "only): sanctioned ships change flags, but rarely to the flag of the screening state.",
    "type_match": "The AIS ship type and the listed type fall in one category (name match only).",
    "type_mismatch": "The AIS ship type and the listed type are different kinds of ship (name match only).",
}


@dataclass(frozen=True, slots=True)
class ScreenParams:
    """Weights and thresholds of ``vessel-v1``; scores are unitless in [0, 1].

    The main weights follow nomenklatura logic-v2 (identifier 0.95, name 1.0), with the IMO
    number above the MMSI (MMSIs are reassigned on reflagging, IMO numbers never change) and
    names below both, since many ships share a name. Defaults were set on the SDN vessels and
    the real AIS identities in ``../shared/data`` (see tests/sanctions/test_accuracy.py).
    """

    alert_score: float = 0.75  # a match at or above this is an alert for the analyst
    report_score: float = 0.5  # matches below this are not returned at all
    imo_weight: float = 1.0
    mmsi_weight: float = 0.95
    name_weight: float = 0.9
    edit_penalty: float = 0.05  # name_match value lost per character edit
    imo_mismatch: float = -0.5
    mmsi_mismatch: float = -0.2
    callsign_match: float = 0.1
    callsign_mismatch: float = -0.1
    flag_match: float = 0.05
    flag_mismatch: float = -0.2
    type_match: float = 0.05
    type_mismatch: float = -0.2

    def __post_init__(self) -> None:
        if not 0.0 < self.report_score <= self.alert_score <= 1.0:
            raise ValueError("need 0 < report_score <= alert_score <= 1")
        for name in ("imo_weight", "mmsi_weight", "name_weight", "edit_penalty"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be within [0, 1]")
        penalties = (
            "imo_mismatch",
            "mmsi_mismatch",
            "callsign_mismatch",
            "flag_mismatch",
            "type_mismatch",
        )
        for name in penalties:
            if getattr(self, name) > 0:
                raise ValueError(f"{name} is a penalty and must be <= 0")


def allowed_edits(length: pl.Expr) -> pl.Expr:
    """Edits tolerated against a listed name key of this length: 0 below 4, 1, 2 from 8, 3 from 15.

    Edits are optimal-string-alignment edits (a transposition is one edit, as typists make it).
    """
    return pl.when(length < 4).then(0).when(length < 8).then(1).when(length < 15).then(2).otherwise(3)


QUERY_COLUMNS = ("query_id", "name", "imo", "mmsi", "callsign", "flag", "ship_type")


def prepare_queries(queries: pl.DataFrame) -> pl.DataFrame:
    """Normalise a query table (``query_id`` and any of name, imo, mmsi, callsign, flag, ship_type).

    IMO numbers are validated strictly: an invalid one is set aside (``q_imo_invalid``), never
    repaired, and the query is then screened on its other fields.
    """
    if "query_id" not in queries.columns:
        raise ValueError("queries need a 'query_id' column")
    q = queries.with_columns(
        [pl.lit(None, dtype=pl.String).alias(c) for c in QUERY_COLUMNS if c not in queries.columns]
    ).with_columns([pl.col(c).cast(pl.String) for c in QUERY_COLUMNS[1:]])
    names = q.select(pl.col("name").drop_nulls().unique()).to_series().to_list()
    norm = [normalize_name(n) for n in names]
    lookup = pl.DataFrame(
        {
            "name": names,
            "q_key": [n.key for n in norm],
            "q_skey": [n.sorted_key for n in norm],
            "tokens": [list(n.tokens) for n in norm],
            "q_numbers": [" ".join(n.numbers) for n in norm],
        },
        schema={
            "name": pl.String,
            "q_key": pl.String,
            "q_skey": pl.String,
            "tokens": pl.List(pl.String),
            "q_numbers": pl.String,
        },
    )
    q = q.join(lookup, on="name", how="left")
    imo = pl.col("imo").map_elements(parse_vessel_imo, return_dtype=pl.String)
    mmsi = pl.col("mmsi").map_elements(parse_mmsi, return_dtype=pl.String)
    ais_type = pl.col("ship_type").map_elements(category_of_query, return_dtype=pl.String)
    return q.with_columns(
        q_imo=imo,
        q_imo_invalid=pl.col("imo").is_not_null() & imo.is_null(),
        q_mmsi=mmsi,
        q_callsign=pl.col("callsign").str.replace_all(" ", "").str.to_uppercase(),
        q_flag=pl.coalesce(
            pl.col("flag").str.to_lowercase(),
            mmsi.map_elements(flag_of_mmsi, return_dtype=pl.String),
        ),
        q_type=ais_type,
    )


def candidate_pairs(q: pl.DataFrame, index: VesselIndex) -> pl.DataFrame:
    """(query_id, e_row) pairs that share a blocking key."""
    named = q.filter(pl.col("q_key").is_not_null() & (pl.col("q_key") != ""))
    name_keys = name_key_rows(
        named.select(
            "query_id",
            key="q_key",
            skey="q_skey",
            skel=pl.col("q_key").map_elements(skeleton, return_dtype=pl.String),
            tokens="tokens",
        ),
        "query_id",
        None,
    )
    id_keys = pl.concat(
        [
            q.filter(pl.col("q_imo").is_not_null()).select("query_id", key=pl.lit("i:") + pl.col("q_imo")),
            q.filter(pl.col("q_mmsi").is_not_null()).select("query_id", key=pl.lit("m:") + pl.col("q_mmsi")),
        ]
    )
    keys = pl.concat([name_keys.select("query_id", "key"), id_keys])
    return keys.join(index.keys, on="key", how="inner").select("query_id", "e_row").unique()


def name_scores(q: pl.DataFrame, pairs: pl.DataFrame, index: VesselIndex, params: ScreenParams) -> pl.DataFrame:
    """Best name agreement per (query_id, e_row): ``name_value`` in [0, 1], the name and edits."""
    np_ = (
        pairs.join(q.select("query_id", "name", "q_key", "q_skey", "q_numbers"), on="query_id")
        .filter(pl.col("q_key").is_not_null() & (pl.col("q_key") != ""))
        .join(index.names, on="e_row")
    )
    if np_.height == 0:
        return pl.DataFrame(
            schema={
                "query_id": q.schema["query_id"],
                "e_row": pl.UInt32,
                "name_value": pl.Float64,
                "e_name": pl.String,
                "edits": pl.Int64,
            }
        )
    d_key = process.cpdist(np_["q_key"].to_list(), np_["e_key"].to_list(), scorer=OSA.distance)
    d_sorted = process.cpdist(np_["q_skey"].to_list(), np_["e_skey"].to_list(), scorer=OSA.distance)
    listed_len = pl.col("e_key").str.len_chars()
    np_ = np_.with_columns(edits=pl.min_horizontal(pl.Series(d_key), pl.Series(d_sorted)).cast(pl.Int64))
    fires = (pl.col("edits") <= allowed_edits(listed_len)) & (pl.col("q_numbers") == pl.col("e_numbers"))
    value = pl.when(fires).then(1.0 - params.edit_penalty * pl.col("edits")).otherwise(0.0)
    return (
        np_.with_columns(name_value=value.clip(0.0, 1.0))
        .sort(["query_id", "e_row", "name_value", "edits"], descending=[False, False, True, False])
        .group_by(["query_id", "e_row"], maintain_order=True)
        .first()
        .select("query_id", "e_row", "name_value", "e_name", "edits")
    )


def _feature(name: str, value: pl.Expr, detail: pl.Expr) -> pl.Expr:
    return pl.struct(feature=pl.lit(name), value=value.cast(pl.Float64), detail=detail)


def score_pairs(q: pl.DataFrame, pairs: pl.DataFrame, index: VesselIndex, params: ScreenParams) -> pl.DataFrame:
    """Score candidate pairs; one row per pair at or above ``report_score``, explained."""
    names = name_scores(q, pairs, index, params)
    df = (
        pairs.join(q.drop("tokens"), on="query_id")
        .join(index.vessels, on="e_row")
        .join(names, on=["query_id", "e_row"], how="left")
        .with_columns(pl.col("name_value").fill_null(0.0))
    )
    c = pl.col
    imo_match = c("q_imo").is_not_null() & c("e_imos").list.contains(c("q_imo"))
    mmsi_match = c("q_mmsi").is_not_null() & c("e_mmsis").list.contains(c("q_mmsi"))
    df = df.with_columns(imo_match=imo_match.fill_null(False), mmsi_match=mmsi_match.fill_null(False))
    name_only = ~c("imo_match") & ~c("mmsi_match")
    has = lambda col: c(col).list.len() > 0  # noqa: E731
    imo_mismatch = c("q_imo").is_not_null() & has("e_imos") & ~c("imo_match")
    mmsi_mismatch = name_only & c("q_mmsi").is_not_null() & has("e_mmsis")
    cs_present = c("q_callsign").is_not_null() & (c("q_callsign") != "") & has("e_callsigns")
    cs_match = cs_present & c("e_callsigns").list.contains(c("q_callsign"))
    type_present = c("q_type").is_not_null() & has("e_types")
    type_match = type_present & c("e_types").list.contains(c("q_type"))
    flag_present = c("q_flag").is_not_null() & has("e_flags")
    flag_match = flag_present & c("e_flags").list.contains(c("q_flag"))
    p = params
    contrib = {
        "imo_match": pl.when(c("imo_match")).then(p.imo_weight).otherwise(0.0),
        "mmsi_match": pl.when(c("mmsi_match")).then(p.mmsi_weight).otherwise(0.0),
        "name_match": p.name_weight * c("name_value"),
        "imo_mismatch": pl.when(imo_mismatch).then(p.imo_mismatch).otherwise(0.0),
        "mmsi_mismatch": pl.when(mmsi_mismatch).then(p.mmsi_mismatch).otherwise(0.0),
        "callsign_match": pl.when(name_only & cs_match).then(p.callsign_match).otherwise(0.0),
        "callsign_mismatch": pl.when(name_only & cs_present & ~cs_match).then(p.callsign_mismatch).otherwise(0.0),
        "flag_match": pl.when(name_only & flag_match).then(p.flag_match).otherwise(0.0),
        "flag_mismatch": pl.when(name_only & flag_present & ~flag_match).then(p.flag_mismatch).otherwise(0.0),
        "type_match": pl.when(name_only & type_match).then(p.type_match).otherwise(0.0),
        "type_mismatch": pl.when(name_only & type_present & ~type_match).then(p.type_mismatch).otherwise(0.0),
    }
    df = df.with_columns(**{f"f_{k}": v.fill_null(0.0) for k, v in contrib.items()})
    main = pl.max_horizontal(c("f_imo_match"), c("f_mmsi_match"), c("f_name_match"))
    quals = pl.sum_horizontal([c(f"f_{k}") for k in contrib if k not in _MAIN])
    score = pl.when(main > 0).then((main + quals).clip(0.0, 1.0)).otherwise(0.0)
    df = df.with_columns(score=score.round(4)).filter(c("score") >= p.report_score)
    details = {
        "imo_match": pl.format("IMO {}", c("q_imo")),
        "mmsi_match": pl.format("MMSI {}", c("q_mmsi")),
        "name_match": pl.format("{} ~ {} ({} edits)", c("name"), c("e_name"), c("edits")),
        "imo_mismatch": pl.format("IMO {} vs {}", c("q_imo"), c("e_imos").list.join("/")),
        "mmsi_mismatch": pl.format("MMSI {} vs {}", c("q_mmsi"), c("e_mmsis").list.join("/")),
        "callsign_match": pl.format("call sign {}", c("q_callsign")),
        "callsign_mismatch": pl.format("call sign {} vs {}", c("q_callsign"), c("e_callsigns").list.join("/")),
        "flag_match": pl.format("flag {}", c("q_flag")),
        "flag_mismatch": pl.format("flag {} vs {}", c("q_flag"), c("e_flags").list.join("/")),
        "type_match": pl.format("type {}", c("q_type")),
        "type_mismatch": pl.format("type {} vs {}", c("q_type"), c("e_types").list.join("/")),
    }
    feats = pl.concat_list([_feature(k, c(f"f_{k}"), details[k]) for k in contrib])
    return df.select(
        "query_id",
        "entity_id",
        "caption",
        "list_name",
        "version_id",
        "list_date",
        "score",
        alert=c("score") >= p.alert_score,
        matched_name=c("e_name"),
        features=feats.list.filter(pl.element().struct.field("value") != 0.0),
        query_imo_invalid=c("q_imo_invalid"),
        algorithm=pl.lit(ALGORITHM),
    ).sort(["query_id", "score", "entity_id"], descending=[False, True, False])


_MAIN = frozenset({"imo_match", "mmsi_match", "name_match"})


def screen_vessels(queries: pl.DataFrame, index: VesselIndex, params: ScreenParams | None = None) -> pl.DataFrame:
    """Screen vessel identities against the index; see the module docstring."""
    params = params or ScreenParams()
    q = prepare_queries(queries)
    pairs = candidate_pairs(q, index)
    return score_pairs(q, pairs, index, params)
