"""Shared fixtures: the real public data in ../shared/data (never copied into the repo)."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA = (Path(__file__).resolve().parents[1] / ".." / "shared" / "data").resolve()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent: the real-data tests need it")
    return SHARED_DATA


def shared_files(subdir: str, suffixes: tuple[str, ...] = ()) -> list[Path]:
    """Files under ../shared/data/<subdir> for parametrisation (empty when the folder is absent)."""
    base = SHARED_DATA / subdir
    if not base.is_dir():
        return []
    files = sorted(f for f in base.rglob("*") if f.is_file())
    if suffixes:
        files = [f for f in files if f.suffix in suffixes or f.name in suffixes]
    return files
