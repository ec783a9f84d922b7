"""The vessel-v1 features, one at a time, against the real SDN index."""

from __future__ import annotations

import polars as pl
import pytest

from darkfleet.sanctions.screen import FEATURES, ScreenParams, screen_vessels
from darkfleet.sanctions.vessel_index import VesselIndex

ANGARA = "ofac-sdn-37059"


def run(index: VesselIndex, **query: object) -> pl.DataFrame:
    cols = {"query_id": [0], **{k: [v] for k, v in query.items()}}
    return screen_vessels(pl.DataFrame(cols), index)


def top(result: pl.DataFrame, entity_id: str = ANGARA) -> dict:
    rows = result.filter(pl.col("entity_id") == entity_id).to_dicts()
    assert rows, f"{entity_id} not among {result['entity_id'].to_list()}"
    row = rows[0]
    row["fired"] = {f["feature"]: f["value"] for f in row["features"]}
    return row


def test_imo_alone(sdn_index):
    row = top(run(sdn_index, imo="9179842"))
    assert row["score"] == 1.0 and row["fired"] == {"imo_match": 1.0}


def test_name_variants(sdn_index):
    for name in ("ANGARA", "m/v angara", "АНГАРА", "ANGARA."):
        row = top(run(sdn_index, name=name))
        assert row["fired"] == {"name_match": 0.9} and row["alert"]
    row = top(run(sdn_index, name="ANGRA"))
    assert row["fired"]["name_match"] == pytest.approx(0.855) and row["alert"]


def test_conflicting_imo_kills_a_name_match(sdn_index):
    # ADLER's IMO with ANGARA's name: a different ship (logic-v2 scores this 1.0).
    result = run(sdn_index, name="ANGARA", imo="9179854")
    assert ANGARA not in result["entity_id"].to_list()  # 0.9 - 0.5: below report_score
    assert top(result, "ofac-sdn-37057")["fired"]["imo_match"] == 1.0  # ADLER, by its IMO
    loose = screen_vessels(
        pl.DataFrame({"query_id": [0], "name": ["ANGARA"], "imo": ["9179854"]}),
        sdn_index,
        ScreenParams(report_score=0.3, alert_score=0.75),
    )
    row = top(loose)
    assert row["fired"]["imo_mismatch"] == -0.5 and not row["alert"]


def test_invalid_query_imo_is_ignored_not_repaired(sdn_index):
    result = run(sdn_index, name="ANGARA", imo="917984")
    row = top(result)
    assert row["query_imo_invalid"] and "imo_mismatch" not in row["fired"]
    assert run(sdn_index, imo="0917984").height == 0


def test_mmsi_match_and_reflag_tolerance(sdn_index):
    row = top(run(sdn_index, mmsi="572469210"), "ofac-sdn-15036")  # ARTAVIL
    assert row["fired"] == {"mmsi_match": 0.95}
    # IMO matches but MMSI and flag differ: what a reflagged ship looks like; still 1.0.
    row = top(run(sdn_index, name="ARTAVIL", imo="9187629", mmsi="367000001"), "ofac-sdn-15036")
    assert row["score"] == 1.0


def test_flag_type_callsign_qualify_name_matches(sdn_index):
    # A US tug named ANGARA: flag and type contradict the listed Russian ro-ro.
    row = top(run(sdn_index, name="ANGARA", mmsi="367000001", ship_type="52"))
    assert row["fired"]["flag_mismatch"] == -0.2 and row["fired"]["type_mismatch"] == -0.2
    assert not row["alert"]
    row = top(run(sdn_index, name="MARIA", callsign="UBRH7", mmsi="273000001", ship_type="70"),
              "ofac-sdn-46773")  # fmt: skip
    assert {"callsign_match", "flag_match", "type_match"} <= set(row["fired"])
    assert row["score"] == 1.0


def test_numbers_must_agree(sdn_index):
    result = run(sdn_index, name="SEA STAR 4")
    assert all(r["matched_name"] != "SEA STAR III" for r in result.to_dicts())


def test_every_feature_documented():
    assert set(FEATURES) == {
        "imo_match", "mmsi_match", "name_match", "imo_mismatch", "mmsi_mismatch",
        "callsign_match", "callsign_mismatch", "flag_match", "flag_mismatch", "type_match",
        "type_mismatch",
    }  # fmt: skip


def test_params_validated():
    with pytest.raises(ValueError):
        ScreenParams(alert_score=0.4, report_score=0.5)
    with pytest.raises(ValueError):
        ScreenParams(imo_mismatch=0.1)


def test_party_screening_with_logic_v2(sdn):
    from datetime import date

    from darkfleet.sanctions.parties import build_party_index, party_query, screen_party
    from darkfleet.sanctions.vessel_index import ListedEntity

    index = build_party_index([ListedEntity(e, "us_ofac_sdn", date(2024, 5, 3), "v") for e in sdn.entities])
    found = screen_party(party_query("Marine Trans Shipping, LLC", "Company"), index)
    assert found[0].item.entity.id == "ofac-sdn-37066"
    assert any(f[0] == "name_match" for f in found[0].features)
    by_tax = screen_party(party_query("M-Leasing", "Company", taxNumber=["9701173086"]), index)
    assert by_tax[0].item.entity.id == "ofac-sdn-37065"
    assert screen_party(party_query("Acme Bakery Ltd", "Company"), index) == []
