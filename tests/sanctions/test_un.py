from datetime import date

import pytest

from darkfleet.sanctions.un import load_un

from .conftest import DATA, need


def test_un_consolidated_list():
    un = load_un(need(DATA / "sanctions" / "un_consolidated.xml"))
    assert un.list_date == date(2026, 2, 27)
    r = un.report
    assert r.rows_read == 1_003
    assert r.entities_by_schema["Person"] == 730
    assert r.entities_by_schema["Sanction"] == 1_003
    assert not r.failed_check_digits
    first = next(e for e in un.entities if e.id == "un-sc-6907993")
    assert first.first("name") == "ERIC BADEGE"
    sanction = next(e for e in un.entities if e.id == "un-sc-sanction-6907993")
    assert sanction.first("listingDate") == "2012-12-31" and sanction.first("unscId") == "CDi.001"
    omm = [e for e in un.entities if e.has("imoNumber", quiet=True)]
    assert len(omm) == 16
    assert any(e.get("imoNumber") == ["IMO1790183"] for e in omm)  # Ocean Maritime Management


def test_not_a_un_list(tmp_path):
    bad = tmp_path / "x.xml"
    bad.write_text("<OTHER/>")
    with pytest.raises(ValueError, match="CONSOLIDATED_LIST"):
        load_un(bad)
