"""FollowTheMoney JSON lines (OpenSanctions ``entities.ftm.json``): read and write.

Each line is one entity, ``{"id", "schema", "properties", ...}``; OpenSanctions adds fields such
as ``datasets``, ``first_seen`` and ``target``, which are kept in the entity's context. Values
are re-validated (the file is untrusted input), except IMO numbers, which are kept even when
their check digit fails and reported, as for every other list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from followthemoney import EntityProxy, model
from followthemoney.exc import InvalidData

from darkfleet.sanctions.imo import format_imo, imo_digits, vessel_check_digit_ok
from darkfleet.sanctions.records import ImoCheck, LoadedList, LoadReport


def parse_ftm_line(text: str, where: str, report: LoadReport) -> EntityProxy | None:
    """One entity from one JSON line; None (with the reason in ``report.skipped``) if invalid."""
    line_no = int(where.rsplit(":", 1)[1])
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        report.skipped.append((line_no, f"{where}: not JSON ({exc.msg})"))
        return None
    if not isinstance(data, dict) or not data.get("id") or not data.get("schema"):
        report.skipped.append((line_no, f"{where}: expected an object with 'id' and 'schema'"))
        return None
    raw_imos = list((data.get("properties") or {}).get("imoNumber") or [])
    try:
        entity = model.get_proxy(data, cleaned=False)
    except InvalidData as exc:
        report.skipped.append((line_no, f"{where}: {exc}"))
        return None
    if raw_imos and entity.schema.get("imoNumber") is not None:
        entity.pop("imoNumber")
        for raw in raw_imos:
            digits = imo_digits(raw)
            if digits is None:
                report.malformed_imos.append((str(entity.id), str(raw)))
                continue
            if entity.schema.is_a("Vessel") and not vessel_check_digit_ok(digits):
                report.failed_check_digits.append(ImoCheck(str(entity.id), entity.caption, digits, "vessel"))
            entity.add("imoNumber", format_imo(digits), cleaned=True)
    return entity


def load_ftm_json(path: Path, list_name: str | None = None) -> LoadedList:
    """Load an FtM JSON-lines file; the list is named after its entities' dataset, or the file."""
    path = Path(path)
    report = LoadReport()
    entities: list[EntityProxy] = []
    datasets: set[str] = set()
    with path.open(encoding="utf-8") as fh:
        for line_no, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            report.rows_read += 1
            entity = parse_ftm_line(text, f"{path}:{line_no}", report)
            if entity is None:
                continue
            datasets.update(entity.context.get("datasets") or [])
            entities.append(entity)
            report.count(entity)
            if entity.schema.is_a("Vessel"):
                report.vessels += 1
                report.vessels_with_imo += entity.has("imoNumber")
                report.vessels_with_mmsi += entity.has("mmsi")
    name = list_name or (datasets.pop() if len(datasets) == 1 else path.name.split(".")[0])
    return LoadedList(name, f"FtM entities ({name})", entities, None, report, (str(path),))


def write_ftm_json(entities: Iterable[EntityProxy], fh: IO[str]) -> int:
    """Write entities as FtM JSON lines with sorted keys (byte-stable); returns the count."""
    count = 0
    for entity in entities:
        fh.write(json.dumps(entity.to_dict(), sort_keys=True, ensure_ascii=False) + "\n")
        count += 1
    return count
