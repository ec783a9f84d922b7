"""Look at the report as a reader would: headless Chromium renders it to PNG and we check the
picture (Debian package `chromium`; the test skips with a message when it is absent)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from darkfleet.report import svg

WIDTH, HEIGHT = 1400, 2000


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    pytest.skip("headless Chromium is not installed (Debian: apt-get install -y --no-install-recommends chromium); "
                "the screenshot check of the report did not run")


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)


def _near(img: np.ndarray, hex_colour: str, tol: int = 6) -> np.ndarray:
    return np.all(np.abs(img[..., :3].astype(np.int16) - _rgb(hex_colour)) <= tol, axis=-1)


@pytest.mark.slow
def test_report_renders_with_map_and_timeline(report_dir: Path, tmp_path: Path) -> None:
    from skimage.io import imread

    png = tmp_path / "report.png"
    cmd = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
           f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}", (report_dir / "report.html").as_uri()]
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    img = imread(png)
    assert img.shape[:2] == (HEIGHT, WIDTH)
    assert img[..., :3].std() > 20, "the page is blank"
    sea = _near(img, svg.SEA)
    rows, cols = np.nonzero(sea)
    assert rows.size > 50_000, "no sea drawn: the map is missing"
    top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
    assert bottom - top > 300 and right - left > 600, "the map is too small to read"
    box = img[top:bottom, left:right]
    land_share = _near(box, svg.LAND).mean()
    sea_share = _near(box, svg.SEA).mean()
    assert 0.1 < land_share < 0.8 and 0.1 < sea_share < 0.9, (land_share, sea_share)
    assert _near(box, svg.DARK, tol=30).sum() > 100, "no dark leg drawn in red"
    below = img[bottom:]  # the vessel timeline follows the map
    assert _near(below, svg.colour(0), tol=10).sum() > 100, "no AIS coverage bar in the timeline"
    assert _near(below, svg.DARK, tol=30).sum() > 100, "no dark leg in the timeline"
