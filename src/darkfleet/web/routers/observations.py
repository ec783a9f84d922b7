"""Sightings and object counts: list, create, update, delete — every write under the token's user.

The request body never names who writes: ``created_by`` / ``updated_by`` / ``deleted_by`` are the
token's user, and deletion is recorded (the case store keeps the row with who and when).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, cast, get_args

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select

from darkfleet.cases.models import CONFIDENCE_WORDS, OBJECT_CLASSES, ObjectCount, Sighting
from darkfleet.cases.store import CaseStore, StoreError
from darkfleet.report.model import iso
from darkfleet.web.auth import Analyst, Viewer
from darkfleet.web.errors import ApiError
from darkfleet.web.paging import Paging
from darkfleet.web.params import AwareUtcTime
from darkfleet.web.state import WebState

router = APIRouter(prefix="/api", tags=["observations"])

Confidence = Literal["remote", "unlikely", "realistic possibility", "likely", "highly likely", "almost certain"]
ObjectClass = Literal["container", "railcar", "vehicle", "boat", "other"]
assert get_args(Confidence) == CONFIDENCE_WORDS and get_args(ObjectClass) == OBJECT_CLASSES

RowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The row's id.")]
Name = Annotated[str | None, Field(min_length=1, max_length=200)]
Sha256 = Annotated[str | None, Field(pattern=r"^[0-9a-fA-F]{64}$")]
WEB_SOURCE = "darkfleet web"


class _Observed(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)

    case: Name = None
    place: Name = None
    image_id: Annotated[str | None, Field(max_length=300)] = None
    provider: Annotated[str | None, Field(max_length=100)] = None
    image_sha256: Sha256 = None
    source: Annotated[str | None, Field(min_length=1, max_length=2000, description=(
        f"What it was read from (image, report); default {WEB_SOURCE!r}."))] = None
    confidence: Confidence = "likely"
    note: Annotated[str, Field(max_length=20_000)] = ""


class _Vessel(BaseModel):
    lon: Annotated[float | None, Field(ge=-180, le=180)] = None
    lat: Annotated[float | None, Field(ge=-90, le=90)] = None
    vessel_name: Name = None
    imo: Annotated[int | None, Field(ge=1, le=9_999_999)] = None
    mmsi: Annotated[int | None, Field(ge=1, le=999_999_999)] = None
    vessel_type: Annotated[str | None, Field(max_length=100)] = None
    length_m: Annotated[float | None, Field(ge=0, le=1000)] = None
    colours: Annotated[str | None, Field(max_length=200)] = None


class SightingIn(_Observed, _Vessel):
    """A vessel seen in an image: named (name, IMO or MMSI) or described (vessel_type)."""

    observed_at: AwareUtcTime

    @model_validator(mode="after")
    def _check(self) -> SightingIn:
        if (self.lon is None) != (self.lat is None):
            raise ValueError("give both lon and lat, or neither")
        if not (self.vessel_name or self.imo or self.mmsi or self.vessel_type):
            raise ValueError("a sighting names the vessel (vessel_name, imo or mmsi) or describes it (vessel_type)")
        return self


class CountIn(_Observed):
    """Objects of one class counted at a site in an image."""

    observed_at: AwareUtcTime
    object_class: ObjectClass
    count: Annotated[int, Field(ge=0, le=1_000_000_000)]
    site: Annotated[str, Field(max_length=100)] = ""
    size_class: Annotated[str | None, Field(max_length=40)] = None
    colour: Annotated[str | None, Field(max_length=40)] = None


class SightingPatch(_Vessel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)
    observed_at: AwareUtcTime | None = None
    case: Name = None
    place: Name = None
    image_id: Annotated[str | None, Field(max_length=300)] = None
    provider: Annotated[str | None, Field(max_length=100)] = None
    image_sha256: Sha256 = None
    source: Annotated[str | None, Field(min_length=1, max_length=2000)] = None
    confidence: Confidence | None = None
    note: Annotated[str | None, Field(max_length=20_000)] = None


class CountPatch(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, str_strip_whitespace=True)
    observed_at: AwareUtcTime | None = None
    case: Name = None
    place: Name = None
    image_id: Annotated[str | None, Field(max_length=300)] = None
    provider: Annotated[str | None, Field(max_length=100)] = None
    image_sha256: Sha256 = None
    source: Annotated[str | None, Field(min_length=1, max_length=2000)] = None
    confidence: Confidence | None = None
    note: Annotated[str | None, Field(max_length=20_000)] = None
    object_class: ObjectClass | None = None
    count: Annotated[int | None, Field(ge=0, le=1_000_000_000)] = None
    site: Annotated[str | None, Field(max_length=100)] = None
    size_class: Annotated[str | None, Field(max_length=40)] = None
    colour: Annotated[str | None, Field(max_length=40)] = None


NOT_NULL = {"observed_at", "source", "confidence", "note", "object_class", "count", "site"}
AUDIT = ("created_by", "created_at", "updated_by", "updated_at", "deleted_by", "deleted_at")
SIGHTING_FIELDS = ("lon", "lat", "vessel_name", "imo", "mmsi", "vessel_type", "length_m", "colours")
COUNT_FIELDS = ("object_class", "count", "site", "size_class", "colour")
COMMON = ("image_id", "provider", "image_sha256", "confidence", "note", "source")


def state_of(request: Request) -> WebState:
    state: WebState = request.app.state.web
    return state


def _names(store: CaseStore) -> tuple[dict[int, str], dict[int, str]]:
    return {c.id: c.name for c in store.cases()}, {p.id: p.name for p in store.places()}


def row_json(row: Sighting | ObjectCount, cases: dict[int, str], places: dict[int, str]) -> dict[str, Any]:
    fields = SIGHTING_FIELDS if isinstance(row, Sighting) else COUNT_FIELDS
    out: dict[str, Any] = {"id": row.id, "uid": row.uid, "kind": "sighting" if isinstance(row, Sighting) else "count",
                           "case": cases.get(row.case_id) if row.case_id else None,
                           "place": places.get(row.place_id) if row.place_id else None,
                           "observed_at": iso(row.observed_at)}
    out.update({f: getattr(row, f) for f in (*fields, *COMMON)})
    for f in AUDIT:
        value = getattr(row, f)
        out[f] = iso(value) if isinstance(value, datetime) else value
    return out


def _store_error(exc: StoreError) -> ApiError:
    text = str(exc)
    return ApiError(404 if text.startswith("no ") and " row " in text else 400, text)


def _list(request: Request, model: type[Sighting] | type[ObjectCount], case: str | None, page: Any) -> dict[str, Any]:
    store = state_of(request).store
    try:
        rows = store.sightings(case) if model is Sighting else store.counts(case)
    except StoreError as exc:
        raise ApiError(404, str(exc)) from exc
    cases, places = _names(store)
    return page.of([row_json(r, cases, places) for r in rows])


def _create(request: Request, model: type[Sighting] | type[ObjectCount], body: SightingIn | CountIn,
            user: str) -> dict[str, Any]:
    store = state_of(request).store
    values = body.model_dump(exclude_none=True)
    observed_at, source = values.pop("observed_at"), values.pop("source", None) or WEB_SOURCE
    case, place = values.pop("case", None), values.pop("place", None)
    row: Sighting | ObjectCount
    try:
        if model is Sighting:
            row, new = store.add_sighting(user, source, observed_at, case=case, place=place, **values)
        else:
            klass, count = values.pop("object_class"), values.pop("count")
            row, new = store.add_count(user, source, observed_at, klass, count, case=case, place=place, **values)
    except StoreError as exc:
        raise ApiError(400, str(exc)) from exc
    if not new:
        state = "deleted" if row.deleted_at is not None else "recorded"
        raise ApiError(409, f"this {model.__tablename__.rstrip('s').replace('_', ' ')} was {state} already "
                            f"(id {row.id}, by {row.created_by}); change that one instead")
    return row_json(row, *_names(store))


def _get(store: CaseStore, model: type[Sighting] | type[ObjectCount], row_id: int) -> Any:
    with store.session() as s:
        row = s.scalar(select(model).where(model.id == row_id, model.deleted_at.is_(None)))
    if row is None:
        raise ApiError(404, f"no {model.__tablename__} row {row_id}")
    return row


def _patch(request: Request, model: type[Sighting] | type[ObjectCount], row_id: int,
           body: SightingPatch | CountPatch, user: str) -> dict[str, Any]:
    store = state_of(request).store
    values = body.model_dump(exclude_unset=True)
    nulls = sorted(k for k in NOT_NULL if k in values and values[k] is None)
    if nulls:
        raise ApiError(422, f"{', '.join(nulls)} cannot be null")
    if not values:
        raise ApiError(400, "nothing to change: give the fields to update")
    current = _get(store, model, row_id)
    try:
        if "case" in values:
            name = values.pop("case")
            values["case_id"] = store.case(name).id if name else None
        if "place" in values:
            name = values.pop("place")
            values["place_id"] = store.place(name).id if name else None
    except StoreError as exc:
        raise ApiError(400, str(exc)) from exc
    if model is Sighting:
        merged = {f: values.get(f, getattr(current, f)) for f in SIGHTING_FIELDS}
        if (merged["lon"] is None) != (merged["lat"] is None):
            raise ApiError(400, "a sighting has both lon and lat, or neither")
        if not (merged["vessel_name"] or merged["imo"] or merged["mmsi"] or merged["vessel_type"]):
            raise ApiError(400, "a sighting names the vessel (vessel_name, imo or mmsi) or describes it (vessel_type)")
    try:
        row = store.update(model, row_id, user, **values)
    except StoreError as exc:
        raise _store_error(exc) from exc
    return row_json(row, *_names(store))


def _delete(request: Request, model: type[Sighting] | type[ObjectCount], row_id: int, user: str) -> dict[str, Any]:
    store = state_of(request).store
    _get(store, model, row_id)
    try:
        store.delete(model, row_id, user)
    except StoreError as exc:
        raise _store_error(exc) from exc
    with store.session() as s:
        row = cast("Sighting | ObjectCount | None", s.get(model, row_id))
    assert row is not None
    return row_json(row, *_names(store))


CaseQ = Annotated[str | None, Query(max_length=200, description="Only this case's rows.")]


@router.get("/sightings", summary="Sightings (of a case)")
def list_sightings(request: Request, user: Viewer, page: Paging, case: CaseQ = None) -> dict[str, Any]:
    return _list(request, Sighting, case, page)


@router.post("/sightings", status_code=201, summary="Record a sighting (analyst)")
def add_sighting(request: Request, user: Analyst, body: SightingIn) -> dict[str, Any]:
    return _create(request, Sighting, body, user.name)


@router.patch("/sightings/{row_id}", summary="Change a sighting (analyst; recorded as updated_by)")
def patch_sighting(request: Request, user: Analyst, row_id: RowId, body: SightingPatch) -> dict[str, Any]:
    return _patch(request, Sighting, row_id, body, user.name)


@router.delete("/sightings/{row_id}", summary="Delete a sighting (analyst; kept, recorded as deleted_by)")
def delete_sighting(request: Request, user: Analyst, row_id: RowId) -> dict[str, Any]:
    return _delete(request, Sighting, row_id, user.name)


@router.get("/counts", summary="Object counts (of a case)")
def list_counts(request: Request, user: Viewer, page: Paging, case: CaseQ = None) -> dict[str, Any]:
    return _list(request, ObjectCount, case, page)


@router.post("/counts", status_code=201, summary="Record an object count (analyst)")
def add_count(request: Request, user: Analyst, body: CountIn) -> dict[str, Any]:
    return _create(request, ObjectCount, body, user.name)


@router.patch("/counts/{row_id}", summary="Change an object count (analyst; recorded as updated_by)")
def patch_count(request: Request, user: Analyst, row_id: RowId, body: CountPatch) -> dict[str, Any]:
    return _patch(request, ObjectCount, row_id, body, user.name)


@router.delete("/counts/{row_id}", summary="Delete an object count (analyst; kept, recorded as deleted_by)")
def delete_count(request: Request, user: Analyst, row_id: RowId) -> dict[str, Any]:
    return _delete(request, ObjectCount, row_id, user.name)
