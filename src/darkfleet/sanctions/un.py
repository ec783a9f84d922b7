"""UN Security Council consolidated list (XML) as FtM entities.

The list has ``INDIVIDUAL`` and ``ENTITY`` records, each with its reference number, the date it
was listed (``LISTED_ON``), aliases, addresses, documents and a free-text comment; the root's
``dateGenerated`` attribute is the list's date. Shipping companies carry their IMO company
number in the comment ("IMO number: 5571322"), which is parsed and check-digit tested.
Unlike OFAC's CSV, every record here has a real listing date.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

from followthemoney import EntityProxy, model

from darkfleet.sanctions.imo import company_check_digit_ok, format_imo, vessel_check_digit_ok
from darkfleet.sanctions.ofac import _LEGAL_FORM
from darkfleet.sanctions.records import ImoCheck, LoadedList, LoadReport

AUTHORITY = "United Nations Security Council"
_IMO_IN_COMMENT = re.compile(r"IMO\)?\s*(?:number|No\.?)?\s*:?\s*(\d{7})(?!\d)", re.IGNORECASE)


def _text(el: ET.Element, tag: str) -> str | None:
    child = el.find(tag)
    if child is None or child.text is None:
        return None
    value = " ".join(child.text.split())
    return value or None


def _values(el: ET.Element, path: str) -> list[str]:
    return [" ".join(v.text.split()) for v in el.findall(path) if v.text and v.text.strip()]


def _birth_dates(el: ET.Element) -> list[str]:
    out: list[str] = []
    for dob in el.findall("INDIVIDUAL_DATE_OF_BIRTH"):
        if (value := _text(dob, "DATE")) is not None:
            out.append(value[:10])
        elif (value := _text(dob, "YEAR")) is not None:
            out.append(value)
    return out


def _record(el: ET.Element, is_person: bool, report: LoadReport) -> list[EntityProxy]:
    dataid = _text(el, "DATAID") or ""
    names = [_text(el, t) for t in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")]
    name = " ".join(n for n in names if n)
    comment = _text(el, "COMMENTS1") or ""
    company = "Company" if _LEGAL_FORM.search(name.upper()) else "Organization"
    schema = "Person" if is_person else company
    entity = model.make_entity(schema)
    entity.id = f"un-sc-{dataid}"
    entity.add("name", name)
    entity.add("topics", "sanction")
    entity.add("notes", comment)
    entity.add("program", _text(el, "UN_LIST_TYPE") or "")
    tag = "INDIVIDUAL_ALIAS" if is_person else "ENTITY_ALIAS"
    for alias in el.findall(tag):
        alias_name = _text(alias, "ALIAS_NAME")
        quality = (_text(alias, "QUALITY") or "").lower()
        if alias_name:
            prop = "previousName" if quality.startswith("f.k.a") else ("weakAlias" if quality == "low" else "alias")
            entity.add(prop, alias_name)
    entity.add("alias", _text(el, "NAME_ORIGINAL_SCRIPT") or "")
    addr_tag = "INDIVIDUAL_ADDRESS" if is_person else "ENTITY_ADDRESS"
    for addr in el.findall(addr_tag):
        parts = [_text(addr, t) for t in ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")]
        if any(parts):
            entity.add("address", ", ".join(p for p in parts if p))
        entity.add("country", _text(addr, "COUNTRY") or "", quiet=True)
    if is_person:
        entity.add("nationality", _values(el, "NATIONALITY/VALUE"))
        entity.add("position", _values(el, "DESIGNATION/VALUE"))
        entity.add("title", _values(el, "TITLE/VALUE"))
        entity.add("gender", (_text(el, "GENDER") or "").lower())
        entity.add("birthDate", _birth_dates(el))
        for doc in el.findall("INDIVIDUAL_DOCUMENT"):
            number = _text(doc, "NUMBER")
            kind = (_text(doc, "TYPE_OF_DOCUMENT") or "").lower()
            if number:
                entity.add("passportNumber" if "passport" in kind else "idNumber", number)
    for digits in _IMO_IN_COMMENT.findall(comment):
        # Most UN IMO numbers are companies' ("Registered owner of ..."); accept either scheme.
        if not (company_check_digit_ok(digits) or vessel_check_digit_ok(digits)):
            report.failed_check_digits.append(ImoCheck(entity.id, name, digits, "company"))
        entity.add("imoNumber", format_imo(digits), cleaned=True, quiet=True)
    sanction = model.make_entity("Sanction")
    sanction.id = f"un-sc-sanction-{dataid}"
    sanction.add("entity", entity.id)
    sanction.add("authority", AUTHORITY)
    sanction.add("unscId", _text(el, "REFERENCE_NUMBER") or "")
    sanction.add("authorityId", _text(el, "REFERENCE_NUMBER") or "")
    sanction.add("program", _text(el, "UN_LIST_TYPE") or "")
    sanction.add("listingDate", _text(el, "LISTED_ON") or "")
    sanction.add("modifiedAt", _values(el, "LAST_DAY_UPDATED/VALUE"))
    return [entity, sanction]


def load_un(path: Path) -> LoadedList:
    """Load the UN consolidated list XML. Raises ``ValueError`` naming the file if it is not one."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise ValueError(f"{path}: not well-formed XML ({exc})") from exc
    if root.tag != "CONSOLIDATED_LIST":
        raise ValueError(f"{path}: expected a <CONSOLIDATED_LIST> root, found <{root.tag}>")
    report = LoadReport()
    entities: list[EntityProxy] = []
    for is_person, tag in ((True, "INDIVIDUALS/INDIVIDUAL"), (False, "ENTITIES/ENTITY")):
        for el in root.findall(tag):
            report.rows_read += 1
            entities.extend(_record(el, is_person, report))
    for entity in entities:
        report.count(entity)
    generated = root.get("dateGenerated")
    list_date = date.fromisoformat(generated[:10]) if generated else None
    return LoadedList(
        "un_sc_sanctions",
        "UN Security Council Consolidated List",
        entities,
        list_date,
        report,
        (str(path),),
    )
