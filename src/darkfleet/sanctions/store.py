"""List versions in the lake: ``<lake>/sanctions/``.

Each loaded version of a list is one Parquet file, ``lists/<list>/<list_date>_<sha12>.parquet``,
one row per FtM entity (its id, schema, caption, whether it is a listed target, its IMO numbers,
MMSIs and names for quick queries, a checksum for diffs, and the whole entity as FtM JSON).
``versions.parquet`` records every version: list name, title, list date, the sha256 of the
source files, where they were read from, when, and the loader's report. Several versions of one
list live side by side; loading the same file for the same date again changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from followthemoney import EntityProxy, model, registry

from darkfleet.lake.store import write_parquet
from darkfleet.sanctions.imo import imo_digits, parse_mmsi
from darkfleet.sanctions.records import LoadedList

TARGET_TOPICS = frozenset({"sanction", "sanction.linked", "poi", "debarment"})

VERSIONS = pa.schema(
    [
        pa.field("version_id", pa.string(), nullable=False),
        pa.field("list_name", pa.string(), nullable=False),
        pa.field("title", pa.string(), nullable=False),
        pa.field("list_date", pa.date32(), nullable=False),
        pa.field("sha256", pa.string(), nullable=False),
        pa.field("source_paths", pa.list_(pa.string()), nullable=False),
        pa.field("loaded_at", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("entities", pa.int64(), nullable=False),
        pa.field("path", pa.string(), nullable=False),
        pa.field("report_json", pa.string(), nullable=False),
    ]
)

ENTITIES = pa.schema(
    [
        pa.field("entity_id", pa.string(), nullable=False),
        pa.field("schema", pa.string(), nullable=False),
        pa.field("caption", pa.string(), nullable=False),
        pa.field("target", pa.bool_(), nullable=False),
        pa.field("imo", pa.list_(pa.string()), nullable=False),
        pa.field("mmsi", pa.list_(pa.string()), nullable=False),
        pa.field("names", pa.list_(pa.string()), nullable=False),
        pa.field("checksum", pa.string(), nullable=False),
        pa.field("entity", pa.string(), nullable=False),
    ]
)


@dataclass(frozen=True, slots=True)
class ListVersion:
    """One stored version of one list."""

    version_id: str
    list_name: str
    title: str
    list_date: date
    sha256: str
    path: str


def sanctions_dir(lake: Path) -> Path:
    return Path(lake) / "sanctions"


def files_sha256(paths: Sequence[str | Path]) -> str:
    """sha256 over the bytes of the given files, in sorted path order (names not included)."""
    digest = hashlib.sha256()
    for path in sorted(str(p) for p in paths):
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def is_target(entity: EntityProxy) -> bool:
    """True for the listed parties themselves (not their links, sanctions or stub relatives)."""
    if entity.context.get("target") is True:
        return True
    return bool(TARGET_TOPICS.intersection(entity.get("topics", quiet=True)))


def entity_table(entities: Iterable[EntityProxy]) -> pa.Table:
    """The Parquet rows of one version (pure)."""
    cols: dict[str, list[object]] = {f.name: [] for f in ENTITIES}
    for e in entities:
        imos = sorted({d for v in e.get("imoNumber", quiet=True) if (d := imo_digits(v))})
        mmsis = sorted({m for v in e.get("mmsi", quiet=True) if (m := parse_mmsi(v))})
        names = sorted(set(e.get_type_values(registry.name)))
        cols["entity_id"].append(str(e.id))
        cols["schema"].append(e.schema.name)
        cols["caption"].append(e.caption)
        cols["target"].append(is_target(e))
        cols["imo"].append(imos)
        cols["mmsi"].append(mmsis)
        cols["names"].append(names)
        cols["checksum"].append(e.checksum)
        cols["entity"].append(json.dumps(e.to_dict(), sort_keys=True, ensure_ascii=False))
    return pa.table(cols, schema=ENTITIES)


def read_versions(lake: Path) -> list[ListVersion]:
    """Every stored version, ordered by list name then list date."""
    path = sanctions_dir(lake) / "versions.parquet"
    if not path.exists():
        return []
    rows = pq.read_table(path).to_pylist()
    out = [
        ListVersion(r["version_id"], r["list_name"], r["title"], r["list_date"], r["sha256"], r["path"]) for r in rows
    ]
    return sorted(out, key=lambda v: (v.list_name, v.list_date, v.version_id))


def save_version(
    lake: Path, loaded: LoadedList, list_date: date, sha256: str, loaded_at: datetime
) -> tuple[ListVersion, bool]:
    """Store one version; returns it and whether it was new (False: already stored, unchanged)."""
    if loaded_at.tzinfo is None:
        raise ValueError("loaded_at must be timezone-aware (UTC)")
    version_id = f"{loaded.list_name}@{list_date.isoformat()}#{sha256[:12]}"
    for existing in read_versions(lake):
        if existing.version_id == version_id:
            return existing, False
    base = sanctions_dir(lake)
    rel = Path("lists") / loaded.list_name / f"{list_date.isoformat()}_{sha256[:12]}.parquet"
    write_parquet(entity_table(loaded.entities), base / rel)
    report = asdict(loaded.report)
    row = {
        "version_id": version_id,
        "list_name": loaded.list_name,
        "title": loaded.title,
        "list_date": list_date,
        "sha256": sha256,
        "source_paths": list(loaded.source_paths),
        "loaded_at": loaded_at,
        "entities": len(loaded.entities),
        "path": str(rel),
        "report_json": json.dumps(report, sort_keys=True, default=str),
    }
    versions_path = base / "versions.parquet"
    rows = pq.read_table(versions_path).to_pylist() if versions_path.exists() else []
    rows.append(row)
    write_parquet(pa.Table.from_pylist(rows, schema=VERSIONS), versions_path)
    return ListVersion(version_id, loaded.list_name, loaded.title, list_date, sha256, str(rel)), True


def resolve_version(lake: Path, ref: str) -> ListVersion:
    """A version by id, by ``list@date``, or by list name alone (its latest version)."""
    versions = read_versions(lake)
    exact = [v for v in versions if v.version_id == ref]
    if exact:
        return exact[0]
    if "@" in ref:
        name, when = ref.split("@", 1)
        found = [v for v in versions if v.list_name == name and v.version_id.startswith(ref)]
    else:
        found = [v for v in versions if v.list_name == ref]
    if not found:
        known = ", ".join(v.version_id for v in versions) or "none loaded"
        raise KeyError(f"no list version {ref!r} in {sanctions_dir(lake)} (known: {known})")
    return found[-1]


def read_entity_table(lake: Path, version: ListVersion) -> pa.Table:
    return pq.read_table(sanctions_dir(lake) / version.path)


def read_entities(lake: Path, version: ListVersion) -> list[EntityProxy]:
    """The FtM entities of one stored version."""
    table = read_entity_table(lake, version)
    return [model.get_proxy(json.loads(s)) for s in table.column("entity").to_pylist()]


def latest_versions(versions: Sequence[ListVersion], on: date | None = None) -> list[ListVersion]:
    """The latest version of each list published on or before ``on`` (all dates if None)."""
    best: dict[str, ListVersion] = {}
    for v in versions:
        if on is not None and v.list_date > on:
            continue
        if v.list_name not in best or v.list_date >= best[v.list_name].list_date:
            best[v.list_name] = v
    return sorted(best.values(), key=lambda v: v.list_name)
