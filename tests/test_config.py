"""Parameter overrides from TOML: applied, validated, errors naming file, table and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from darkfleet.config import table_params
from darkfleet.sanctions.screen import ScreenParams


def test_a_table_overrides_its_dataclass(tmp_path: Path) -> None:
    f = tmp_path / "darkfleet.toml"
    f.write_text("[screen]\nalert_score = 0.8\n[gaps]\nmin_gap_h = 6.0\n")
    p = table_params(f, "screen", ScreenParams())
    assert p.alert_score == 0.8 and p.imo_weight == ScreenParams().imo_weight
    assert table_params(None, "screen", ScreenParams()) == ScreenParams()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[screen]\nalert = 0.8\n", r"\[screen\] has unknown key\(s\) \['alert'\]"),
        ("[screen]\nreport_score = 0.9\nalert_score = 0.8\n", r"\[screen\]: need 0 < report_score"),
        ("[screen\n", "not valid TOML"),
    ],
)
def test_errors_name_the_file_table_and_key(tmp_path: Path, text: str, message: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(ValueError, match=message) as info:
        table_params(f, "screen", ScreenParams())
    assert "bad.toml" in str(info.value)
