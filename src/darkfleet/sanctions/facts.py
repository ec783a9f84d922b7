"""Analyst-entered facts, each with its source: ownership, management and listing dates.

Lists do not say who owns a vessel on a given day, and the SDN file carries no listing dates.
An analyst who reads them in a report (RUSI: MARIA is owned by Marine Trans Shipping) enters them
in a CSV with the columns::

    fact,subject,subject_imo,object,object_imo,start_date,end_date,source,source_url,note

``fact`` is ``owner`` (object owns subject: an FtM ``Ownership``), ``manager`` or ``operator``
(an ``UnknownLink`` with that role), or ``listed`` (subject is on the list named in ``object``
from ``start_date``: a ``Sanction`` with that listing date). Dates are ISO 8601 and may be
partial (``2023-12``). ``source`` is required: a fact without one is an error.
"""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

from followthemoney import EntityProxy, model, registry

from darkfleet.sanctions.imo import format_imo, parse_vessel_imo
from darkfleet.sanctions.normalize import normalize_name
from darkfleet.sanctions.records import LoadedList, LoadReport

COLUMNS = (
    "fact",
    "subject",
    "subject_imo",
    "object",
    "object_imo",
    "start_date",
    "end_date",
    "source",
    "source_url",
    "note",
)
FACTS = ("owner", "manager", "operator", "listed")


class FactsError(ValueError):
    """Bad facts input; the message lists every problem as ``file:line: field: reason``."""


def _hid(*parts: str) -> str:
    return hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:16]


def _party(name: str, imo: str | None, vessel: bool, seen: dict[str, EntityProxy]) -> EntityProxy:
    key = f"imo:{imo}" if imo else f"name:{normalize_name(name, vessel=vessel).key}"
    entity_id = f"fact-{'vessel' if vessel else 'party'}-{_hid(key)}"
    if entity_id in seen:
        entity = seen[entity_id]
    else:
        entity = model.make_entity("Vessel" if vessel else "LegalEntity")
        entity.id = entity_id
        seen[entity_id] = entity
    entity.add("name", name or f"IMO {imo}")
    if imo:
        # Company IMO numbers use another check digit; for parties the number is kept as given.
        entity.add("imoNumber", format_imo(imo), cleaned=True, quiet=True)
    return entity


def read_facts(path: Path) -> LoadedList:
    """FtM entities for every fact row; raises FactsError naming each bad line and field."""
    path = Path(path)
    report = LoadReport()
    errors: list[str] = []
    parties: dict[str, EntityProxy] = {}
    links: list[EntityProxy] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip().lower() for h in reader.fieldnames or []]
        if "fact" not in header or "subject" not in header or "source" not in header:
            raise FactsError(f"{path}:1: expected the columns {', '.join(COLUMNS)}")
        for raw in reader:
            line = reader.line_num
            report.rows_read += 1
            row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if k}
            where = f"{path}:{line}"
            fact = row.get("fact", "").lower()
            problems = _check_row(row, fact, where)
            if problems:
                errors.extend(problems)
                continue
            subject_imo = parse_vessel_imo(row["subject_imo"]) if row.get("subject_imo") else None
            subject = _party(row["subject"], subject_imo, vessel=True, seen=parties)
            links.append(_fact_entity(fact, row, subject, parties, line))
    if errors:
        raise FactsError("\n".join(errors))
    entities = [*parties.values(), *links]
    for entity in entities:
        report.count(entity)
    return LoadedList("analyst_facts", f"Analyst facts ({path.name})", entities, None, report, (str(path),))


def _check_row(row: dict[str, str], fact: str, where: str) -> list[str]:
    problems = []
    if fact not in FACTS:
        problems.append(f"{where}: fact: {fact!r} is not one of {', '.join(FACTS)}")
    if not row.get("subject") and not row.get("subject_imo"):
        problems.append(f"{where}: subject: a fact needs a subject name or subject_imo")
    if row.get("subject_imo") and parse_vessel_imo(row["subject_imo"]) is None:
        problems.append(
            f"{where}: subject_imo: {row['subject_imo']!r} is not a 7-digit IMO number with a valid check digit"
        )
    if not row.get("object"):
        problems.append(f"{where}: object: required (the owner, manager, or the list's name)")
    if not row.get("source"):
        problems.append(f"{where}: source: every fact needs its source")
    for col in ("start_date", "end_date"):
        value = row.get(col, "")
        if value and registry.date.clean(value) is None:
            problems.append(f"{where}: {col}: {value!r} is not an ISO 8601 date")
    return problems


def _fact_entity(
    fact: str, row: dict[str, str], subject: EntityProxy, parties: dict[str, EntityProxy], line: int
) -> EntityProxy:
    if fact == "listed":
        link = model.make_entity("Sanction")
        link.add("entity", subject.id)
        link.add("authority", row["object"])
        link.add("listingDate", row.get("start_date", ""))
        link.add("startDate", row.get("start_date", ""))
    else:
        obj = _party(row["object"], row.get("object_imo") or None, vessel=False, seen=parties)
        if fact == "owner":
            link = model.make_entity("Ownership")
            link.add("owner", obj.id)
            link.add("asset", subject.id)
            link.add("role", "owner")
        else:
            link = model.make_entity("UnknownLink")
            link.add("subject", subject.id)
            link.add("object", obj.id)
            link.add("role", fact)
        link.add("startDate", row.get("start_date", ""))
    link.add("endDate", row.get("end_date", ""))
    link.add("publisher", row["source"])
    link.add("sourceUrl", row.get("source_url", ""), quiet=True)
    link.add("description", row.get("note", ""))
    basis = (subject.id or "", row["object"], row.get("start_date", ""), row["source"])
    link.id = f"fact-{fact}-{_hid(*basis)}"
    link.context["line"] = line
    return link
