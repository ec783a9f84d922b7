"""Every error is JSON: ``{"error": {"status": 404, "message": "no vessel with MMSI 123"}}``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from darkfleet.web.auth import AuthError

log = logging.getLogger("darkfleet.web")

REASONS = {400: "bad request", 401: "not authenticated", 403: "forbidden", 404: "not found",
           405: "method not allowed", 409: "conflict", 413: "request too large", 422: "invalid request",
           500: "internal server error"}


class ApiError(Exception):
    """An error said for people, with its HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def error_response(status: int, message: str, headers: dict[str, str] | None = None,
                   **extra: Any) -> JSONResponse:
    return JSONResponse({"error": {"status": status, "message": message, **extra}}, status_code=status,
                        headers=headers)


def _where(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("query", "path", "header", "body"):
        kind = {"query": "query parameter", "path": "path parameter", "header": "header", "body": "body"}[parts[0]]
        rest = ".".join(parts[1:])
        return f"{kind} {rest!r}" if rest else kind
    return ".".join(parts)


def validation_message(exc: RequestValidationError) -> tuple[str, list[dict[str, str]]]:
    details = [{"where": _where(tuple(e.get("loc", ()))), "message": str(e.get("msg", ""))} for e in exc.errors()]
    text = "; ".join(f"{d['where']}: {d['message']}" for d in details[:5]) or "invalid request"
    return text, details


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.message)

    @app.exception_handler(AuthError)
    async def auth_error(request: Request, exc: AuthError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return error_response(exc.status, exc.message, headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) and exc.detail else REASONS.get(exc.status_code, "error")
        if exc.status_code == 404 and message == "Not Found":
            message = f"nothing at {request.url.path}"
        return error_response(exc.status_code, message, getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, details = validation_message(exc)
        return error_response(422, message, details=details)

    @app.exception_handler(Exception)
    async def server_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(500, f"internal server error ({type(exc).__name__}); the server log has the details")
