"""The analyst's own vessel watchlist: a CSV with the columns ``name, imo, mmsi, note``.

Optional columns ``callsign`` and ``flag`` are read when present. A watchlist is the analyst's
word, so a bad value is an error naming the file, line and field, not a silently dropped row:
an IMO number must be seven digits with a valid check digit, an MMSI nine digits.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from followthemoney import EntityProxy, model

from darkfleet.sanctions.imo import format_imo, parse_mmsi, parse_vessel_imo
from darkfleet.sanctions.records import LoadedList, LoadReport

REQUIRED_COLUMNS = ("name", "imo", "mmsi", "note")


class WatchlistError(ValueError):
    """Bad watchlist input; the message lists every problem as ``file:line: field: reason``."""


def _entity_id(name: str, imo: str | None, mmsi: str | None) -> str:
    basis = f"imo:{imo}" if imo else f"mmsi:{mmsi}" if mmsi else f"name:{name.upper()}"
    return "watchlist-" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:16]


def read_watchlist(path: Path) -> LoadedList:
    """Vessel entities (topic ``poi``) from a watchlist CSV; raises WatchlistError on bad rows."""
    path = Path(path)
    report = LoadReport()
    errors: list[str] = []
    entities: dict[str, EntityProxy] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        if missing:
            raise WatchlistError(
                f"{path}:1: missing column(s) {', '.join(missing)}; expected {', '.join(REQUIRED_COLUMNS)}"
            )
        for raw in reader:
            line = reader.line_num
            report.rows_read += 1
            row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
            name, imo_raw, mmsi_raw = row.get("name", ""), row.get("imo", ""), row.get("mmsi", "")
            imo = parse_vessel_imo(imo_raw) if imo_raw else None
            mmsi = parse_mmsi(mmsi_raw) if mmsi_raw else None
            if imo_raw and imo is None:
                errors.append(f"{path}:{line}: imo: {imo_raw!r} is not a 7-digit IMO number with a valid check digit")
            if mmsi_raw and mmsi is None:
                errors.append(f"{path}:{line}: mmsi: {mmsi_raw!r} is not a 9-digit MMSI")
            if not name and imo is None and mmsi is None:
                errors.append(f"{path}:{line}: name: a row needs a name, an imo or an mmsi")
                continue
            entity_id = _entity_id(name, imo, mmsi)
            vessel = entities.get(entity_id) or model.make_entity("Vessel")
            vessel.id = entity_id
            vessel.add("name", name or (f"IMO {imo}" if imo else f"MMSI {mmsi}"))
            if imo:
                vessel.add("imoNumber", format_imo(imo))
            vessel.add("mmsi", mmsi or "")
            vessel.add("notes", row.get("note", ""))
            vessel.add("callSign", row.get("callsign", ""))
            vessel.add("flag", row.get("flag", ""), quiet=True)
            vessel.add("topics", "poi")
            entities[entity_id] = vessel
    if errors:
        raise WatchlistError("\n".join(errors))
    for vessel in entities.values():
        report.count(vessel)
        report.vessels += 1
        report.vessels_with_imo += vessel.has("imoNumber")
        report.vessels_with_mmsi += vessel.has("mmsi")
    return LoadedList("watchlist", f"Watchlist ({path.name})", list(entities.values()), None, report, (str(path),))
