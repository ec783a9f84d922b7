"""The FastAPI application: ``create_app(lake, store_url)``.

The API is under ``/api/``, its spec at ``/openapi.json`` (no ``/docs`` page: Swagger UI loads from a
CDN); the UI's static files (``web/static/``, built by the UI) are served at ``/`` when they are there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles

import darkfleet
from darkfleet.web.auth import Viewer
from darkfleet.web.errors import ApiError, install_error_handlers
from darkfleet.web.routers import admin, cases, maps, observations, vessels
from darkfleet.web.state import WebState

STATIC_DIR = Path(__file__).parent / "static"
log = logging.getLogger("darkfleet.web")
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
                    "X-Frame-Options": "SAMEORIGIN"}


def warm_up(state: WebState) -> None:
    """Build what the first requests would wait for: the vessel table, the sanctions knowledge and
    the default basemap (the land mask takes seconds to load)."""
    from darkfleet.report.coast import coastline_rings

    try:
        vessels.vessel_table(state)
        vessels.knowledge_of(state)
        coastline_rings(maps.snap_bbox(maps.lake_extent(state)), state.root / "cache" / "report")
    except Exception:  # a warm-up failure must not stop the server; the request will say what is wrong
        log.exception("warm-up failed")


def create_app(lake: Path, store_url: str | None = None, static_dir: Path | None = None,
               warm: bool = False) -> FastAPI:
    """The web application over the lake at ``lake`` and its case store (``store_url``, else
    $DARKFLEET_STORE_URL, else ``LAKE/cases.sqlite``). ``warm``: build the caches in a background
    thread at start-up (``darkfleet serve`` does)."""
    state = WebState.open(Path(lake), store_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if warm:
            threading.Thread(target=warm_up, args=(state,), name="darkfleet-warm-up", daemon=True).start()
        yield

    app = FastAPI(lifespan=lifespan, title="darkfleet", version=darkfleet.__version__,
                  description="The analyst web API over a darkfleet lake and case store. Send "
                              "`Authorization: Bearer <token>` (from `darkfleet token add`) on every /api/ call "
                              "but /api/health.",
                  docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    app.state.web = state
    install_error_handlers(app)
    app.add_middleware(GZipMiddleware, minimum_size=1000)  # the UI bundle is 1.1 MB, 0.3 MB gzipped

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.get("/api/health", tags=["meta"], summary="Liveness (no token needed)")
    def health() -> dict[str, Any]:
        return {"status": "ok", "version": darkfleet.__version__}

    @app.get("/api/me", tags=["meta"], summary="Who the token belongs to")
    def me(user: Viewer) -> dict[str, Any]:
        return {"user": user.name, "role": user.role.value}

    for module in (vessels, maps, observations, cases, admin):
        app.include_router(module.router)

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PATCH", "PUT", "DELETE"], include_in_schema=False)
    def no_such_endpoint(rest: str) -> None:
        raise ApiError(404, f"no API endpoint /api/{rest}")

    static = static_dir if static_dir is not None else STATIC_DIR
    if (static / "index.html").is_file():
        app.mount("/", StaticFiles(directory=static, html=True), name="ui")
    else:
        @app.get("/", include_in_schema=False)
        def no_ui() -> None:
            raise ApiError(404, "the web UI is not built into this installation (src/darkfleet/web/static/); "
                                "the API is at /api/ and its spec at /openapi.json")

    return app
