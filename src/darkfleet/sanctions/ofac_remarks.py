"""Parse the Remarks field of OFAC's SDN CSV into typed facts.

The Remarks field packs everything OFAC knows beyond the name into ``;``-separated clauses:
``Vessel Registration Identification IMO 9179842; Linked To: M LEASING LLC.`` Each clause
shape we recognise becomes a field of :class:`Remarks`; every other clause is kept verbatim in
``notes`` so nothing is lost. Pure functions: no file access.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from darkfleet.sanctions.imo import imos_in_text


@dataclass(slots=True)
class Remarks:
    """The facts parsed from one SDN entry's Remarks field."""

    aliases: list[str] = field(default_factory=list)
    previous_names: list[str] = field(default_factory=list)
    imo_numbers: list[str] = field(default_factory=list)  # seven digits, check digit untested
    malformed_imos: list[str] = field(default_factory=list)  # IMO clauses without seven digits
    mmsis: list[str] = field(default_factory=list)
    linked_to: list[str] = field(default_factory=list)
    tax_ids: list[str] = field(default_factory=list)
    registration_numbers: list[str] = field(default_factory=list)
    id_numbers: list[str] = field(default_factory=list)
    passports: list[str] = field(default_factory=list)
    past_flags: list[str] = field(default_factory=list)
    other_flags: list[str] = field(default_factory=list)
    other_types: list[str] = field(default_factory=list)
    other_call_signs: list[str] = field(default_factory=list)
    build_years: list[str] = field(default_factory=list)
    birth_dates: list[str] = field(default_factory=list)
    birth_places: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    citizenships: list[str] = field(default_factory=list)
    genders: list[str] = field(default_factory=list)
    websites: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    swift_bics: list[str] = field(default_factory=list)
    incorporation_dates: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


_QUOTED_NAME = re.compile(r"^(?:alt\.\s+)?([afn])\.k\.a\.,?\s+'(.+)'$", re.IGNORECASE)
_IMO_CLAUSE = re.compile(r"^(?:alt\.\s+)?(?:Vessel Registration Identification|Identification Number)\s+IMO\s+(.+)$")
# (regex, Remarks attribute). The first group is the value; the clause's "alt." is ignored.
_SIMPLE: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), attr)
    for p, attr in (
        (r"^MMSI\s+(\d+)$", "mmsis"),
        (r"^Linked To:\s*(.+)$", "linked_to"),
        (r"^Tax ID No\.\s*(.+)$", "tax_ids"),
        (
            r"^(?:Registration Number|Registration ID|Business Registration Number|"
            r"Company Number|Commercial Registry Number|Business Number|UK Company Number|"
            r"Vessel Registration Identification)\s+(.+)$",
            "registration_numbers",
        ),
        (
            r"^(?:National ID No\.|Identification Number|Cedula No\.|C\.U\.R\.P\.|"
            r"R\.F\.C\.|D\.N\.I\.|Personal ID Card)\s+(.+)$",
            "id_numbers",
        ),
        (r"^(?:Diplomatic )?Passport\s+(.+)$", "passports"),
        (r"^Former Vessel Flag\s+(.+)$", "past_flags"),
        (r"^Other Vessel Flag\s+(.+)$", "other_flags"),
        (r"^Other Vessel Type\s+(.+)$", "other_types"),
        (r"^Other Vessel Call Sign\s+(.+)$", "other_call_signs"),
        (r"^Vessel Year of Build\s+(\d{4})$", "build_years"),
        (r"^POB\s+(.+)$", "birth_places"),
        (r"^nationality\s+(.+)$", "nationalities"),
        (r"^citizen\s+(.+)$", "citizenships"),
        (r"^Gender\s+(Male|Female)$", "genders"),
        (r"^Website\s+(.+)$", "websites"),
        (r"^Email Address\s+(.+)$", "emails"),
        (r"^(?:Phone Number|Telephone)\s+(.+)$", "phones"),
        (r"^SWIFT/BIC\s+(.+)$", "swift_bics"),
    )
)
_DOB = re.compile(r"^DOB\s+(.+)$")
_ESTABLISHED = re.compile(r"^Organization Established Date\s+(.+)$")
_DATE_FORMATS = ("%d %b %Y", "%b %Y", "%Y")


def parse_ofac_date(text: str) -> str | None:
    """An OFAC date (``08 Feb 1938``, ``Feb 1938``, ``1938``) as ISO 8601 of that precision.

    Ranges and approximations (``circa 1960``, ``1969 to 1970``) return None: they stay notes.
    """
    text = text.strip()
    for fmt in _DATE_FORMATS:
        try:
            # A date, not a moment: no timezone applies, and no datetime escapes this function.
            parsed = datetime.strptime(text, fmt)  # noqa: DTZ007
        except ValueError:
            continue
        return parsed.date().isoformat()[: {"%d %b %Y": 10, "%b %Y": 7, "%Y": 4}[fmt]]
    return None


def split_clauses(remarks: str) -> list[str]:
    """The ``;``-separated clauses of a Remarks field, without the final full stop."""
    text = remarks.strip()
    if text in ("", "-0-"):
        return []
    if text.endswith("."):
        text = text[:-1]
    return [c.strip() for c in text.split("; ") if c.strip()]


def parse_remarks(remarks: str) -> Remarks:
    """Parse one Remarks field. Unknown clauses go to ``notes``, in order."""
    out = Remarks()
    for clause in split_clauses(remarks):
        _parse_clause(clause, out)
    return out


def _parse_clause(clause: str, out: Remarks) -> None:
    if m := _QUOTED_NAME.match(clause):
        kind, name = m.group(1).lower(), m.group(2).strip()
        (out.previous_names if kind == "f" else out.aliases).append(name)
        return
    if m := _IMO_CLAUSE.match(clause):
        found = imos_in_text(m.group(1))
        if found:
            out.imo_numbers.extend(found)
        else:
            out.malformed_imos.append(m.group(1))
        return
    bare = clause[5:].lstrip() if clause.startswith("alt. ") else clause
    if m := _DOB.match(bare):
        iso = parse_ofac_date(m.group(1))
        (out.birth_dates.append(iso) if iso else out.notes.append(clause))
        return
    if m := _ESTABLISHED.match(bare):
        iso = parse_ofac_date(m.group(1))
        (out.incorporation_dates.append(iso) if iso else out.notes.append(clause))
        return
    for pattern, attr in _SIMPLE:
        if m := pattern.match(bare):
            getattr(out, attr).append(m.group(1).strip())
            return
    out.notes.append(clause)
