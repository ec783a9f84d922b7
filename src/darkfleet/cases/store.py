"""Opening the case store and writing to it, with who / when / source on every row."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from darkfleet.cases import migrations
from darkfleet.cases.models import (
    CONFIDENCE_WORDS,
    OBJECT_CLASSES,
    PLACE_KINDS,
    VERDICTS,
    Case,
    Judgement,
    Note,
    ObjectCount,
    Place,
    Sighting,
)

STORE_FILE = "cases.sqlite"
ENV_URL = "DARKFLEET_STORE_URL"


class StoreError(ValueError):
    """Bad input for the case store, said for people."""


def store_url(lake: Path | None = None, url: str | None = None) -> str:
    """The store of a lake: ``url`` if given, else $DARKFLEET_STORE_URL, else LAKE/cases.sqlite."""
    if url:
        return url
    if os.environ.get(ENV_URL):
        return os.environ[ENV_URL]
    if lake is None:
        raise StoreError("no case store: give --lake DIR or --store URL")
    return f"sqlite:///{Path(lake).resolve() / STORE_FILE}"


def _migrate(engine: Engine) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", os.path.dirname(migrations.__file__))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _sqlite_foreign_keys(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@dataclass
class CaseStore:
    engine: Engine
    sessions: sessionmaker[Session]

    @classmethod
    def open(cls, url: str) -> CaseStore:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_foreign_keys)
        _migrate(engine)
        return cls(engine, sessionmaker(engine, expire_on_commit=False))

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions.begin() as s:
            yield s

    def tables(self) -> list[str]:
        return sorted(inspect(self.engine).get_table_names())

    # -- cases and places ---------------------------------------------------------------

    def create_case(self, name: str, analyst: str, source: str, title: str = "", description: str = "") -> Case:
        with self.session() as s:
            if s.scalar(select(Case).where(Case.name == name)) is not None:
                raise StoreError(f"a case named {name!r} exists already")
            case = Case(name=name, title=title, description=description, **_audit(analyst, source))
            s.add(case)
        return case

    def case(self, name: str) -> Case:
        with self.session() as s:
            case = s.scalar(select(Case).where(Case.name == name, Case.deleted_at.is_(None)))
        if case is None:
            raise StoreError(f"no case named {name!r}")
        return case

    def cases(self) -> list[Case]:
        with self.session() as s:
            return list(s.scalars(select(Case).where(Case.deleted_at.is_(None)).order_by(Case.name)))

    def upsert_place(self, name: str, kind: str, lon: float, lat: float, analyst: str, source: str,
                     radius_m: float | None = None, geometry: dict[str, Any] | None = None,
                     aliases: tuple[str, ...] = ()) -> Place:
        if kind not in PLACE_KINDS:
            raise StoreError(f"place {name!r}: kind {kind!r} is not one of {', '.join(PLACE_KINDS)}")
        _check_lonlat(lon, lat, f"place {name!r}")
        if geometry is None and (radius_m is None or radius_m <= 0):
            raise StoreError(f"place {name!r}: give a polygon or a point with a radius in metres")
        with self.session() as s:
            place = s.scalar(select(Place).where(Place.name == name))
            values = dict(kind=kind, lon=lon, lat=lat, radius_m=radius_m,
                          geometry_geojson=json.dumps(geometry) if geometry else None, aliases="|".join(aliases))
            if place is None:
                place = Place(name=name, **values, **_audit(analyst, source))
                s.add(place)
            else:
                for k, v in values.items():
                    setattr(place, k, v)
                place.source, place.updated_by, place.updated_at = source, analyst, datetime.now(UTC)
        return place

    def places(self) -> list[Place]:
        with self.session() as s:
            return list(s.scalars(select(Place).where(Place.deleted_at.is_(None)).order_by(Place.name)))

    def place(self, name: str) -> Place:
        wanted = name.casefold()
        for p in self.places():
            if p.name.casefold() == wanted or wanted in (a.casefold() for a in p.aliases.split("|") if a):
                return p
        raise StoreError(f"no place named {name!r}; known: {', '.join(p.name for p in self.places())}")

    # -- observations -------------------------------------------------------------------

    def add_sighting(self, analyst: str, source: str, observed_at: datetime, *, case: str | None = None,
                     place: str | None = None, **fields: Any) -> tuple[Sighting, bool]:
        """Record a sighting; returns it and whether it is new (the same sighting twice is one)."""
        _check_time(observed_at, "sighting")
        _check_confidence(fields.get("confidence", "likely"))
        if fields.get("lon") is not None or fields.get("lat") is not None:
            _check_lonlat(fields.get("lon"), fields.get("lat"), "sighting")
        if not (fields.get("vessel_name") or fields.get("imo") or fields.get("mmsi") or fields.get("vessel_type")):
            raise StoreError("a sighting names the vessel (name, IMO or MMSI) or describes it (vessel_type)")
        case_id = self.case(case).id if case else None
        place_id = self.place(place).id if place else None
        uid = observation_uid("sighting", observed_at, case_id, place_id, fields)
        return self._add(Sighting, uid, analyst, source, observed_at=observed_at, case_id=case_id,
                         place_id=place_id, **fields)

    def add_count(self, analyst: str, source: str, observed_at: datetime, object_class: str, count: int, *,
                  case: str | None = None, place: str | None = None, **fields: Any) -> tuple[ObjectCount, bool]:
        _check_time(observed_at, "count")
        _check_confidence(fields.get("confidence", "likely"))
        if object_class not in OBJECT_CLASSES:
            raise StoreError(f"object class {object_class!r} is not one of {', '.join(OBJECT_CLASSES)}")
        if count < 0:
            raise StoreError(f"a count cannot be negative ({count})")
        case_id = self.case(case).id if case else None
        place_id = self.place(place).id if place else None
        uid = observation_uid("count", observed_at, case_id, place_id,
                              dict(fields, object_class=object_class, count=count))
        return self._add(ObjectCount, uid, analyst, source, observed_at=observed_at, case_id=case_id,
                         place_id=place_id, object_class=object_class, count=count, **fields)

    def _add(self, model: type[Sighting] | type[ObjectCount], uid: str, analyst: str, source: str,
             **values: Any) -> tuple[Any, bool]:
        with self.session() as s:
            existing = s.scalar(select(model).where(model.uid == uid))
            if existing is not None:
                return existing, False
            row = model(uid=uid, **values, **_audit(analyst, source))
            s.add(row)
        return row, True

    def update(self, model: type[Sighting] | type[ObjectCount], row_id: int, analyst: str,
               **values: Any) -> Any:
        with self.session() as s:
            row = cast("Sighting | ObjectCount | None", s.get(model, row_id))
            if row is None or row.deleted_at is not None:
                raise StoreError(f"no {model.__tablename__} row {row_id}")
            for k, v in values.items():
                if not hasattr(row, k) or k in ("id", "uid", "created_by", "created_at"):
                    raise StoreError(f"{model.__tablename__}: {k!r} cannot be changed")
                setattr(row, k, v)
            row.updated_by, row.updated_at = analyst, datetime.now(UTC)
        return row

    def delete(self, model: type[Sighting] | type[ObjectCount] | type[Note], row_id: int, analyst: str) -> None:
        """Deletion is recorded (who, when), not erased: evidence keeps its history."""
        with self.session() as s:
            row = cast("Sighting | ObjectCount | Note | None", s.get(model, row_id))
            if row is None or row.deleted_at is not None:
                raise StoreError(f"no {model.__tablename__} row {row_id}")
            row.deleted_by, row.deleted_at = analyst, datetime.now(UTC)

    def sightings(self, case: str | None = None) -> list[Sighting]:
        return self._list(Sighting, case)

    def counts(self, case: str | None = None) -> list[ObjectCount]:
        return self._list(ObjectCount, case)

    def _list(self, model: type[Sighting] | type[ObjectCount], case: str | None) -> list[Any]:
        q = select(model).where(model.deleted_at.is_(None)).order_by(model.observed_at, model.id)
        if case:
            q = q.where(model.case_id == self.case(case).id)
        with self.session() as s:
            return list(s.scalars(q))

    # -- notes and judgements -----------------------------------------------------------

    def add_note(self, analyst: str, source: str, subject_kind: str, subject_id: str, text: str,
                 case: str | None = None) -> Note:
        case_id = self.case(case).id if case else None
        with self.session() as s:
            note = Note(case_id=case_id, subject_kind=subject_kind, subject_id=subject_id, text=text,
                        **_audit(analyst, source))
            s.add(note)
        return note

    def judge(self, analyst: str, source: str, finding_id: str, verdict: str, text: str = "",
              case: str | None = None) -> Judgement:
        if verdict not in VERDICTS:
            raise StoreError(f"verdict {verdict!r} is not one of {', '.join(VERDICTS)}")
        case_id = self.case(case).id if case else None
        with self.session() as s:
            j = Judgement(case_id=case_id, finding_id=finding_id, verdict=verdict, text=text, **_audit(analyst, source))
            s.add(j)
        return j


def observation_uid(kind: str, observed_at: datetime, case_id: int | None, place_id: int | None,
                    fields: dict[str, Any]) -> str:
    """A stable id: the hash of what defines the observation (not who entered it or when)."""
    doc = {"kind": kind, "observed_at": observed_at.astimezone(UTC).isoformat(), "case": case_id,
           "place": place_id, **{k: v for k, v in sorted(fields.items()) if v is not None and k != "note"}}
    return hashlib.sha256(json.dumps(doc, sort_keys=True, default=str).encode()).hexdigest()[:32]


def _audit(analyst: str, source: str) -> dict[str, Any]:
    if not analyst.strip():
        raise StoreError("every write names its analyst")
    if not source.strip():
        raise StoreError("every write names its source (image id, file, report, ...)")
    return {"created_by": analyst, "created_at": datetime.now(UTC), "source": source}


def _check_time(when: datetime, what: str) -> None:
    if when.tzinfo is None:
        raise StoreError(f"{what}: time {when.isoformat()} has no time zone (give UTC, e.g. 2023-08-15T06:00:00Z)")


def _check_lonlat(lon: float | None, lat: float | None, what: str) -> None:
    if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise StoreError(f"{what}: position ({lon}, {lat}) is not a WGS84 lon/lat")


def _check_confidence(word: str) -> None:
    if word not in CONFIDENCE_WORDS:
        raise StoreError(f"confidence {word!r} is not one of: {', '.join(CONFIDENCE_WORDS)}")
