"""Typed records shared by the list loaders, the store and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from followthemoney import EntityProxy


@dataclass(frozen=True, slots=True)
class ImoCheck:
    """An IMO number found on a list entry whose check digit failed (kept, not dropped)."""

    entity_id: str
    name: str
    imo: str
    scheme: str  # "vessel" or "company": which check-digit rule was applied


@dataclass(slots=True)
class LoadReport:
    """What a loader read and made, so nothing is lost silently."""

    rows_read: int = 0
    entities_by_schema: dict[str, int] = field(default_factory=dict)
    vessels: int = 0
    vessels_with_imo: int = 0
    vessels_with_mmsi: int = 0
    failed_check_digits: list[ImoCheck] = field(default_factory=list)
    malformed_imos: list[tuple[str, str]] = field(default_factory=list)  # (entity id, text)
    links_resolved: int = 0
    links_unresolved: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    def count(self, entity: EntityProxy) -> None:
        name = entity.schema.name
        self.entities_by_schema[name] = self.entities_by_schema.get(name, 0) + 1


@dataclass(slots=True)
class LoadedList:
    """One version of one list, as FollowTheMoney entities.

    ``list_name`` is a stable dataset name (``us_ofac_sdn``, ``un_sc_sanctions``, ``watchlist``,
    ``analyst_facts``); ``list_date`` the date the list was published, if the file says so.
    """

    list_name: str
    title: str
    entities: list[EntityProxy]
    list_date: date | None
    report: LoadReport
    source_paths: tuple[str, ...] = ()
