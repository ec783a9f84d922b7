"""Sanctions findings for the vessels of trip findings: the listing status on the day the trips
began and the exposure paths through owners and links (:mod:`darkfleet.sanctions.service`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl

from darkfleet.analysis import findings as F


def sanctions_findings(lake_dir: Path, trips: list[dict[str, Any]], params: dict[str, Any]) -> list[dict[str, Any]]:
    """One ``sanctions_exposure`` finding per screened vessel with an alert; none when no lists are loaded."""
    from darkfleet.sanctions.store import read_versions

    if not trips or not read_versions(lake_dir):
        return []
    from darkfleet.sanctions.service import knowledge, screen_one

    k = knowledge(lake_dir)
    versions = {v.version_id: v for v in k.versions}
    out = []
    seen: set[str] = set()
    for trip in trips:
        v = trip["vessel"] or {}
        if not v.get("imo") or v["key"] in seen:
            continue
        seen.add(v["key"])
        on = datetime.fromisoformat(trip["start"].replace("Z", "+00:00")).date()
        r = screen_one(k, on, v.get("name"), str(v["imo"]), None, None, 2)
        # a list's own record first; the analyst's facts only date and link it
        alerts = r.matches.filter(pl.col("alert")).sort(pl.col("list_name") == "analyst_facts", -pl.col("score"))
        if alerts.height == 0:
            continue
        top = alerts.row(0, named=True)
        status = r.statuses.get(top["entity_id"], [])
        words = "; ".join(f"{s.list_name}: {s.status}" + (f" since {s.since}" if s.since else "")
                          + (f", listed from {s.listed_from}" if s.listed_from else "") for s in status)
        chains = []
        used = set()
        for p in r.paths:
            text = k.graph.nodes[p.start].caption
            for step in p.steps:
                text += f" {'←' if step.reverse else '→'}[{step.edge.relation}; {step.edge.evidence}]"
                text += f"{'←' if step.reverse else '→'} {k.graph.nodes[step.node].caption}"
                used.add(step.edge.evidence)
            chains.append(text)
        evidence = [F.evidence_item("sanctions_list", vid, ver.path, ver.sha256, None, None,
                                    f"{ver.title} ({ver.list_name}, {ver.list_date})")
                    for vid, ver in sorted(versions.items())
                    if vid == top["version_id"] or any(vid in e for e in used)]
        ends = sorted({k.graph.nodes[p.end].caption for p in r.paths})
        claim = (f"{v.get('name')} (IMO {v['imo']}) matches {top['caption']} on {top['list_name']} "
                 f"(score {top['score']:.2f}); status on {on}: {words or 'unknown'}. "
                 f"Exposure reaches {', '.join(ends) or 'no other party'}.")
        out.append(F.finding("sanctions_exposure", claim, {k2: v[k2] for k2 in ("name", "imo", "mmsi", "key")}, [],
                             trip_start(trip), None, None, "almost certain" if top["score"] >= 0.95 else "likely",
                             evidence, params, {"entity_id": top["entity_id"], "status": words,
                                                "paths": chains, "parties": ends,
                                                "features": [f["feature"] for f in top["features"]]}))
    return out


def trip_start(trip: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(trip["start"].replace("Z", "+00:00"))
