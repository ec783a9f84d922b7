"""FtM JSON lines, the watchlist CSV and analyst facts: small files the tests write."""

from __future__ import annotations

import io
import json

import pytest

from darkfleet.sanctions.facts import FactsError, read_facts
from darkfleet.sanctions.ftm_json import load_ftm_json, write_ftm_json
from darkfleet.sanctions.watchlist import WatchlistError, read_watchlist


def test_ftm_json_lines(tmp_path):
    lines = [
        {"id": "os-1", "schema": "Vessel", "datasets": ["os_test"], "target": True,
         "properties": {"name": ["ANGARA"], "imoNumber": ["IMO9179842"], "flag": ["ru"]}},
        {"id": "os-2", "schema": "Vessel", "datasets": ["os_test"],
         "properties": {"name": ["BADCHECK"], "imoNumber": ["9179843"]}},
        {"id": "os-3", "schema": "Company", "datasets": ["os_test"],
         "properties": {"name": ["M LEASING LLC"]}},
        {"id": "os-4", "schema": "NoSuchSchema", "properties": {}},
    ]  # fmt: skip
    path = tmp_path / "entities.ftm.json"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\nnot json\n")
    loaded = load_ftm_json(path)
    assert loaded.list_name == "os_test"
    assert [e.id for e in loaded.entities] == ["os-1", "os-2", "os-3"]
    assert loaded.entities[0].context.get("target") is True
    # A failing check digit is kept and reported, never silently dropped.
    assert loaded.entities[1].get("imoNumber") == ["IMO9179843"]
    assert [c.imo for c in loaded.report.failed_check_digits] == ["9179843"]
    assert [line for line, _ in loaded.report.skipped] == [4, 5]
    assert "entities.ftm.json:5" in loaded.report.skipped[1][1]
    out = io.StringIO()
    assert write_ftm_json(loaded.entities, out) == 3
    again = tmp_path / "again.json"
    again.write_text(out.getvalue())
    assert [e.to_dict() for e in load_ftm_json(again).entities] == [e.to_dict() for e in loaded.entities]


def test_watchlist(tmp_path):
    path = tmp_path / "watch.csv"
    path.write_text("name,imo,mmsi,note\nANGARA,9179842,,ro-ro\nMAIA,,273123456,UK DI images\n")
    loaded = read_watchlist(path)
    assert loaded.list_name == "watchlist" and len(loaded.entities) == 2
    angara = loaded.entities[0]
    assert angara.get("imoNumber") == ["IMO9179842"] and angara.get("topics") == ["poi"]
    assert loaded.entities[1].get("mmsi") == ["273123456"]


def test_watchlist_errors_name_file_line_field(tmp_path):
    path = tmp_path / "watch.csv"
    path.write_text("name,imo,mmsi,note\nX,917984,,\nY,,12345,\n")
    with pytest.raises(WatchlistError) as exc:
        read_watchlist(path)
    message = str(exc.value)
    assert f"{path}:2: imo: '917984'" in message and f"{path}:3: mmsi: '12345'" in message
    (tmp_path / "w2.csv").write_text("vessel,imo\n")
    with pytest.raises(WatchlistError, match="missing column"):
        read_watchlist(tmp_path / "w2.csv")


FACTS = """fact,subject,subject_imo,object,object_imo,start_date,end_date,source,source_url,note
owner,MARIA,8517839,MARINE TRANS SHIPPING LLC,,2023-08,,RUSI,https://rusi.org,
listed,MARIA,8517839,us_ofac_sdn,,2023-12,,REFERENCE-CASE.md,,
manager,MARIA,8517839,SOME MANAGER LLC,,,,analyst,,
"""


def test_facts(tmp_path):
    path = tmp_path / "facts.csv"
    path.write_text(FACTS)
    loaded = read_facts(path)
    by_schema = {}
    for e in loaded.entities:
        by_schema.setdefault(e.schema.name, []).append(e)
    (vessel,) = by_schema["Vessel"]
    assert vessel.get("imoNumber") == ["IMO8517839"]
    (own,) = by_schema["Ownership"]
    assert own.get("asset") == [vessel.id] and own.get("publisher") == ["RUSI"]
    assert own.get("startDate") == ["2023-08"]
    (sanction,) = by_schema["Sanction"]
    assert sanction.get("listingDate") == ["2023-12"] and sanction.get("authority") == ["us_ofac_sdn"]
    (link,) = by_schema["UnknownLink"]
    assert link.get("role") == ["manager"]
    assert read_facts(path).entities[0].id == vessel.id  # deterministic ids


def test_facts_need_sources_and_valid_values(tmp_path):
    path = tmp_path / "facts.csv"
    path.write_text(
        "fact,subject,subject_imo,object,start_date,source\n"
        "owner,MARIA,8517830,X LLC,2023-08,\n"
        "sold,MARIA,,X LLC,August,RUSI\n"
    )
    with pytest.raises(FactsError) as exc:
        read_facts(path)
    message = str(exc.value)
    assert f"{path}:2: subject_imo" in message and f"{path}:2: source" in message
    assert f"{path}:3: fact: 'sold'" in message and f"{path}:3: start_date" in message
