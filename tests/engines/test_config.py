from pathlib import Path

import pytest

from darkfleet.engines.config import DetectConfig, load_config


def test_defaults_cite_gfw_values() -> None:
    c = DetectConfig()
    assert (c.gaps.min_gap_h, c.port_visits.entry_radius_km, c.port_visits.exit_radius_km) == (12.0, 3.0, 4.0)
    assert (c.encounters.max_distance_m, c.encounters.min_duration_h, c.loitering.min_shore_nm) == (500.0, 2.0, 20.0)


def test_toml_overrides(tmp_path: Path) -> None:
    path = tmp_path / "detect.toml"
    path.write_text("[gaps]\nmin_gap_h = 6.0\n[port_visits]\nentry_radius_km = 2.0\n")
    c = load_config(path)
    assert c.gaps.min_gap_h == 6.0 and c.port_visits.entry_radius_km == 2.0 and c.stops == DetectConfig().stops


@pytest.mark.parametrize(("text", "message"), [
    ("[gapz]\nmin_gap_h = 1\n", r"unknown table \[gapz\]"),
    ("[gaps]\nmin_gap_hours = 1\n", r"\[gaps\] has unknown key\(s\) \['min_gap_hours'\]"),
    ("[port_visits]\nentry_radius_km = 9.0\n", "exit is the outer ring"),
    ("[gaps\n", "not valid TOML"),
])
def test_bad_config_names_file_table_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        load_config(path)
    assert "bad.toml" in str(info.value)
