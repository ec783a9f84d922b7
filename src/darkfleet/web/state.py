"""What the web application holds open: the lake (one DuckDB database of views, a cursor per
request), the case store, and small caches that are dropped when the lake changes.

The lake's *signature* is the modification time of the files and folders every write touches
(``sources/`` on ingest, ``events/`` on detect, the sanctions tables, the SAR tables,
``findings.json``); it costs a few ``stat`` calls per request. When it changes, the DuckDB views
are rebuilt (a table may have appeared) and the caches emptied.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import polars as pl

from darkfleet.cases.store import CaseStore, store_url
from darkfleet.lake.store import Lake

T = TypeVar("T")

WATCHED = ("sources", "events", "statics", "sanctions/versions.parquet", "sanctions/matches.parquet", "detections",
           "sar_matches", "sar_scenes", "findings.json")
CACHE_DIR = Path("cache") / "web"  # inside the lake: generated reports, upload staging


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


@dataclass
class WebState:
    root: Path
    lake: Lake
    store: CaseStore
    store_url: str
    _con: duckdb.DuckDBPyConnection | None = None
    _signature: tuple[int, ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    write_lock: threading.Lock = field(default_factory=threading.Lock)  # ingest / detect, one at a time

    @classmethod
    def open(cls, lake_dir: Path, url: str | None = None) -> WebState:
        lake = Lake.open(lake_dir, create=False)
        resolved = store_url(lake.root, url)
        return cls(lake.root, lake, CaseStore.open(resolved), resolved)

    @property
    def cache_dir(self) -> Path:
        return self.root / CACHE_DIR

    def signature(self) -> tuple[int, ...]:
        return tuple(_mtime(self.root / p) for p in WATCHED)

    def _fresh(self) -> duckdb.DuckDBPyConnection:
        sig = self.signature()
        with self._lock:
            if self._con is None or sig != self._signature:
                from darkfleet.lake.query import connect

                # the old connection is left to the garbage collector: cursors of requests still
                # running keep it open until they finish
                self._con = connect(self.lake)
                self._signature = sig
                self._cache.clear()
            return self._con

    def invalidate(self) -> None:
        with self._lock:
            self._signature = ()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self._fresh().cursor()
        cur.execute("SET TimeZone = 'UTC'")
        return cur

    def sql(self, query: str, params: list[Any] | None = None) -> pl.DataFrame:
        """Run one parameterised query on a cursor of its own (DuckDB connections are per thread)."""
        cur = self.cursor()
        try:
            return cur.execute(query, params or []).pl()
        finally:
            cur.close()

    def views(self) -> set[str]:
        return set(self.sql("SELECT view_name FROM duckdb_views() WHERE NOT internal")["view_name"].to_list())

    def cached(self, key: str, build: Callable[[], T]) -> T:
        """``build()`` once per lake signature."""
        self._fresh()
        with self._lock:
            if key in self._cache:
                return self._cache[key]  # type: ignore[no-any-return]
        value = build()
        with self._lock:
            self._cache[key] = value
        return value

    # -- findings ------------------------------------------------------------------------------

    def findings_path(self) -> Path:
        return self.root / "findings.json"

    def findings(self, case: str | None = None) -> list[dict[str, Any]]:
        """The lake's findings (``darkfleet reconstruct --out LAKE/findings.json``), as written,
        after the report's reader checked them; [] when there are none. With ``case``: that case's
        findings (those reconstructed for it, and those written without a case)."""
        found = self._all_findings()
        return found if case is None else [f for f in found if f.get("case") in (None, case)]

    def _all_findings(self) -> list[dict[str, Any]]:

        def load() -> list[dict[str, Any]]:
            from darkfleet.report.model import load_findings

            path = self.findings_path()
            if not path.exists():
                return []
            return [f.raw for f in load_findings(path)]

        return self.cached("findings", load)

    def finding(self, finding_id: str) -> dict[str, Any] | None:
        return next((f for f in self.findings() if f["id"] == finding_id), None)


def json_or_empty(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
