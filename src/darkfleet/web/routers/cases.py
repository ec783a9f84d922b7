"""Cases: findings with their evidence and judgements, the evidence chain, notes, and reports.

Findings are the lake's ``findings.json`` (written by ``darkfleet reconstruct --out``), read the
way ``darkfleet report`` reads them: a lake's findings belong to the case its report is about.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from darkfleet.cases.models import VERDICTS, Case, Judgement, Note, ObjectCount, Sighting
from darkfleet.cases.store import StoreError
from darkfleet.report.model import iso
from darkfleet.web.auth import Analyst, Viewer
from darkfleet.web.errors import ApiError
from darkfleet.web.paging import Paging
from darkfleet.web.routers.observations import row_json
from darkfleet.web.state import WebState

router = APIRouter(prefix="/api", tags=["cases"])

CaseName = Annotated[str, Path(min_length=1, max_length=200, description="The case's name.")]
Verdict = Literal["accepted", "rejected", "uncertain"]
assert get_args(Verdict) == VERDICTS
REPORT_ID = re.compile(r"[0-9a-f]{32}")
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def _case(state: WebState, name: str) -> Case:
    try:
        return state.store.case(name)
    except StoreError as exc:
        raise ApiError(404, str(exc)) from exc


def _audit(row: Any) -> dict[str, Any]:
    return {"created_by": row.created_by, "created_at": iso(row.created_at)}


def judgements(state: WebState, finding_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {i: [] for i in finding_ids}
    with state.store.session() as s:
        rows = s.scalars(select(Judgement).where(Judgement.finding_id.in_(finding_ids), Judgement.deleted_at.is_(None))
                         .order_by(Judgement.created_at, Judgement.id))
        for j in rows:
            out[j.finding_id].append({"id": j.id, "verdict": j.verdict, "text": j.text, **_audit(j)})
    return out


def _evidence(e: dict[str, Any]) -> dict[str, Any]:
    return {k: e.get(k) for k in ("kind", "id", "time", "place", "summary", "source", "sha256")}


def _finding(f: dict[str, Any], judged: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": f["id"], "kind": f["kind"], "claim": f["claim"], "confidence": f.get("confidence"),
            "vessel": f.get("vessel"), "places": f.get("places") or [], "start": f.get("start"), "end": f.get("end"),
            "count": f.get("count"), "evidence": [_evidence(e) for e in f.get("evidence") or []],
            "details": f.get("details") or {}, "version": f.get("version"), "judgements": judged}


OBSERVATION_KINDS = ("sighting", "count", "object_count")  # findings cite a count as "object_count"


def _key(e: dict[str, Any]) -> tuple[str, str]:
    """Observations are one item however a finding names their kind (their id is the store's uid)."""
    kind = str(e.get("kind"))
    return ("observation" if kind in OBSERVATION_KINDS else kind), str(e.get("id"))


def evidence_chain(state: WebState, name: str) -> list[dict[str, Any]]:
    """Every finding's evidence and the case's sightings and counts, once each, newest first."""
    store = state.store
    cases = {c.id: c.name for c in store.cases()}
    places = {p.id: p.name for p in store.places()}
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for f in state.findings(name):
        for e in f.get("evidence") or []:
            item = items.setdefault(_key(e), {**_evidence(e), "created_by": None, "findings": []})
            item["findings"].append(f["id"])
    observations: list[Sighting | ObjectCount] = [*store.sightings(name), *store.counts(name)]
    for row in observations:
        r = row_json(row, cases, places)
        what = (r.get("vessel_name") or r.get("vessel_type") or (f"IMO {r['imo']}" if r.get("imo") else None)
                or (f"MMSI {r['mmsi']}" if r.get("mmsi") else None)) if r["kind"] == "sighting" else \
            f"{r['count']} {' '.join(x for x in (r.get('size_class'), r.get('colour'), r['object_class']) if x)}"
        summary = f"{what} seen" if r["kind"] == "sighting" else f"{what} counted"
        if r["place"]:
            summary += f" at {r['place']}"
        if r.get("image_id"):
            summary += f" in {r['image_id']}"
        summary += f" ({r['confidence']})"
        base = items.get(("observation", r["uid"]), {"findings": []})
        items[("observation", r["uid"])] = {
            **base, "kind": r["kind"], "id": r["uid"], "time": r["observed_at"], "place": r["place"],
            "summary": base.get("summary") or summary, "source": r["source"], "sha256": r["image_sha256"],
            "created_by": r["created_by"], "created_at": r["created_at"], "updated_by": r["updated_by"],
            "row_id": r["id"], "note": r["note"], "mmsi": r.get("mmsi")}
    return sorted(items.values(), key=lambda i: (i.get("time") or "", i["kind"], i["id"]), reverse=True)


@router.get("/cases", summary="Cases")
def list_cases(request: Request, user: Viewer, page: Paging) -> dict[str, Any]:
    return page.of([{"name": c.name, "title": c.title, "description": c.description, **_audit(c)}
                    for c in state_of(request).store.cases()])


@router.get("/cases/{name}", summary="A case: findings with evidence and judgements, timeline, vessels")
def case(request: Request, user: Viewer, name: CaseName) -> dict[str, Any]:
    state = state_of(request)
    c = _case(state, name)
    found = state.findings(name)
    judged = judgements(state, [f["id"] for f in found])
    vessels: dict[str, dict[str, Any]] = {}
    timeline: dict[tuple[str, str], dict[str, Any]] = {}
    for f in found:
        v = f.get("vessel") or None
        if v:
            key = str(v.get("imo") or v.get("mmsi") or v.get("name"))
            vessels.setdefault(key, {"mmsi": v.get("mmsi"), "name": v.get("name"), "imo": v.get("imo")})
        for e in f.get("evidence") or []:
            if e.get("time"):
                kind = "count" if e.get("kind") == "object_count" else e.get("kind")
                timeline.setdefault(_key(e), {
                    "time": e["time"], "kind": kind, "label": e.get("summary") or e.get("kind"),
                    "mmsi": v.get("mmsi") if v else None, "id": e.get("id"), "place": e.get("place")})
    for item in evidence_chain(state, name):
        if item["kind"] in ("sighting", "count") and item.get("time"):
            timeline.setdefault(("observation", item["id"]), {
                "time": item["time"], "kind": item["kind"], "label": item["summary"], "mmsi": item.get("mmsi"),
                "id": item["id"], "place": item["place"]})
    with state.store.session() as s:
        notes = s.scalars(select(Note).where(Note.case_id == c.id, Note.deleted_at.is_(None)).order_by(Note.id))
        note_items = [_note(n, c.name) for n in notes]
    return {"name": c.name, "title": c.title, "description": c.description, **_audit(c),
            "findings": [_finding(f, judged[f["id"]]) for f in found],
            "timeline": sorted(timeline.values(), key=lambda t: (t["time"], t["kind"], str(t["id"]))),
            "vessels": sorted(vessels.values(), key=lambda v: (str(v["name"]), str(v["mmsi"]))),
            "notes": note_items}


@router.get("/cases/{name}/evidence", summary="The case's evidence chain, newest first")
def evidence(request: Request, user: Viewer, page: Paging, name: CaseName,
             kind: Annotated[str | None, Query(max_length=40, description="Only this kind (sighting, ais_gap, ...)")]
             = None) -> dict[str, Any]:
    state = state_of(request)
    _case(state, name)
    items = evidence_chain(state, name)
    if kind is not None:
        items = [i for i in items if i["kind"] == kind]
    return page.of(items)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    text: Annotated[str, Field(min_length=1, max_length=20_000)]
    subject_kind: Annotated[str, Field(pattern=r"^[a-z_]{1,40}$", description="case, finding, event, sighting, ...")] \
        = "case"
    subject_id: Annotated[str | None, Field(min_length=1, max_length=200, description="Default: the case")] = None


def _note(n: Note, case_name: str) -> dict[str, Any]:
    return {"id": n.id, "case": case_name, "subject_kind": n.subject_kind, "subject_id": n.subject_id,
            "text": n.text, **_audit(n)}


@router.get("/cases/{name}/notes", summary="The case's notes")
def list_notes(request: Request, user: Viewer, page: Paging, name: CaseName) -> dict[str, Any]:
    state = state_of(request)
    c = _case(state, name)
    with state.store.session() as s:
        rows = s.scalars(select(Note).where(Note.case_id == c.id, Note.deleted_at.is_(None)).order_by(Note.id))
        return page.of([_note(n, c.name) for n in rows])


@router.post("/cases/{name}/notes", status_code=201, summary="Add a note to the case (analyst)")
def add_note(request: Request, user: Analyst, name: CaseName, body: NoteIn) -> dict[str, Any]:
    state = state_of(request)
    c = _case(state, name)
    note = state.store.add_note(user.name, "darkfleet web", body.subject_kind, body.subject_id or c.name, body.text,
                                case=c.name)
    return _note(note, c.name)


class JudgementIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    verdict: Verdict
    text: Annotated[str, Field(max_length=20_000)] = ""
    case: Annotated[str | None, Field(min_length=1, max_length=200)] = None


@router.post("/findings/{finding_id}/judgements", status_code=201, summary="Judge a finding (analyst)")
def judge(request: Request, user: Analyst,
          finding_id: Annotated[str, Path(min_length=1, max_length=200)], body: JudgementIn) -> dict[str, Any]:
    state = state_of(request)
    if state.finding(finding_id) is None:
        raise ApiError(404, f"no finding {finding_id!r} in this lake's findings.json")
    case_name = _case(state, body.case).name if body.case else None
    j = state.store.judge(user.name, "darkfleet web", finding_id, body.verdict, body.text, case=case_name)
    return {"id": j.id, "finding_id": finding_id, "verdict": j.verdict, "text": j.text, "case": case_name, **_audit(j)}


# -- reports ---------------------------------------------------------------------------------------


def reports_dir(state: WebState) -> Any:
    return state.cache_dir / "reports"


@router.post("/cases/{name}/report", status_code=201, summary="Generate the case report (analyst)")
def make_report(request: Request, user: Analyst, name: CaseName) -> dict[str, Any]:
    from darkfleet.report import write_report
    from darkfleet.report.model import FindingsError

    state = state_of(request)
    c = _case(state, name)
    report_id = uuid.uuid4().hex
    out = reports_dir(state) / report_id
    findings = state.findings_path() if state.findings_path().exists() else None
    try:
        write_report(state.root, c.name, out, findings)
    except (FindingsError, StoreError) as exc:
        raise ApiError(409, f"the report of case {c.name!r} cannot be written: {exc}") from exc
    made = datetime.now(UTC)
    meta = {"id": report_id, "case": c.name, "created_by": user.name, "created_at": iso(made)}
    (out / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return {**meta, "url": f"/api/reports/{report_id}"}


@router.get("/reports/{report_id}", response_class=HTMLResponse, summary="A generated report (HTML)")
def get_report(request: Request, user: Viewer, report_id: Annotated[str, Path(max_length=64)]) -> HTMLResponse:
    state = state_of(request)
    base = reports_dir(state).resolve()
    path = (base / report_id / "report.html").resolve() if REPORT_ID.fullmatch(report_id) else None
    if path is None or path.parent.parent != base or not path.is_file():
        raise ApiError(404, f"no report {report_id!r}")
    return HTMLResponse(path.read_text(encoding="utf-8"),
                        headers={"Content-Security-Policy": REPORT_CSP, "X-Content-Type-Options": "nosniff"})
