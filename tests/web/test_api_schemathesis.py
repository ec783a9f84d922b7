"""Schemathesis against the app's own OpenAPI spec (ASGI, in process), as an admin: no 5xx, ever.

Bounded so it runs in well under a minute: ``MAX_EXAMPLES`` generated cases per operation, no
shrinking. ``POST /api/admin/detect`` is left out (one detection run takes half a minute; it is
exercised in test_api_write.py). It runs on a copy of the demo lake, since it writes.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.web.conftest import auth, make_token

MAX_EXAMPLES = 12


@pytest.fixture(scope="module")
def fuzz_lake(demo_lake: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("fuzz") / "lake"
    shutil.copytree(demo_lake, copy, ignore=lambda d, names: ["raw"] if Path(d) == demo_lake else [])
    return copy


@pytest.fixture(scope="module")
def admin_headers(fuzz_lake: Path) -> dict[str, str]:
    return auth(make_token(fuzz_lake, "admin", "fuzzer"))


@pytest.fixture(scope="module")
def api_schema(fuzz_lake: Path) -> Any:
    from darkfleet.web.app import create_app

    return schemathesis.openapi.from_asgi("/openapi.json", create_app(fuzz_lake)).exclude(path="/api/admin/detect")


def test_no_server_error(api_schema: Any, admin_headers: dict[str, str]) -> None:
    """Every operation, with valid (positive) and invalid (negative) generated requests."""
    failures: list[str] = []
    calls = 0
    for result in api_schema.get_all_operations():
        op = result.ok()
        strategies = []
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                strategies.append(op.as_strategy(mode))
            except Exception as exc:  # an operation with nothing to make invalid
                if mode is GenerationMode.POSITIVE:
                    raise AssertionError(f"{op.label}: no strategy ({exc})") from exc

        @given(case=st.one_of(*strategies))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            nonlocal calls
            calls += 1
            response = case.call(headers=admin_headers, timeout=120)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query}: {response.status_code} "
                                f"{response.text[:300]}")
            elif response.status_code >= 400:
                body = response.json()
                assert body["error"]["status"] == response.status_code and body["error"]["message"]

        run()
    assert calls > 100
    assert not failures, "\n".join(failures)
