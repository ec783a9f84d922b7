"""The sanctions jobs behind the CLI: load list files into the lake, screen, explain exposure.

This is the layer that touches files and the clock; the kernels it calls do neither.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

import polars as pl

from darkfleet.sanctions.exposure import EntityGraph, ExposurePath, build_graph, exposure_paths
from darkfleet.sanctions.facts import read_facts
from darkfleet.sanctions.ftm_json import load_ftm_json
from darkfleet.sanctions.imo import imo_digits
from darkfleet.sanctions.listing import ListingDate, ListingStatus, VersionPresence, listing_status
from darkfleet.sanctions.ofac import load_ofac
from darkfleet.sanctions.records import LoadedList
from darkfleet.sanctions.screen import ScreenParams, screen_vessels
from darkfleet.sanctions.store import (
    ListVersion,
    files_sha256,
    read_entities,
    read_entity_table,
    read_versions,
    save_version,
)
from darkfleet.sanctions.un import load_un
from darkfleet.sanctions.vessel_index import ListedEntity, VesselIndex, build_vessel_index
from darkfleet.sanctions.watchlist import read_watchlist

_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")
# Files of OFAC's legacy layout that are read with their sdn.csv, not on their own.
OFAC_SIBLINGS = frozenset(
    {"alt.csv", "add.csv", "sdn_comments.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv"}
)


def read_list_file(path: Path) -> LoadedList:
    """Load any supported list file, choosing the loader from its name and first line."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file")
    suffix = "".join(path.suffixes).lower()
    if suffix.endswith(".xml"):
        return load_un(path)
    if suffix.endswith((".json", ".jsonl", ".ndjson")):
        return load_ftm_json(path)
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        header = [h.strip().lower() for h in fh.readline().split(",")]
    if "fact" in header and "subject" in header:
        return read_facts(path)
    if "name" in header and "imo" in header:
        return read_watchlist(path)
    if path.name.lower() in OFAC_SIBLINGS:
        raise ValueError(f"{path}: load the sdn.csv (or cons_prim.csv) beside it; it is read too")
    return load_ofac(path)


def list_date_for(loaded: LoadedList, path: Path, given: date | None, now: datetime) -> date:
    """The list date: given, else in the file or its name; analyst files default to today."""
    if given is not None:
        return given
    if loaded.list_date is not None:
        return loaded.list_date
    if found := _DATE_IN_NAME.search(Path(path).name):
        return date.fromisoformat(found.group(1))
    if loaded.list_name in ("watchlist", "analyst_facts"):
        return now.date()
    raise ValueError(f"{path}: the file carries no list date; pass --list-date YYYY-MM-DD")


def load_into_lake(
    lake: Path, paths: Sequence[Path], list_date: date | None, now: datetime
) -> list[tuple[ListVersion, bool, LoadedList]]:
    """Load each file as one list version; returns (version, newly stored, what was loaded)."""
    out = []
    for path in paths:
        if Path(path).name.lower() in OFAC_SIBLINGS:
            continue
        loaded = read_list_file(Path(path))
        when = list_date_for(loaded, Path(path), list_date, now)
        sha = files_sha256(loaded.source_paths or (str(path),))
        version, new = save_version(lake, loaded, when, sha, now)
        out.append((version, new, loaded))
    return out


@lru_cache(maxsize=32)
def _cached_entities(lake: str, version: ListVersion) -> tuple[ListedEntity, ...]:
    return tuple(
        ListedEntity(e, version.list_name, version.list_date, version.version_id)
        for e in read_entities(Path(lake), version)
    )


def listed_entities(lake: Path, versions: Sequence[ListVersion]) -> list[ListedEntity]:
    return [item for v in versions for item in _cached_entities(str(lake), v)]


@dataclass(slots=True)
class Knowledge:
    """Everything loaded in a lake, indexed for screening, status and exposure."""

    lake: Path
    versions: list[ListVersion]
    index: VesselIndex
    graph: EntityGraph
    listed: list[ListedEntity]
    targets: pl.DataFrame  # version_id, list_name, list_date, entity_id, imo (one row per IMO)


def knowledge(lake: Path) -> Knowledge:
    """Read every stored version; raises if nothing is loaded."""
    versions = read_versions(lake)
    if not versions:
        raise FileNotFoundError(f"{lake}/sanctions: no lists loaded; run `darkfleet sanctions load FILE --lake {lake}`")
    listed = listed_entities(lake, versions)
    frames = []
    for v in versions:
        t = pl.from_arrow(read_entity_table(lake, v).select(["entity_id", "target", "imo"]))
        assert isinstance(t, pl.DataFrame)
        frames.append(
            t.filter(pl.col("target")).with_columns(
                version_id=pl.lit(v.version_id),
                list_name=pl.lit(v.list_name),
                list_date=pl.lit(v.list_date),
            )
        )
    targets = pl.concat(frames).explode("imo").drop("target")
    return Knowledge(lake, versions, build_vessel_index(listed), build_graph(listed), listed, targets)


def node_statuses(k: Knowledge, node_id: str, on: date) -> list[ListingStatus]:
    """Listing status on ``on`` of an identity in every list that lists it or dates its listing."""
    node = k.graph.nodes[node_id]
    ids = sorted(node.entity_ids)
    hit = pl.col("entity_id").is_in(ids)
    if node.imos:
        hit = hit | pl.col("imo").is_in(sorted(node.imos))
    present = set(k.targets.filter(hit).select("version_id").to_series().to_list())
    presences = [VersionPresence(v.list_name, v.list_date, v.version_id, v.version_id in present) for v in k.versions]
    dates: list[ListingDate] = []
    list_names = {v.list_name for v in k.versions}
    for item in k.listed:
        e = item.entity
        if e.schema.name != "Sanction" or not set(e.get("entity")) & node.entity_ids:
            continue
        authority = e.first("authority") or ""
        name = authority if authority in list_names else item.list_name
        start = e.first("listingDate") or e.first("startDate")
        source = ", ".join(e.get("publisher")) or f"{item.list_name}@{item.list_date}"
        dates.append(ListingDate(name, start, e.first("endDate"), source))
    lists = {p.list_name for p in presences if p.present} | {d.list_name for d in dates}
    return [listing_status(name, on, presences, dates) for name in sorted(lists)]


@dataclass(slots=True)
class AdHocResult:
    on: date
    matches: pl.DataFrame
    statuses: dict[str, list[ListingStatus]]  # entity id -> statuses
    paths: list[ExposurePath]
    node_status: dict[str, list[ListingStatus]]  # node id -> statuses


def screen_one(
    k: Knowledge,
    on: date,
    name: str | None = None,
    imo: str | None = None,
    mmsi: str | None = None,
    params: ScreenParams | None = None,
    max_depth: int = 2,
) -> AdHocResult:
    """Screen one vessel identity and follow the exposure of every alert."""
    query = pl.DataFrame(
        {"query_id": [0], "name": [name], "imo": [imo], "mmsi": [mmsi]},
        schema={"query_id": pl.Int64, "name": pl.String, "imo": pl.String, "mmsi": pl.String},
    )
    matches = screen_vessels(query, k.index, params)
    alerts = matches.filter(pl.col("alert"))["entity_id"].to_list()
    statuses = {eid: node_statuses(k, k.graph.node_of[eid], on) for eid in alerts}
    paths = exposure_paths(k.graph, alerts, max_depth=max_depth, on=on)
    nodes = {p.start for p in paths} | {s.node for p in paths for s in p.steps}
    node_status = {n: node_statuses(k, n, on) for n in sorted(nodes)}
    return AdHocResult(on, matches, statuses, paths, node_status)


def valid_imo_text(value: str | None) -> str | None:
    """The seven digits of an IMO-like value, or None (for display only; screening re-checks)."""
    return imo_digits(value)
