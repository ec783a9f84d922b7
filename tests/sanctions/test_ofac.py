"""OFAC loaders on the real files: the 2024-05-03 sdn.csv and the 2021-07 legacy four-file set."""

from __future__ import annotations

from darkfleet.sanctions.imo import vessel_check_digit_ok
from darkfleet.sanctions.ofac import load_ofac
from darkfleet.sanctions.ofac_remarks import parse_ofac_date, parse_remarks
from darkfleet.sanctions.records import LoadedList

from .conftest import DATA, need

LEGACY = DATA / "sanctions" / "ofac-legacy-2021-07"


def _by_id(loaded: LoadedList) -> dict:
    return {e.id: e for e in loaded.entities}


def test_every_row_and_vessel(sdn: LoadedList):
    r = sdn.report
    assert r.rows_read == 14_965 and not r.skipped
    assert r.entities_by_schema["Sanction"] == 14_965
    assert r.vessels == 851 == r.entities_by_schema["Vessel"]
    # Measured: 844 vessels carry an IMO number; 154 an MMSI.
    assert r.vessels_with_imo == 844
    assert r.vessels_with_mmsi == 154


def test_imo_check_digits_reported_not_dropped(sdn: LoadedList):
    vessels = [e for e in sdn.entities if e.schema.name == "Vessel"]
    imos = [v[3:] for e in vessels for v in e.get("imoNumber")]
    failing = [i for i in imos if not vessel_check_digit_ok(i)]
    assert sorted(c.imo for c in sdn.report.failed_check_digits if c.scheme == "vessel") == sorted(failing)
    # Measured on 2024-05-03: every vessel IMO number passes its check digit.
    assert failing == []
    assert len(imos) == 844


def test_reference_case_records(sdn: LoadedList):
    ents = _by_id(sdn)
    angara = ents["ofac-sdn-37059"]
    assert angara.get("name") == ["ANGARA"] and angara.get("imoNumber") == ["IMO9179842"]
    assert angara.get("flag") == ["ru"] and angara.get("type") == ["Roll-on Roll-off"]
    assert angara.get("grossRegisteredTonnage") == ["8811"]
    assert angara.get("program") == ["RUSSIA-EO14024"]
    leasing = ents["ofac-sdn-37065"]
    assert leasing.schema.name == "Company" and leasing.get("taxNumber") == ["9701173086"]
    assert leasing.get("imoNumber") == ["IMO6246853"]
    maria = ents["ofac-sdn-46773"]
    assert maria.get("callSign") == ["UBRH7"] and maria.get("buildDate") == ["1986"]
    links = {(e.first("subject"), e.first("object")) for e in sdn.entities if e.schema.name == "UnknownLink"}
    for vessel in ("37057", "37059", "37060"):  # ADLER, ANGARA, ASCALON -> M LEASING LLC
        assert (f"ofac-sdn-{vessel}", "ofac-sdn-37065") in links
    assert ("ofac-sdn-37061", "ofac-sdn-37066") in links  # POLAR ROCK -> MARINE TRANS SHIPPING


def test_mmsi_and_former_flags(sdn: LoadedList):
    artavil = next(e for e in sdn.entities if e.first("name", quiet=True) == "ARTAVIL")
    assert artavil.get("mmsi") == ["572469210"]
    assert {"mt", "tv", "tz"} <= set(artavil.get("pastFlags"))
    assert "ALPHA" in artavil.get("previousName")


def test_links_resolved_or_kept_as_stubs(sdn: LoadedList):
    r = sdn.report
    stubs = [e for e in sdn.entities if e.schema.name == "LegalEntity"]
    assert r.links_resolved > 6_000
    assert len(stubs) >= 1 and r.links_unresolved >= len(stubs)


def test_legacy_four_file_layout():
    sdn = load_ofac(need(LEGACY / "sdn.csv"))
    ents = _by_id(sdn)
    assert sdn.report.rows_read == 8_976 and not sdn.report.skipped
    assert sdn.report.vessels == 406
    # alt.csv: aliases; add.csv: addresses.
    assert "NATIONAL BANK OF CUBA" in ents["ofac-sdn-306"].get("alias")
    assert any("Zurich" in a for a in ents["ofac-sdn-306"].get("address"))
    # sdn_comments.csv continues a cut-off Remarks field: "...PROMO RAI" + "Z S.A.S.; ..."
    linked_names = {
        ents[e.first("object")].first("name")
        for e in sdn.entities
        if e.schema.name == "UnknownLink" and e.first("subject") == "ofac-sdn-12300"
    }
    assert "R D I S.A." in linked_names or any("R D I" in n for n in linked_names)
    # BONU 5 carries "IMO 15411": not seven digits, reported, not invented.
    assert ("ofac-sdn-23424", "15411") in sdn.report.malformed_imos


def test_consolidated_list():
    cons = load_ofac(need(LEGACY / "cons_prim.csv"))
    assert cons.list_name == "us_ofac_cons"
    assert cons.report.rows_read == 442 and not cons.report.skipped
    assert any(e.id.startswith("ofac-cons-") for e in cons.entities)


def test_remarks_parser_table():
    r = parse_remarks(
        "Vessel Registration Identification IMO 9179842; MMSI 273000000; "
        "f.k.a. 'OLD NAME'; a.k.a. 'OTHER'; Former Vessel Flag Malta; "
        "alt. Former Vessel Flag Tuvalu; Vessel Year of Build 1986; Linked To: X LLC; "
        "DOB 08 Feb 1938; Tax ID No. 3025037914 (Russia); Something unknown."
    )
    assert r.imo_numbers == ["9179842"] and r.mmsis == ["273000000"]
    assert r.previous_names == ["OLD NAME"] and r.aliases == ["OTHER"]
    assert r.past_flags == ["Malta", "Tuvalu"] and r.build_years == ["1986"]
    assert r.linked_to == ["X LLC"] and r.birth_dates == ["1938-02-08"]
    assert r.tax_ids == ["3025037914 (Russia)"]
    assert r.notes == ["Something unknown"]
    assert parse_remarks("-0- ").notes == []
    assert parse_ofac_date("Feb 1938") == "1938-02" and parse_ofac_date("circa 1960") is None
