import csv
from pathlib import Path

from darkfleet.tracks.mid import flag_of, mid_of, mid_table


def test_mid_table_matches_shared_copy(shared_data: Path) -> None:
    with (shared_data / "geo" / "mid.csv").open() as fh:
        ref = {int(r["prefix"]): r["country"].strip() for r in csv.DictReader(fh)}
    ours = dict(mid_table().iter_rows())
    assert ours == ref


def test_mid_of_station_forms() -> None:
    assert mid_of([273123456, 445000001, 2731234, 27312345, 111273100, 992731234, 974000001]).tolist() == [
        273, 445, 273, 273, 273, 273, -1]


def test_flag_of() -> None:
    flags = flag_of([273123456, 445000001, 636012345, 100000000]).to_list()
    assert flags[0] == "Russian Federation"
    assert flags[1] == "Democratic People's Republic of Korea"
    assert flags[2].startswith("Liberia")
    assert flags[3] is None
