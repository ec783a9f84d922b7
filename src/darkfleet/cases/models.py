"""SQLAlchemy models of the case store.

Times are timezone-aware UTC in Python; ``UTCDateTime`` stores them as UTC in both SQLite
(which has no time zones) and PostgreSQL (``timestamptz``). Observations carry a ``uid``, a
hash of what defines them, so importing the same file twice adds nothing and findings can cite
observations by a stable id.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend; naive datetimes are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: darkfleet stores UTC times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


PLACE_KINDS = ("port", "military_port", "anchorage", "rail_facility", "depot", "border_crossing", "other")
OBJECT_CLASSES = ("container", "railcar", "vehicle", "boat", "other")
CONFIDENCE_WORDS = ("remote", "unlikely", "realistic possibility", "likely", "highly likely", "almost certain")
VERDICTS = ("accepted", "rejected", "uncertain")


class Base(DeclarativeBase):
    pass


class Audited:
    """Who wrote a row, when, from what; who changed or deleted it last."""

    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    source: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(200), default=None)
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    deleted_by: Mapped[str | None] = mapped_column(String(200), default=None)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


class Case(Audited, Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")


class Place(Audited, Base):
    """A watched place: a polygon (GeoJSON) or a point with a radius, and a kind."""

    __tablename__ = "places"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    radius_m: Mapped[float | None] = mapped_column(Float, default=None)
    geometry_geojson: Mapped[str | None] = mapped_column(Text, default=None)
    aliases: Mapped[str] = mapped_column(Text, default="")  # '|'-separated


class Observed(Audited):
    """What every observation from imagery has: a stable id, case, place, time, the image it
    was seen in, and the analyst's confidence."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uid: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None)
    place_id: Mapped[int | None] = mapped_column(ForeignKey("places.id"), default=None)
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    image_id: Mapped[str | None] = mapped_column(String(300), default=None)
    provider: Mapped[str | None] = mapped_column(String(100), default=None)
    image_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    confidence: Mapped[str] = mapped_column(String(40), default="likely")
    note: Mapped[str] = mapped_column(Text, default="")


class Sighting(Observed, Base):
    """A vessel seen in an image: named, or described by type, length and colours."""

    __tablename__ = "sightings"
    __table_args__ = (UniqueConstraint("uid"),)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    vessel_name: Mapped[str | None] = mapped_column(String(200), default=None)
    imo: Mapped[int | None] = mapped_column(Integer, default=None)
    mmsi: Mapped[int | None] = mapped_column(Integer, default=None)
    vessel_type: Mapped[str | None] = mapped_column(String(100), default=None)
    length_m: Mapped[float | None] = mapped_column(Float, default=None)
    colours: Mapped[str | None] = mapped_column(String(200), default=None)


class ObjectCount(Observed, Base):
    """Objects counted at a site in an image: containers by size and colour, railcars, ..."""

    __tablename__ = "object_counts"
    __table_args__ = (UniqueConstraint("uid"),)
    site: Mapped[str] = mapped_column(String(100), default="")  # quay, ship deck, rail siding, depot
    object_class: Mapped[str] = mapped_column(String(40))
    size_class: Mapped[str | None] = mapped_column(String(40), default=None)
    colour: Mapped[str | None] = mapped_column(String(40), default=None)
    count: Mapped[int] = mapped_column(Integer)


class Note(Audited, Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None)
    subject_kind: Mapped[str] = mapped_column(String(40))  # event, finding, sighting, vessel, ...
    subject_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)


class Judgement(Audited, Base):
    """An analyst's verdict on a finding."""

    __tablename__ = "judgements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), default=None)
    finding_id: Mapped[str] = mapped_column(String(200))
    verdict: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")


class ApiToken(Base):
    """A web API token (``darkfleet token add``): its name is the user every write is recorded
    under; only the SHA-256 of the token is stored, never the token itself."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # viewer | analyst | admin
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
