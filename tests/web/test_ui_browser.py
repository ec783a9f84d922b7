"""The analyst UI in real headless Chromium against a real `darkfleet serve` on the demo lake.

Debian's /usr/bin/chromium is driven by Playwright's Python package (`executable_path`; no browser is
downloaded). The server runs as a subprocess on 127.0.0.1 over the session's demo lake (the
`demo_lake` fixture of tests/web/conftest.py, built in a tmp dir), so the tokens and sightings made
here never reach build/demo. Screenshots go to the test's tmp dir and to build/ui-screenshots/
(git-ignored).
"""

from __future__ import annotations

import json
import shutil
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.web.conftest import make_token, running_server

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "ui-screenshots"
ANGARA_MMSI = 273990001
USER = "ui-analyst"
# Software WebGL: headless Chromium on a machine without a GPU renders MapLibre with SwiftShader.
CHROMIUM_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox"]

pytestmark = pytest.mark.slow


@dataclass
class Server:
    base_url: str
    token: str
    lake: Path


@dataclass
class PageWatch:
    """What the page did that it should not: console errors, uncaught exceptions, requests elsewhere."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def check(self) -> None:
        assert not self.page_errors, f"uncaught exceptions in the page: {self.page_errors}"
        assert not self.console_errors, f"console errors: {self.console_errors}"
        assert not self.outside_requests, f"requests that left 127.0.0.1: {self.outside_requests}"


@pytest.fixture(scope="module")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent (Debian package chromium; `make debian` installs it)")
    pytest.importorskip("playwright.sync_api", reason="the playwright Python package (dev extra) is not installed")
    return CHROMIUM


@pytest.fixture(scope="module")
def server(demo_lake: Path) -> Iterator[Server]:
    """`darkfleet serve` on the session's demo lake (tests/web/conftest.py builds it in a tmp dir)."""
    token = make_token(demo_lake, "analyst", USER)
    with running_server(demo_lake) as base:
        yield Server(base, token, demo_lake)


@pytest.fixture()
def page(chromium: Path, server: Server) -> Iterator[tuple[object, PageWatch]]:
    from playwright.sync_api import sync_playwright

    watch = PageWatch()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        pg.on("console", lambda m: watch.console_errors.append(m.text) if m.type == "error" else None)
        pg.on("pageerror", lambda e: watch.page_errors.append(str(e)))

        def on_request(request: object) -> None:
            url = request.url  # type: ignore[attr-defined]
            watch.requests.append(url)
            parsed = urlparse(url)
            if parsed.scheme not in ("data", "blob") and parsed.hostname != "127.0.0.1":
                watch.outside_requests.append(url)

        pg.on("request", on_request)
        try:
            yield pg, watch
        finally:
            context.close()
            browser.close()


def _shot(pg: object, tmp_path: Path, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(tmp_path / name))  # type: ignore[attr-defined]
    shutil.copyfile(tmp_path / name, SCREENSHOTS / name)


def _wait_map(pg: object, condition: str) -> None:
    """Poll a JS expression over `map` (the MapLibre map) until it is truthy."""
    pg.wait_for_function(f"() => {{ const map = window.darkfleetMap; return !!map && ({condition}); }}")  # type: ignore[attr-defined]


def _api(server: Server, path: str) -> dict:
    req = urllib.request.Request(server.base_url + path, headers={"Authorization": f"Bearer {server.token}"})
    with urllib.request.urlopen(req, timeout=60) as resp:
        return json.load(resp)


def test_sign_in_search_track_case_and_sighting(page: tuple, server: Server, tmp_path: Path) -> None:
    pg, watch = page
    pg.goto(server.base_url + "/")

    # Sign in with the token box; the token is kept in localStorage.
    pg.wait_for_selector("[data-testid=signin] [data-testid=signin-token]")
    pg.fill("[data-testid=signin-token]", server.token)
    pg.click("[data-testid=signin-submit]")
    pg.wait_for_selector(f"[data-testid=user]:has-text('{USER} (analyst)')")
    assert pg.evaluate("localStorage.getItem('darkfleet.token')") == server.token
    _wait_map(pg, "map.loaded() && map.querySourceFeatures('land').length > 0")

    # Search ANGARA and select it: its track and dark legs are drawn.
    pg.fill("[data-testid=search-input]", "angara")
    pg.click("[data-testid=search-button]")
    pg.click(f"[data-testid=search-result][data-mmsi='{ANGARA_MMSI}']")
    pg.wait_for_selector("[data-testid=vessel-name]:has-text('ANGARA')")
    track = _api(server, f"/api/vessels/{ANGARA_MMSI}/track?max_points=2000")
    dark_ids = {f["properties"]["event_id"] for f in track["features"] if f["properties"]["kind"] == "dark"}
    assert dark_ids, "the demo's ANGARA has AIS gaps: the track must have dark legs"
    _wait_map(pg, "map.loaded() && map.queryRenderedFeatures({layers: ['dark-legs']}).length > 0")
    rendered = pg.evaluate("""() => {
        const map = window.darkfleetMap;
        const ids = (feats) => [...new Set(feats.map((f) => f.properties.event_id))];
        return {
            dark: ids(map.queryRenderedFeatures({layers: ['dark-legs']})),
            darkKinds: [...new Set(map.queryRenderedFeatures({layers: ['dark-legs']}).map((f) => f.properties.kind))],
            observed: map.queryRenderedFeatures({layers: ['track']}).length,
            events: map.querySourceFeatures('events').length,
            dash: map.getPaintProperty('dark-legs', 'line-dasharray'),
            darkColor: map.getPaintProperty('dark-legs', 'line-color'),
        };
    }""")
    assert set(rendered["dark"]) == dark_ids, "every dark leg of the API's track is on the map"
    assert rendered["darkKinds"] == ["dark"]
    assert rendered["observed"] > 0 and rendered["events"] > 0
    assert rendered["dash"], "dark legs are dashed"
    assert pg.locator("[data-testid=dark-leg-count]").inner_text() == f"{len(dark_ids)} dark legs"
    assert pg.locator("[data-testid=sanctions-panel] [data-testid=sanctions-match]").count() > 0
    assert pg.locator("[data-testid=event-list] [data-testid=event-item]").count() > 0

    # Events are markers with popups: click one where the map draws it.
    point = pg.evaluate("""() => {
        const map = window.darkfleetMap;
        const [f] = map.queryRenderedFeatures({layers: ['events']});
        const p = map.project(f.geometry.coordinates);
        const box = map.getCanvas().getBoundingClientRect();
        return {x: box.left + p.x, y: box.top + p.y, kind: f.properties.kind};
    }""")
    pg.mouse.click(point["x"], point["y"])
    popup = pg.locator("[data-testid=event-popup]")
    popup.wait_for()
    assert point["kind"].replace("_", " ") in popup.inner_text().lower()
    _shot(pg, tmp_path, "vessel-angara.png")
    pg.keyboard.press("Escape")

    # The time slider: the last tenth of the span keeps only the dark legs that reach into it.
    pg.evaluate("""() => {
        const el = document.querySelector('[data-testid=time-from-range]');
        el.value = '900';
        el.dispatchEvent(new Event('input'));
    }""")
    window = pg.evaluate("window.darkfleet.slider.window()")
    late = {f["properties"]["event_id"] for f in track["features"]
            if f["properties"]["kind"] == "dark" and f["properties"]["t1"] >= window["from"]}
    shown = "new Set(map.queryRenderedFeatures({layers: ['dark-legs']}).map((f) => f.properties.event_id)).size"
    _wait_map(pg, f"{shown} === {len(late)}")
    pg.evaluate("window.darkfleet.slider.setRange(window.darkfleet.slider.range)")

    # The case: findings with claims and confidence, a drawn timeline, the evidence list.
    pg.select_option("[data-testid=case-select]", "reference")
    pg.wait_for_selector("[data-testid=findings] [data-testid=finding]")
    case = _api(server, "/api/cases/reference")
    assert pg.locator("[data-testid=finding]").count() == len(case["findings"]) > 0
    assert pg.locator("[data-testid=finding-claim]").first.inner_text().strip()
    assert pg.locator("[data-testid=finding-confidence]").count() == len(case["findings"])
    assert pg.locator("[data-testid=case-timeline] [data-testid=timeline-mark]").count() > 0
    pg.wait_for_selector("[data-testid=evidence-list] > [data-testid=evidence-item]")
    before = pg.locator("[data-testid=evidence-list] > [data-testid=evidence-item]").count()
    _shot(pg, tmp_path, "case-reference.png")

    # Add a sighting by clicking the map; it appears in the evidence list with the analyst's name.
    source = f"UI test {uuid.uuid4().hex[:8]}"
    pg.click("[data-testid=case-add-observation]")
    pg.wait_for_selector("[data-testid=pick-hint]")
    box = pg.locator("[data-testid=map]").bounding_box()
    pg.mouse.click(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6)
    pg.wait_for_selector("[data-testid=observation-form] [data-testid=obs-source]")
    assert pg.locator("[data-testid=obs-case]").input_value() == "reference"
    assert pg.locator("[data-testid=obs-vessel_name]").input_value() == "ANGARA"
    pg.fill("[data-testid=obs-source]", source)
    pg.fill("[data-testid=obs-observed_at]", "2023-09-01T06:30")
    pg.click("[data-testid=obs-submit]")
    item = pg.locator("[data-testid=evidence-list] > [data-testid=evidence-item][data-kind=sighting]",
                      has_text=source)
    item.wait_for()
    assert f"by {USER}" in item.locator("[data-testid=evidence-by]").inner_text()
    assert "2023-09-01 06:30Z" in item.inner_text()
    assert pg.locator("[data-testid=evidence-list] > [data-testid=evidence-item]").count() == before + 1
    evidence = _api(server, "/api/cases/reference/evidence?limit=1000")["items"]
    assert any(e["kind"] == "sighting" and e.get("created_by") == USER and source in (e.get("source") or "")
               for e in evidence), "the sighting is in the case store, recorded with the token's user"
    _shot(pg, tmp_path, "sighting-added.png")

    # A count too, from the header's button: a count is of a place (the store keeps no point for it).
    pg.click("[data-testid=add-observation]")
    pg.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.5)
    pg.wait_for_selector("[data-testid=observation-form] [data-testid=obs-kind]")
    pg.select_option("[data-testid=obs-kind]", "count")
    pg.select_option("[data-testid=obs-object_class]", "container")
    pg.fill("[data-testid=obs-count]", "12")
    place = pg.locator("[data-testid=obs-place] option").nth(1).get_attribute("value")
    pg.select_option("[data-testid=obs-place]", place)
    pg.fill("[data-testid=obs-source]", f"{source} count")
    pg.fill("[data-testid=obs-observed_at]", "2023-09-02T04:00")
    pg.click("[data-testid=obs-submit]")
    counted = pg.locator("[data-testid=evidence-list] > [data-testid=evidence-item]", has_text=f"{source} count")
    counted.wait_for()
    assert f"by {USER}" in counted.inner_text() and "12" in counted.inner_text() and place in counted.inner_text()

    watch.check()


def test_token_from_link_fragment_and_api_errors(page: tuple, server: Server, tmp_path: Path) -> None:
    pg, watch = page
    pg.goto(f"{server.base_url}/#token={server.token}")
    pg.wait_for_selector(f"[data-testid=user]:has-text('{USER}')")
    assert "token" not in pg.evaluate("location.href"), "the token is removed from the address bar"
    assert pg.evaluate("localStorage.getItem('darkfleet.token')") == server.token

    # An error from the API is shown with the server's own message.
    pg.evaluate("window.darkfleet.selectVessel(999999999)")
    message = pg.locator("[data-testid=error-message]").first
    message.wait_for()
    assert "999999999" in message.inner_text()
    _shot(pg, tmp_path, "api-error.png")
    # the 404s just provoked are expected console noise from the browser, not from the app
    watch.console_errors = [e for e in watch.console_errors if "404" not in e]
    watch.check()


def test_bad_token_shows_sign_in_again(page: tuple, server: Server) -> None:
    pg, watch = page
    pg.goto(f"{server.base_url}/#token=not-a-real-token")
    pg.wait_for_selector("[data-testid=signin-error]:visible")
    assert pg.locator("[data-testid=signin]").is_visible()
    assert pg.evaluate("localStorage.getItem('darkfleet.token')") is None
    watch.console_errors = [e for e in watch.console_errors if "401" not in e]
    watch.check()


def test_viewer_cannot_open_the_observation_form(page: tuple, server: Server) -> None:
    pg, watch = page
    viewer = make_token(server.lake, "viewer", "ui-viewer")
    pg.goto(f"{server.base_url}/#token={viewer}")
    pg.wait_for_selector("[data-testid=user]:has-text('ui-viewer (viewer)')")
    assert pg.locator("[data-testid=add-observation]").is_disabled()
    watch.check()
