"""Shared transport pieces: JSON errors in the caller's language, body limits, pagination."""

from __future__ import annotations

import logging
from typing import Annotated, Any, Generic, TypeVar
from urllib.parse import quote

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from liuke.core.config import Settings, get_settings
from liuke.core.errors import AppError
from liuke.core.i18n import DEFAULT_LOCALE, negotiate, normalize_locale, translate

log = logging.getLogger(__name__)

LOCALE_COOKIE = "liuke_locale"

T = TypeVar("T")


class Schema(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="forbid")


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(BaseModel):
    limit: int
    offset: int


def page_params(
    request: Request,
    limit: Annotated[int, Query(ge=1, description="page size")] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> PageParams:
    cap = request.app.state.settings.max_page_size
    return PageParams(limit=min(limit, cap), offset=offset)


def request_locale(request: Request) -> str:
    """Explicit ?lang= first, then the user's switch (cookie), then Accept-Language."""
    for candidate in (request.query_params.get("lang"), request.cookies.get(LOCALE_COOKIE)):
        loc = normalize_locale(candidate)
        if loc:
            return loc
    default = getattr(getattr(request.app.state, "settings", None), "default_locale", None)
    return negotiate(request.headers.get("accept-language"), default or DEFAULT_LOCALE)


def error_response(
    request: Request, status: int, code: str, key: str, details: Any = None, **params: Any
) -> JSONResponse:
    locale = request_locale(request)
    if params.get("entity"):
        params["entity"] = translate(f"entity.{params['entity']}", locale)
    body: dict[str, Any] = {"code": code, "message": translate(key, locale, **params)}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status)


def _json_safe(errors: list[Any]) -> list[dict[str, Any]]:
    out = []
    for e in errors:
        out.append(
            {"loc": list(e.get("loc", [])), "msg": str(e.get("msg", "")), "type": e.get("type")}
        )
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(request: Request, exc: AppError) -> JSONResponse:
        return error_response(request, exc.status_code, exc.code, exc.message_key, **exc.params)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return error_response(request, 400, "malformed_json", "error.malformed_json")
        return error_response(
            request, 422, "validation_error", "error.validation", details=_json_safe(errors)
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc, _TooLarge):  # a streamed body went over the limit while being read
            return error_response(
                request, 413, "body_too_large", "error.body_too_large", limit=exc.limit
            )
        if exc.status_code == 404:
            return error_response(request, 404, "not_found", "error.not_found", entity="resource")
        if exc.status_code == 405:
            return error_response(request, 405, "method_not_allowed", "error.method_not_allowed")
        return error_response(
            request, exc.status_code, "http_error", "error.bad_request", detail=str(exc.detail)
        )

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return error_response(request, 500, "internal_error", "error.internal")


class BodySizeLimit:
    """Reject bodies over the limit before they are read into memory (413, JSON error)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._reject(scope, receive, send)
            return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._reject(scope, receive, send)

    async def _reject(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        response = error_response(
            request, 413, "body_too_large", "error.body_too_large", limit=self.max_bytes
        )
        await response(scope, receive, send)


class _TooLarge(StarletteHTTPException):
    """Raised from the body stream. An HTTPException, because FastAPI re-raises those from body
    parsing (any other exception there becomes a 400 "error parsing the body")."""

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413)
        self.limit = limit


def request_settings(request: Request) -> Settings:
    """The app's settings (``create_app`` puts them on ``app.state``), else the process's."""
    settings: Settings | None = getattr(request.app.state, "settings", None)
    return settings or get_settings()


def attachment(
    content: bytes, media_type: str, filename: str, display_name: str | None = None
) -> Response:
    """A file to download. ``filename`` is the ASCII name every client understands;
    ``display_name`` the reader's own (e.g. Chinese) name, for clients that read RFC 5987's
    ``filename*``."""
    disposition = f'attachment; filename="{filename}"'
    if display_name:
        disposition += f"; filename*=UTF-8''{quote(display_name, safe='')}"
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})
