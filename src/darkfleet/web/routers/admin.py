"""Loading data (admin): ingest an uploaded AIS file, re-run event detection.

The upload's bytes go to ``LAKE/uploads/<sha256 prefix>-<label>``, kept as the source the lake's
provenance names; ``?filename=`` is only a label, reduced to a safe file name and never a path.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from darkfleet.web.auth import Admin
from darkfleet.web.errors import ApiError
from darkfleet.web.state import WebState

router = APIRouter(prefix="/api/admin", tags=["admin"])

UPLOADS = "uploads"
MAX_LABEL = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

INGEST_BODY = {
    "required": True,
    "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        "multipart/form-data": {"schema": {"type": "object", "properties": {
            "file": {"type": "string", "format": "binary"}}, "required": ["file"]}},
    },
}


def safe_label(filename: str | None) -> str:
    """A file name made only of letters, digits, '.', '_' and '-', with no directory part:
    ``../../x`` becomes ``x``; an empty or dot-only name becomes ``upload``."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip("._")[:MAX_LABEL]
    return name or "upload"


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


async def _save(request: Request, folder: Path) -> tuple[Path, str, int, str | None]:
    """Stream the body (raw, or the multipart's file) to a temporary file; returns it, its sha256,
    its size and the multipart file name."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".upload-{uuid.uuid4().hex}.tmp"
    digest, size, part_name = hashlib.sha256(), 0, None
    try:
        with tmp.open("wb") as fh:
            if request.headers.get("content-type", "").startswith("multipart/form-data"):
                form = await request.form()
                upload = form.get("file")
                if not isinstance(upload, UploadFile):
                    raise ApiError(400, "the multipart upload has no 'file' part")
                part_name = upload.filename
                while chunk := await upload.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
                    fh.write(chunk)
            else:
                async for chunk in request.stream():
                    digest.update(chunk)
                    size += len(chunk)
                    fh.write(chunk)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, digest.hexdigest(), size, part_name


@router.post("/ingest", summary="Ingest an AIS file (NMEA or a known CSV export) sent as the body (admin)",
             openapi_extra={"requestBody": INGEST_BODY})
async def ingest(request: Request, user: Admin,
                 filename: Annotated[str | None, Query(max_length=1000, description=(
                     "A label for the upload (its name: an extension such as .gz helps); never a path."))] = None,
                 ) -> dict[str, Any]:
    from darkfleet.lake.ingest import IngestOptions
    from darkfleet.lake.ingest import ingest as run

    state = state_of(request)
    folder = state.root / UPLOADS
    tmp, sha, size, part_name = await _save(request, folder)
    if size == 0:
        tmp.unlink(missing_ok=True)
        raise ApiError(400, "the upload is empty: send the AIS file's bytes as the request body")
    label = safe_label(filename if filename is not None else part_name)
    path = folder / f"{sha[:16]}-{label}"
    os.replace(tmp, path)

    def work() -> Any:
        with state.write_lock:
            return run(state.lake, [path], IngestOptions())

    try:
        report = await run_in_threadpool(work)
    except (ValueError, FileNotFoundError) as exc:
        path.unlink(missing_ok=True)
        raise ApiError(400, str(exc).replace(str(path), label)) from exc
    finally:
        state.invalidate()
    summary = report.as_json()
    accepted, rejected = summary["accepted"], summary["rejected"]
    assert isinstance(accepted, dict) and isinstance(rejected, dict)
    return {"read": report.read, "accepted": sum(accepted.values()), "rejected": sum(rejected.values()),
            "accepted_by_kind": accepted, "rejected_by_reason": rejected, "rows": summary["rows"],
            "label": label, "sha256": sha, "bytes": size,
            "already_ingested": any(f.skipped for f in report.files), "by": user.name}


def _places_geojson(state: WebState, path: Path) -> Path:
    """The case store's places as the GeoJSON ``detect --places`` reads, keeping the place ids the
    lake's events already use for them (so a re-run gives the same event ids)."""
    known: dict[str, str] = {}
    rows = state.sql("SELECT DISTINCT place_id, json_extract_string(attributes, '$.place_name') AS name FROM events "
                     "WHERE place_id LIKE 'user:%'")
    for r in rows.iter_rows(named=True):
        if r["name"]:
            known[r["name"]] = r["place_id"].removeprefix("user:")
    features = []
    for p in state.store.places():
        geometry = json.loads(p.geometry_geojson) if p.geometry_geojson else {"type": "Point",
                                                                               "coordinates": [p.lon, p.lat]}
        props: dict[str, Any] = {"id": known.get(p.name, p.name), "name": p.name, "kind": p.kind, "source": p.source}
        if p.radius_m is not None:
            props["radius_m"] = p.radius_m
        features.append({"type": "Feature", "geometry": geometry, "properties": props})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path


@router.post("/detect", summary="Re-run event detection over the lake with the case store's places (admin)")
def detect(request: Request, user: Admin) -> dict[str, Any]:
    from darkfleet.engines.run import detect_lake
    from darkfleet.events.anchorages import AnchorageParams, infer_anchorages
    from darkfleet.events.store import write_anchorages, write_events

    state = state_of(request)
    with state.write_lock:
        places = _places_geojson(state, state.cache_dir / "places.geojson") if state.store.places() else None
        try:
            found = detect_lake(state.lake, "local", None, places)
        except FileNotFoundError as exc:
            raise ApiError(409, str(exc).replace(str(state.root), "the lake")) from exc
        counts = write_events(state.lake, found)
        anchorages = infer_anchorages(found, AnchorageParams())
        write_anchorages(state.lake, anchorages)
        state.invalidate()
    return {"events": counts, "inferred_anchorages": anchorages.height, "by": user.name}
