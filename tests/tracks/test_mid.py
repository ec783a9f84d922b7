import csv
from pathlib import Path

import pytest

from darkfleet.tracks.mid import flag_code_of, flag_of, mid_of, mid_table, parent_code_of


def test_mid_table_matches_shared_copy(shared_data: Path) -> None:
    with (shared_data / "geo" / "mid.csv").open() as fh:
        ref = {int(r["prefix"]): r["country"].strip() for r in csv.DictReader(fh)}
    ours = dict(mid_table().select("mid", "flag_state").iter_rows())
    assert ours == ref


def test_every_mid_has_an_iso_code() -> None:
    t = mid_table()
    assert t["iso2"].null_count() == 0
    assert t["iso2"].str.contains(r"^[a-z]{2}$").all()
    # territories carry the code of the country the ITU lists them under
    territories = t.filter(t["flag_state"].str.contains(" - "))
    assert territories.height > 30 and territories["parent_iso2"].null_count() == 0


def test_mid_of_station_forms() -> None:
    assert mid_of([273123456, 445000001, 2731234, 27312345, 111273100, 992731234, 974000001]).tolist() == [
        273, 445, 273, 273, 273, 273, -1]


def test_flag_of() -> None:
    flags = flag_of([273123456, 445000001, 636012345, 100000000]).to_list()
    assert flags[0] == "Russian Federation"
    assert flags[1] == "Democratic People's Republic of Korea"
    assert flags[2].startswith("Liberia")
    assert flags[3] is None


@pytest.mark.parametrize(("mmsi", "iso2", "parent"), [
    (273123456, "ru", None), (445000001, "kp", None), (636012345, "lr", None), (620123456, "km", None),
    (236000001, "gi", "gb"), (477000001, "hk", "cn"), (745000001, "gf", "fr"), (100000000, None, None),
])
def test_flag_codes(mmsi: int, iso2: str | None, parent: str | None) -> None:
    assert flag_code_of([mmsi]).to_list() == [iso2]
    assert parent_code_of([mmsi]).to_list() == [parent]
