"""The sanctions and ownership panel, and the FtM entities exported beside the report.

Each vessel of the findings is screened as ``darkfleet screen`` does (``screen_one``), with its
listing status taken on the last day of its findings (was it listed *when it sailed*), and its
ownership exposure paths followed two hops. The FtM export holds the listed entities those paths
touch (as the lists give them), the relations followed, and a Vessel entity for each vessel.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from darkfleet.report.model import (
    ExposureStep,
    Finding,
    SanctionsPanel,
    ScreeningHit,
    Vessel,
    VesselSanctions,
)


def vessel_day(vessel: Vessel, findings: Sequence[Finding]) -> date | None:
    """The last day of the vessel's findings: status is asked for that day."""
    days = [t.date() for f in findings if f.vessel is not None and f.vessel.key == vessel.key
            for t in (f.end, f.start) if t is not None]
    return max(days) if days else None


def _status_text(statuses: Sequence[Any]) -> str:
    parts = []
    for s in statuses:
        extra = f" since {s.since}" if s.since else ""
        extra += f"; listed from {s.listed_from}" if s.listed_from else ""
        parts.append(f"{s.list_name}: {s.status}{extra}")
    return "; ".join(parts) or "not on any loaded list"


def vessel_entity(vessel: Vessel) -> dict[str, Any]:
    """A FtM Vessel for a vessel of the findings (its id a hash of its identifiers)."""
    from followthemoney import model

    e = model.make_entity("Vessel")
    e.make_id("darkfleet-report-vessel", vessel.imo or "", *map(str, vessel.mmsis), vessel.name or "")
    if vessel.name:
        e.add("name", vessel.name)
    if vessel.imo:
        e.add("imoNumber", f"IMO{vessel.imo}")
    for m in vessel.mmsis:
        e.add("mmsi", str(m))
    return _canonical(e.to_dict())


def _canonical(doc: dict[str, Any]) -> dict[str, Any]:
    props = {k: sorted(v) for k, v in sorted(doc.get("properties", {}).items())}
    return {"id": doc["id"], "schema": doc["schema"], "properties": props}


def _step(k: Any, r: Any, node: str, edge: Any = None, reverse: bool = False) -> ExposureStep:
    """One identity on an exposure path, reached by ``edge`` (None for the vessel itself)."""
    n = k.graph.nodes[node]
    listed = any(s.status == "listed" for s in r.node_status.get(node, []))
    return ExposureStep(n.caption, n.schema, listed, edge.relation if edge else "", reverse,
                        edge.evidence if edge else "", bool(edge and edge.published_after(r.on)))


def sanctions_panel(lake: Path, vessels: Sequence[Vessel], findings: Sequence[Finding]) -> SanctionsPanel:
    own = [vessel_entity(v) for v in vessels]
    try:
        from darkfleet.sanctions.service import knowledge, screen_one

        k = knowledge(lake)
    except FileNotFoundError:
        return SanctionsPanel("No sanctions lists are loaded in this lake (darkfleet sanctions load FILE --lake DIR): "
                              "the vessels were not screened.", (), tuple(sorted(own, key=lambda d: d["id"])))
    latest: dict[str, Any] = {}
    for item in sorted(k.listed, key=lambda i: (i.list_date, i.version_id)):
        latest[str(item.entity.id)] = item.entity
    keep: set[str] = set()
    out = []
    for v in vessels:
        on = vessel_day(v, findings)
        if on is None:
            continue
        r = screen_one(k, on, v.name, v.imo, str(v.mmsis[0]) if v.mmsis else None)
        rows = r.matches.sort(["score", "entity_id"], descending=[True, False])
        alerts = rows.filter(rows["alert"]) if rows.height else rows
        hits = []
        for row in (alerts if alerts.height else rows.head(1)).iter_rows(named=True):
            feats = "; ".join(f"{f['feature']} {f['value']:+.2f}" for f in row["features"])
            hits.append(ScreeningHit(row["caption"], float(row["score"]), bool(row["alert"]), row["version_id"],
                                     _status_text(r.statuses.get(row["entity_id"], [])), feats))
        paths = []
        for p in r.paths:
            nodes = [p.start, *(s.node for s in p.steps)]
            for n in nodes:
                keep |= k.graph.nodes[n].entity_ids
            keep |= {s.edge.entity_id for s in p.steps if s.edge.entity_id}
            paths.append((_step(k, r, p.start), *(_step(k, r, s.node, s.edge, s.reverse) for s in p.steps)))
        out.append(VesselSanctions(v.key, v.label, on, tuple(hits), tuple(paths)))
    # the Sanction records of every kept entity, so the export says what list and programme
    for e in latest.values():
        if e.schema.name == "Sanction" and set(e.get("entity")) & keep:
            keep.add(str(e.id))
    entities = {d["id"]: d for d in own}
    for eid in sorted(keep):
        if eid in latest:
            entities[eid] = _canonical(latest[eid].to_dict())
    versions = ", ".join(sorted(v.version_id for v in k.versions))
    return SanctionsPanel(f"Screened against {versions}.", tuple(out),
                          tuple(entities[i] for i in sorted(entities)))
