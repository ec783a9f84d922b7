"""Case-store tests run on SQLite, and on PostgreSQL when a server is reachable.

CI (``.ci/run``) starts a PostgreSQL server on 127.0.0.1 and sets DARKFLEET_TEST_PG_URL; a
developer without one sees the PostgreSQL cases skipped with a message.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from darkfleet.cases.store import CaseStore

PG_URL = os.environ.get("DARKFLEET_TEST_PG_URL", "postgresql+psycopg://darkfleet:darkfleet@127.0.0.1:5432/darkfleet")


def _pg_available() -> str | None:
    try:
        eng = create_engine(PG_URL, connect_args={"connect_timeout": 2})
        with eng.connect() as c:
            c.execute(text("SELECT 1"))
        eng.dispose()
        return None
    except Exception as exc:  # noqa: BLE001  any failure means: no server to test against
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CaseStore]:
    if request.param == "sqlite":
        yield CaseStore.open(f"sqlite:///{tmp_path / 'cases.sqlite'}")
        return
    why = _pg_available()
    if why is not None:
        if os.environ.get("CI") and os.environ.get("DARKFLEET_TEST_PG_URL"):
            pytest.fail(f"CI set DARKFLEET_TEST_PG_URL but PostgreSQL is not reachable: {why}")
        pytest.skip(f"no PostgreSQL server reachable at {PG_URL} ({why}); .ci/run starts one")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    url = PG_URL + ("&" if "?" in PG_URL else "?") + f"options=-csearch_path%3D{schema}"
    s = CaseStore.open(url)
    yield s
    s.engine.dispose()
    with admin.begin() as c:
        c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()
