"""The case store on SQLite and PostgreSQL: migrations, audit fields, idempotent observations."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from darkfleet.cases.imports import import_observations
from darkfleet.cases.models import ObjectCount, Sighting
from darkfleet.cases.store import CaseStore, StoreError

T = datetime(2023, 8, 20, 2, 30, tzinfo=UTC)


def seeded(store: CaseStore) -> CaseStore:
    store.create_case("orient-express", "ana", "test", title="Najin–Dunai shipments")
    store.upsert_place("Najin", "port", 130.300, 42.233, "ana", "World Port Index", radius_m=3000,
                       aliases=("Rajin",))
    return store


def test_migrations_create_every_table(store: CaseStore) -> None:
    assert {"cases", "places", "sightings", "object_counts", "notes", "judgements", "alembic_version"} <= set(
        store.tables())


def test_rows_carry_who_when_and_source(store: CaseStore) -> None:
    seeded(store)
    s, new = store.add_sighting("ana", "Planet SkySat 20230820_023000", T, case="orient-express", place="Rajin",
                                vessel_name="ANGARA", imo=9179842, confidence="highly likely", image_id="ss-1")
    assert new and s.created_by == "ana" and s.source.startswith("Planet")
    assert s.created_at.tzinfo is not None and abs(s.created_at - datetime.now(UTC)) < timedelta(minutes=1)
    [back] = store.sightings("orient-express")
    assert back.observed_at == T and back.observed_at.tzinfo is not None
    assert back.place_id == store.place("Najin").id


def test_the_same_observation_twice_is_one(store: CaseStore) -> None:
    seeded(store)
    a, new_a = store.add_count("ana", "img-7", T, "container", 120, case="orient-express", place="Najin",
                               site="quay", size_class="20ft", colour="blue")
    b, new_b = store.add_count("bob", "img-7 again", T, "container", 120, case="orient-express", place="Najin",
                               site="quay", size_class="20ft", colour="blue")
    assert (new_a, new_b) == (True, False) and a.uid == b.uid
    assert len(store.counts("orient-express")) == 1


def test_update_and_delete_are_recorded_not_erased(store: CaseStore) -> None:
    seeded(store)
    c, _ = store.add_count("ana", "img-1", T, "railcar", 70, place="Najin", site="rail siding")
    store.update(ObjectCount, c.id, "bob", count=73)
    [row] = store.counts()
    assert row.count == 73 and row.updated_by == "bob" and row.created_by == "ana"
    store.delete(ObjectCount, c.id, "carol")
    assert store.counts() == []
    with pytest.raises(StoreError, match="no object_counts row"):
        store.update(ObjectCount, c.id, "bob", count=1)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.add_sighting("ana", "x", T.replace(tzinfo=None), vessel_name="A"), "no time zone"),
        (lambda s: s.add_sighting("", "x", T, vessel_name="A"), "names its analyst"),
        (lambda s: s.add_sighting("ana", " ", T, vessel_name="A"), "names its source"),
        (lambda s: s.add_sighting("ana", "x", T), "names the vessel"),
        (lambda s: s.add_sighting("ana", "x", T, vessel_name="A", confidence="sure"), "confidence"),
        (lambda s: s.add_sighting("ana", "x", T, vessel_name="A", lon=200.0, lat=1.0), "not a WGS84"),
        (lambda s: s.add_count("ana", "x", T, "tank", 3), "object class"),
        (lambda s: s.add_count("ana", "x", T, "container", -1), "negative"),
        (lambda s: s.add_sighting("ana", "x", T, vessel_name="A", place="Atlantis"), "no place named"),
        (lambda s: s.upsert_place("Dunai", "harbour", 132.34, 42.88, "ana", "x", radius_m=1), "kind"),
        (lambda s: s.upsert_place("Dunai", "port", 132.34, 42.88, "ana", "x"), "polygon or a point"),
        (lambda s: s.create_case("orient-express", "ana", "x"), "exists already"),
        (lambda s: s.judge("ana", "x", "f1", "maybe"), "verdict"),
    ],
)
def test_bad_input_is_refused_with_a_reason(store: CaseStore, call, message: str) -> None:  # type: ignore[no-untyped-def]
    seeded(store)
    with pytest.raises(StoreError, match=message):
        call(store)


def test_import_csv_and_geojson(store: CaseStore, tmp_path: Path) -> None:
    seeded(store)
    csv = tmp_path / "obs.csv"
    csv.write_text(
        "kind,observed_at,place,vessel_name,imo,object_class,count,size_class,colour,image_id,confidence\n"
        "sighting,2023-08-20T02:30:00Z,Najin,ANGARA,9179842,,,,,ss-1,highly likely\n"
        "count,2023-08-20T02:30:00Z,Najin,,,container,118,20ft,blue,ss-1,likely\n"
    )
    rep = import_observations(store, csv, "ana", case="orient-express")
    assert (rep.read, rep.added, rep.already) == (2, 2, 0)
    again = import_observations(store, csv, "ana", case="orient-express")
    assert (again.added, again.already) == (0, 2)
    geo = tmp_path / "obs.geojson"
    geo.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [132.34, 42.87]},
         "properties": {"observed_at": "2023-08-23T01:00:00Z", "vessel_type": "general cargo", "length_m": 100,
                        "colours": "blue hull, white superstructure", "confidence": "realistic possibility"}}]}))
    assert import_observations(store, geo, "ana").added == 1
    assert [s.vessel_type for s in store.sightings()] == [None, "general cargo"]


def test_import_errors_name_file_line_and_field(store: CaseStore, tmp_path: Path) -> None:
    seeded(store)
    bad = tmp_path / "bad.csv"
    bad.write_text("observed_at,vessel_name,imo\n2023-08-20T02:30:00Z,ANGARA,9179842\n2023-08-21,MARIA,x\n")
    with pytest.raises(StoreError, match=r"bad.csv: line 3: field 'observed_at': no time zone"):
        import_observations(store, bad, "ana")
    bad.write_text("observed_at,vessel_name,imo\n2023-08-20T02:30:00Z,MARIA,85x\n")
    with pytest.raises(StoreError, match=r"line 2: field 'imo': '85x' is not a int"):
        import_observations(store, bad, "ana")


def test_notes_and_judgements(store: CaseStore) -> None:
    seeded(store)
    note = store.add_note("ana", "analyst", "sighting", "1", "hull colour matches ANGARA", case="orient-express")
    j = store.judge("bob", "review", "finding-abc", "accepted", "agree", case="orient-express")
    assert note.id and j.verdict == "accepted"


def test_default_store_lives_in_the_lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from darkfleet.cases.store import ENV_URL, store_url

    monkeypatch.delenv(ENV_URL, raising=False)
    assert store_url(tmp_path) == f"sqlite:///{tmp_path.resolve()}/cases.sqlite"
    assert store_url(tmp_path, "postgresql+psycopg://x/y") == "postgresql+psycopg://x/y"
    s = CaseStore.open(store_url(tmp_path))
    assert (tmp_path / "cases.sqlite").exists() and "sightings" in s.tables()
    assert Sighting.__tablename__ == "sightings"


def test_case_commands(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from darkfleet.cli import app

    run = CliRunner().invoke
    lake = str(tmp_path / "lake")
    assert run(app, ["case", "create", "orient", "--lake", lake, "--analyst", "ana"]).exit_code == 0
    res = run(app, ["case", "place", "Najin", "--lake", lake, "--analyst", "ana", "--kind", "port",
                    "--lon", "130.3", "--lat", "42.233", "--source", "World Port Index"])
    assert res.exit_code == 0, res.output
    obs = tmp_path / "o.csv"
    obs.write_text("kind,observed_at,place,vessel_name,object_class,count\n"
                   "sighting,2023-08-20T02:30:00Z,Najin,ANGARA,,\ncount,2023-08-20T02:30:00Z,Najin,,container,118\n")
    res = run(app, ["case", "import", str(obs), "--lake", lake, "--analyst", "ana", "--case", "orient", "--json"])
    assert json.loads(res.stdout) == [{"path": str(obs), "read": 2, "added": 2, "already": 0}]
    res = run(app, ["case", "show", "orient", "--lake", lake, "--json"])
    assert [r["what"] for r in json.loads(res.stdout)] == ["ANGARA", "118 container"]
    res = run(app, ["case", "create", "orient", "--lake", lake, "--analyst", "ana"])
    assert res.exit_code == 2 and "exists already" in res.output
