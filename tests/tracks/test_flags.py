from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from darkfleet.events.identity import IdentityParams, detect_identity_changes
from darkfleet.tracks.flags import flag_code, from_csv, from_sanctions


@pytest.mark.parametrize(("text", "code"), [("Russia", "ru"), ("RU", "ru"), ("RUS", "ru"), ("Korea, North", "kp"),
                                            ("Comoros (Union of the)", "km"), ("None Identified", None), ("", None)])
def test_flag_code(text: str, code: str | None) -> None:
    assert flag_code(text) == code


def test_registry_csv(tmp_path: Path) -> None:
    path = tmp_path / "registry.csv"
    path.write_text("imo,mmsi,flag,valid_from\nIMO9179842,,Russia,2023-08-01\n,620000001,KM,\n,,Panama,\n")
    d = from_csv(path)
    assert d.select("imo", "mmsi", "flag").rows() == [("9179842", None, "ru"), (None, 620000001, "km")]
    assert d["valid_from"][0] == datetime(2023, 8, 1, tzinfo=UTC) and d["source"][0] == "file:registry.csv"
    bad = tmp_path / "bad.csv"
    bad.write_text("vessel,flag\n1,ru\n")
    with pytest.raises(ValueError, match="bad.csv: a flags file needs an 'mmsi' or 'imo' column"):
        from_csv(bad)


@pytest.mark.slow
def test_ofac_listed_mmsis_against_their_list_flags(shared_data: Path, tmp_path: Path) -> None:
    """The real OFAC SDN list (2024-05-03) declares flags for 154 listed MMSIs. Heard as AIS reports,
    all agree with their MIDs (past flags included) except three: a Maltese MID on a vessel listed under
    Tanzania, Tuvalu and Iran; a Panamanian one listed under Kiribati; a Liberian one listed under Gabon."""
    from darkfleet.sanctions.service import load_into_lake

    load_into_lake(tmp_path, [shared_data / "sanctions" / "ofac_sdn_2024-05-03.csv"], None, datetime.now(UTC))
    declared = from_sanctions(tmp_path)
    listed = declared.filter(pl.col("mmsi").is_not_null())["mmsi"].unique().sort()
    assert listed.len() == 154
    statics = pl.DataFrame({"mmsi": listed, "ts": datetime(2024, 5, 1, tzinfo=UTC), "name": "X"},
                           schema_overrides={"ts": pl.Datetime("us", "UTC")})
    ev = detect_identity_changes(statics, IdentityParams(), declared)
    found = {r["mmsi"]: (r["attributes"]) for r in ev.iter_rows(named=True)}
    assert sorted(found) == [256870000, 352002984, 636013272]
    assert '"old":"ir/tv/tz","new":"mt"' in found[256870000] and "sanctions:us_ofac_sdn@2024-05-03" in found[256870000]
