"""OFAC SDN loader: the single ``sdn.csv`` and the legacy four-file layout, as FtM entities.

``sdn.csv`` has no header; its columns are ent_num, SDN_Name, SDN_Type, Program, Title,
Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks, with ``-0-`` for empty.
The legacy layout adds ``alt.csv`` (aliases), ``add.csv`` (addresses) and ``sdn_comments.csv``
(the tail of Remarks fields too long for ``sdn.csv``, to be appended verbatim). The consolidated
non-SDN list (``cons_prim.csv`` + ``cons_alt/add/comments.csv``) has the same layout.

Every row becomes one entity (``Vessel``, ``Person``, ``Airplane``, ``Company`` or
``Organization``) with a ``Sanction``; each ``Linked To:`` becomes an ``UnknownLink`` to the
listed entity of that name, or to a stub ``LegalEntity`` when the name is not on the list.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from followthemoney import EntityProxy, model

from darkfleet.sanctions.imo import (
    company_check_digit_ok,
    format_imo,
    vessel_check_digit_ok,
)
from darkfleet.sanctions.normalize import normalize_name
from darkfleet.sanctions.ofac_remarks import Remarks, parse_remarks
from darkfleet.sanctions.records import ImoCheck, LoadedList, LoadReport

EMPTY = "-0-"
AUTHORITY = "Office of Foreign Assets Control (US Treasury)"
_LEGAL_FORM = re.compile(
    r"\b(LLC|L\.L\.C|LTD|LIMITED|INC|CORP|CORPORATION|COMPANY|CO|S\.?A|S\.?A\.?S|GMBH|OOO|"
    r"AO|PAO|OAO|ZAO|JSC|PJSC|LLP|PLC|BV|B\.V|AG|FZE|FZCO|SRL|S\.?R\.?L|PTE|SDN BHD|"
    r"JOINT STOCK|TRADING|SHIPPING|HOLDING)\b\.?",
)


@dataclass(frozen=True, slots=True)
class SdnRow:
    """One row of ``sdn.csv`` (or ``cons_prim.csv``), empty fields as None."""

    line: int
    ent_num: str
    name: str
    sdn_type: str | None
    programs: tuple[str, ...]
    title: str | None
    call_sign: str | None
    vessel_type: str | None
    tonnage: str | None
    grt: str | None
    vessel_flag: str | None
    vessel_owner: str | None
    remarks: str


def _cell(value: str) -> str | None:
    value = value.strip()
    return None if value in ("", EMPTY) else value


def read_csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    """Rows of a header-less OFAC CSV with their line numbers; the DOS end-of-file mark dropped."""
    with path.open(encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.reader(fh)
        rows = []
        for row in reader:
            if len(row) == 1 and row[0].strip() in ("", "\x1a"):
                continue
            rows.append((reader.line_num, row))
        return rows


def parse_sdn_rows(rows: Iterable[tuple[int, list[str]]], path: str, report: LoadReport) -> list[SdnRow]:
    """Typed rows; a row without 12 fields is recorded in ``report.skipped`` with its line."""
    out: list[SdnRow] = []
    for line, row in rows:
        report.rows_read += 1
        if len(row) != 12:
            report.skipped.append((line, f"{path}:{line}: expected 12 fields, found {len(row)}"))
            continue
        c = [_cell(v) for v in row]
        if c[0] is None or c[1] is None:
            report.skipped.append((line, f"{path}:{line}: missing ent_num or name"))
            continue
        programs = tuple(p.strip(" []") for p in (c[3] or "").split("] [") if p.strip(" []"))
        out.append(
            SdnRow(
                line,
                c[0],
                c[1],
                c[2],
                programs,
                c[4],
                c[5],
                c[6],
                c[7],
                c[8],
                c[9],
                c[10],
                row[11].strip(),
            )
        )
    return out


def _schema_for(row: SdnRow) -> str:
    if row.sdn_type == "individual":
        return "Person"
    if row.sdn_type == "vessel":
        return "Vessel"
    if row.sdn_type == "aircraft":
        return "Airplane"
    return "Company" if _LEGAL_FORM.search(row.name.upper()) else "Organization"


def _link_id(prefix: str, name: str) -> str:
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:16]
    return f"{prefix}-linked-{digest}"


def sdn_entities(
    rows: list[SdnRow],
    *,
    prefix: str,
    report: LoadReport,
    aliases: dict[str, list[tuple[str, str]]] | None = None,
    addresses: dict[str, list[tuple[str, str | None]]] | None = None,
) -> list[EntityProxy]:
    """FtM entities for parsed rows (pure). ``aliases``: ent_num → [(aka|fka|nka, name)]."""
    aliases = aliases or {}
    addresses = addresses or {}
    entities: list[EntityProxy] = []
    by_key: dict[str, list[EntityProxy]] = {}
    alias_key: dict[str, list[EntityProxy]] = {}  # fallback when no primary name matches
    parsed: list[tuple[SdnRow, EntityProxy, Remarks]] = []
    for row in rows:
        remarks = parse_remarks(row.remarks)
        entity = _make_entity(row, remarks, prefix, report)
        for kind, alt in aliases.get(row.ent_num, []):
            entity.add("previousName" if kind == "fka" else "alias", alt)
        for address, country in addresses.get(row.ent_num, []):
            entity.add("address", address, quiet=True)
            entity.add("country", country, quiet=True)
        entities.append(entity)
        entities.append(_sanction(row, entity, prefix))
        by_key.setdefault(normalize_name(row.name, vessel=False).key, []).append(entity)
        for alt in entity.get("alias"):
            alias_key.setdefault(normalize_name(alt, vessel=False).key, []).append(entity)
        parsed.append((row, entity, remarks))

    stubs: dict[str, EntityProxy] = {}
    links: dict[str, EntityProxy] = {}
    for row, entity, remarks in parsed:
        targets = [("Linked To", n) for n in remarks.linked_to]
        if row.vessel_owner:
            targets.append(("Vessel owner", row.vessel_owner))
        for role, name in targets:
            key = normalize_name(name, vessel=False).key
            found = [e for e in by_key.get(key, alias_key.get(key, [])) if e is not entity]
            if found:
                report.links_resolved += 1
            else:
                report.links_unresolved += 1
                stub_id = _link_id(prefix, name)
                if stub_id not in stubs:
                    stub = model.make_entity("LegalEntity")
                    stub.id = stub_id
                    stub.add("name", name)
                    stub.add("notes", "Named in an OFAC 'Linked To' remark; not on the list.")
                    stubs[stub_id] = stub
                found = [stubs[stub_id]]
            for target in found:
                link_id = f"{prefix}-link-{row.ent_num}-{target.id}"
                if link_id in links:  # the same name twice in one Remarks field
                    links[link_id].add("role", role)
                    continue
                link = model.make_entity("UnknownLink")
                link.id = link_id
                link.add("subject", entity.id)
                link.add("object", target.id)
                link.add("role", role)
                link.add("publisher", AUTHORITY)
                links[link_id] = link
    entities.extend(links.values())
    entities.extend(stubs.values())
    for entity in entities:
        report.count(entity)
    return entities


def _make_entity(row: SdnRow, r: Remarks, prefix: str, report: LoadReport) -> EntityProxy:
    entity = model.make_entity(_schema_for(row))
    entity.id = f"{prefix}-{row.ent_num}"
    entity.add("name", row.name)
    entity.add("topics", "sanction")
    entity.add("alias", r.aliases)
    entity.add("previousName", r.previous_names)
    entity.add("program", list(row.programs), quiet=True)
    entity.add("notes", r.notes)
    is_vessel = entity.schema.name == "Vessel"
    for digits in r.imo_numbers:
        ok = vessel_check_digit_ok(digits) if is_vessel else company_check_digit_ok(digits)
        if not ok:
            scheme = "vessel" if is_vessel else "company"
            report.failed_check_digits.append(ImoCheck(entity.id, row.name, digits, scheme))
        # cleaned=True: FtM would drop a failing number; we keep it and report it instead.
        entity.add("imoNumber", format_imo(digits), cleaned=True, quiet=True)
    for text in r.malformed_imos:
        report.malformed_imos.append((entity.id, text))
    if is_vessel:
        entity.add("callSign", [row.call_sign or "", *r.other_call_signs])
        entity.add("type", [row.vessel_type or "", *r.other_types])
        entity.add("flag", [row.vessel_flag or "", *r.other_flags])
        entity.add("pastFlags", r.past_flags)
        entity.add("mmsi", r.mmsis)
        entity.add("buildDate", r.build_years)
        entity.add("registrationNumber", _ids(r.registration_numbers))
        if row.tonnage:
            entity.add("tonnage", row.tonnage.replace(",", ""))
        if row.grt:
            entity.add("grossRegisteredTonnage", row.grt.replace(",", ""))
        report.vessels += 1
        report.vessels_with_imo += bool(r.imo_numbers)
        report.vessels_with_mmsi += bool(r.mmsis)
        return entity
    entity.add("taxNumber", _ids(r.tax_ids), quiet=True)
    entity.add("registrationNumber", _ids(r.registration_numbers), quiet=True)
    entity.add("idNumber", _ids(r.id_numbers), quiet=True)
    entity.add("website", r.websites, quiet=True)
    entity.add("email", r.emails, quiet=True)
    entity.add("phone", r.phones, quiet=True)
    entity.add("swiftBic", r.swift_bics, quiet=True)
    entity.add("incorporationDate", r.incorporation_dates, quiet=True)
    if entity.schema.name == "Person":
        entity.add("birthDate", r.birth_dates)
        entity.add("birthPlace", r.birth_places)
        entity.add("nationality", r.nationalities)
        entity.add("citizenship", r.citizenships)
        entity.add("gender", [g.lower() for g in r.genders])
        entity.add("passportNumber", _ids(r.passports))
        entity.add("position", row.title or "")
    return entity


_ID_SUFFIX = re.compile(r"\s*\((?:[A-Z][^()]*)\)$|\s+(?:issued|expires)\s.*$")


def _ids(values: list[str]) -> list[str]:
    """Identifier values without OFAC's trailing country or issue date: ``3025037914 (Russia)``."""
    return [_ID_SUFFIX.sub("", v).strip() for v in values]


def _sanction(row: SdnRow, entity: EntityProxy, prefix: str) -> EntityProxy:
    sanction = model.make_entity("Sanction")
    sanction.id = f"{prefix}-sanction-{row.ent_num}"
    sanction.add("entity", entity.id)
    sanction.add("authority", AUTHORITY)
    sanction.add("authorityId", row.ent_num)
    sanction.add("country", "us")
    sanction.add("program", list(row.programs))
    sanction.add("programId", list(row.programs))
    return sanction


def _side_table(path: Path, width: int) -> dict[str, list[list[str | None]]]:
    table: dict[str, list[list[str | None]]] = {}
    if not path.exists():
        return table
    for _line, row in read_csv_rows(path):
        if len(row) >= width:
            table.setdefault(row[0].strip(), []).append([_cell(v) for v in row[1:]])
    return table


def load_ofac(path: Path) -> LoadedList:
    """Load ``sdn.csv`` (with its legacy siblings when present) or ``cons_prim.csv``."""
    path = Path(path)
    consolidated = path.name.startswith("cons_")
    stem = "cons_" if consolidated else ""
    prefix = "ofac-cons" if consolidated else "ofac-sdn"
    report = LoadReport()
    raw = read_csv_rows(path)
    comments_name = "cons_comments.csv" if consolidated else "sdn_comments.csv"
    comments = {k: "".join(v[0] or "" for v in vs) for k, vs in _side_table(path.with_name(comments_name), 2).items()}
    # sdn_comments.csv holds the tail of a Remarks field cut off in sdn.csv: append verbatim.
    merged = [
        (line, [*row[:11], row[11] + comments.get(row[0].strip(), "")]) if len(row) == 12 else (line, row)
        for line, row in raw
    ]
    rows = parse_sdn_rows(merged, str(path), report)
    aliases = {
        k: [((v[1] or "aka").lower(), v[2]) for v in vs if v[2]]
        for k, vs in _side_table(path.with_name(f"{stem}alt.csv"), 4).items()
    }
    addresses = {
        k: [(", ".join(p for p in v[1:4] if p), v[3]) for v in vs if any(v[1:4])]
        for k, vs in _side_table(path.with_name(f"{stem}add.csv"), 5).items()
    }
    entities = sdn_entities(rows, prefix=prefix, report=report, aliases=aliases, addresses=addresses)
    siblings = [
        p
        for p in (
            path.with_name(f"{stem}alt.csv"),
            path.with_name(f"{stem}add.csv"),
            path.with_name(comments_name),
        )
        if p.exists()
    ]
    return LoadedList(
        list_name="us_ofac_cons" if consolidated else "us_ofac_sdn",
        title="OFAC Consolidated (non-SDN) List" if consolidated else "OFAC SDN List",
        entities=entities,
        list_date=None,
        report=report,
        source_paths=(str(path), *map(str, siblings)),
    )
