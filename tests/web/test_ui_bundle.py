"""The committed UI bundle (src/darkfleet/web/static/) must be what ui/ builds: the two cannot drift.

ui/build.mjs writes the SHA-256 of its inputs (build.mjs, package.json, package-lock.json, ui/src/**)
into the banner of app.js and app.css and into build-manifest.json, with the SHA-256 of every output.
Here the input hash is recomputed from the sources (no node needed) and each output is checked against
the manifest; when node and ui/node_modules are present the bundle is also rebuilt and compared byte
for byte. After changing ui/, run `make ui` and commit the static files with the sources.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
UI = ROOT / "ui"
STATIC = ROOT / "src" / "darkfleet" / "web" / "static"
INPUTS = ("build.mjs", "package.json", "package-lock.json")
OUTPUTS = ("app.css", "app.js", "index.html", "maplibre-gl-worker.mjs")
BANNER = re.compile(r"^/\* darkfleet-ui sources-sha256=([0-9a-f]{64}) ")
REBUILD_HINT = "the committed UI bundle is stale: run `make ui` and commit src/darkfleet/web/static/"


def sources_hash() -> str:
    """The same digest as sourcesHash() in ui/build.mjs."""
    files = list(INPUTS) + [p.relative_to(UI).as_posix() for p in (UI / "src").rglob("*") if p.is_file()]
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update((UI / name).read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def manifest(static: Path = STATIC) -> dict:
    return json.loads((static / "build-manifest.json").read_text())


def test_bundle_is_built_from_the_current_sources() -> None:
    expected = sources_hash()
    assert manifest()["sources-sha256"] == expected, REBUILD_HINT
    for name in ("app.js", "app.css"):
        first_line = (STATIC / name).read_text(encoding="utf-8").split("\n", 1)[0]
        found = BANNER.match(first_line)
        assert found, f"{name} has no darkfleet-ui banner: {first_line[:80]!r}"
        assert found.group(1) == expected, f"{name}: {REBUILD_HINT}"


def test_outputs_match_the_manifest() -> None:
    """A hand edit of the bundle (or a missing file) is caught too."""
    outputs = manifest()["outputs"]
    assert sorted(outputs) == sorted(OUTPUTS)
    for name, digest in outputs.items():
        assert hashlib.sha256((STATIC / name).read_bytes()).hexdigest() == digest, f"{name}: {REBUILD_HINT}"
    assert (STATIC / "index.html").read_bytes() == (UI / "src" / "index.html").read_bytes(), REBUILD_HINT


def test_bundle_loads_nothing_from_elsewhere() -> None:
    """No CDN, no web fonts, no tile or glyph server: every URL the page loads is relative."""
    html = (STATIC / "index.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    css = (STATIC / "app.css").read_text()
    assert not re.search(r"""url\(\s*["']?(https?:)?//""", css)
    assert "@import" not in css
    # The map style has no glyph, sprite or tile URLs (the browser test also watches every request).
    style_source = (UI / "src" / "map.js").read_text()
    assert not re.search(r"""["']?\b(glyphs|sprite|tiles|url)["']?\s*:""", style_source)


@pytest.mark.slow
def test_rebuild_reproduces_the_committed_bundle(tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None or not (UI / "node_modules" / "esbuild").is_dir():
        pytest.skip("node or ui/node_modules is absent (run `make ui` to install them): byte-for-byte check skipped")
    subprocess.run([node, "build.mjs", "--out", str(tmp_path)], cwd=UI, check=True, capture_output=True, timeout=300)
    for name in (*OUTPUTS, "build-manifest.json"):
        assert (tmp_path / name).read_bytes() == (STATIC / name).read_bytes(), f"{name}: {REBUILD_HINT}"
