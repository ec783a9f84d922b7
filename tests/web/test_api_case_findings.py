"""A lake with two cases: each case shows the findings reconstructed for it (and those without a case)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from tests.web.conftest import auth, make_token


def test_a_case_shows_its_own_findings(tmp_path: Path) -> None:
    from darkfleet.cases.store import CaseStore, store_url
    from darkfleet.web.app import create_app

    lake = tmp_path / "lake"
    lake.mkdir()
    store = CaseStore.open(store_url(lake))
    for name in ("north", "south"):
        store.create_case(name, analyst="test", source="test")
    findings = [{"id": f"f-{case}", "kind": "round_trips", "claim": f"claim of {case}", "case": case,
                 "start": "2023-08-15T00:00:00Z", "end": "2023-09-15T00:00:00Z", "evidence": []}
                for case in ("north", "south")]
    findings.append({"id": "f-any", "kind": "cargo_flow", "claim": "written without a case", "evidence": []})
    (lake / "findings.json").write_text(json.dumps(findings), encoding="utf-8")
    client = TestClient(create_app(lake))
    client.headers.update(auth(make_token(lake, "viewer")))
    for case, other in (("north", "south"), ("south", "north")):
        ids = {f["id"] for f in client.get(f"/api/cases/{case}").json()["findings"]}
        assert ids == {f"f-{case}", "f-any"}, (case, ids)
        assert f"f-{other}" not in ids
