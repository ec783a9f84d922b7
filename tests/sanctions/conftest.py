"""Shared fixtures: the real lists in ../shared/data, loaded once per session."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from darkfleet.sanctions.ofac import load_ofac
from darkfleet.sanctions.records import LoadedList
from darkfleet.sanctions.vessel_index import ListedEntity, VesselIndex, build_vessel_index

# tests/sanctions/conftest.py -> repo root is parents[2]; the shared data sits beside the repo.
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
SDN_CSV = DATA / "sanctions" / "ofac_sdn_2024-05-03.csv"
SDN_DATE = date(2024, 5, 3)


def need(path: Path) -> Path:
    """Skip the test, saying which file is missing, when the shared data is not there."""
    if not path.exists():
        pytest.skip(f"real data not found: {path.resolve()} (see ../shared/data/README.md)")
    return path


@pytest.fixture(scope="session")
def sdn() -> LoadedList:
    return load_ofac(need(SDN_CSV))


@pytest.fixture(scope="session")
def sdn_index(sdn: LoadedList) -> VesselIndex:
    return build_vessel_index(
        [ListedEntity(e, "us_ofac_sdn", SDN_DATE, "us_ofac_sdn@2024-05-03") for e in sdn.entities]
    )
