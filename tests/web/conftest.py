"""Shared fixtures of the web tests (the API's ``test_api_*.py`` and the UI's ``test_ui_*.py``).

- ``demo_lake`` (session scope): the ``Path`` of a demo lake built once per test session with
  :func:`darkfleet.demo.run_demo` into a temporary folder (the reference case: case ``reference``,
  ANGARA = MMSI 273990001, MARIA = MMSI 273990002, findings.json, report). It needs the shared
  data folder (``../shared/data``) and skips cleanly when it is absent. To save the minute while
  iterating, set ``DARKFLEET_TEST_DEMO_LAKE`` to an existing demo lake (e.g. build/demo): it is
  copied instead of rebuilt. Treat it as read-only:
  tests that write (sightings, counts, tokens are fine; ingest and detect are not) should prefer
  ``writable_lake``.
- ``writable_lake`` (function scope): a private copy of ``demo_lake`` (without its ``raw/``
  inputs) in ``tmp_path``, to change at will.
- ``make_token(lake, role, name=None) -> str``: create an API token with ``role`` (``viewer``,
  ``analyst`` or ``admin``) in the lake's case store and return it (the name defaults to a
  unique ``test-<role>-…``; it is the user every write with the token is recorded under).
- ``auth(token) -> dict``: the ``Authorization`` header for a token.
- ``running_server(lake) -> ContextManager[str]``: ``darkfleet serve --lake LAKE`` in a subprocess
  on a free port of 127.0.0.1; yields its base URL (``http://127.0.0.1:PORT``) once
  ``/api/health`` answers, and stops the server on exit.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from rich.console import Console

from tests.conftest import SHARED_DATA

_serial = itertools.count(1)
DARKFLEET = Path(sys.executable).with_name("darkfleet")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_server(lake: Path, timeout_s: float = 120) -> Iterator[str]:
    """``darkfleet serve`` on a free local port, for as long as the ``with`` block runs."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:  # not a pipe: a full pipe would stall the server's logging
        proc = subprocess.Popen([str(DARKFLEET), "serve", "--lake", str(lake), "--port", str(port)],
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/api/health", timeout=5) as r:
                        if r.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"darkfleet serve did not come up on port {port}:\n"
                                       + log.read().decode(errors="replace"))
                time.sleep(0.3)
            yield base
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()


def make_token(lake: Path, role: str, name: str | None = None) -> str:
    """A new API token of ``role`` in the lake's case store (LAKE/cases.sqlite)."""
    from darkfleet.cases.store import CaseStore, store_url
    from darkfleet.web.auth import add_token

    return add_token(CaseStore.open(store_url(Path(lake))), name or f"test-{role}-{next(_serial)}", role)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="session")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo lake, built once per session (about a minute)."""
    if not (SHARED_DATA / "sanctions").is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent: the demo lake needs its SDN list")
    from darkfleet.demo import run_demo

    out = tmp_path_factory.mktemp("web") / "demo"
    prebuilt = os.environ.get("DARKFLEET_TEST_DEMO_LAKE")
    if prebuilt:
        shutil.copytree(prebuilt, out)
        return out
    quiet = Console(quiet=True)
    run_demo(SHARED_DATA, out, quiet, quiet)
    return out


@pytest.fixture
def writable_lake(demo_lake: Path, tmp_path: Path) -> Path:
    """A copy of the demo lake this test may change."""
    copy = tmp_path / "lake"
    shutil.copytree(demo_lake, copy, ignore=lambda d, names: ["raw"] if Path(d) == demo_lake else [])
    return copy
