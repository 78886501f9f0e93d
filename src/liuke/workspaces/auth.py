"""Request authentication and permission checks for the API and pages.

Integrations send ``Authorization: Bearer <api key>``; people carry a session cookie. A cookie
alone never authorises a cross-site write: unsafe methods must come from our own origin.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from liuke.core.db import Database
from liuke.core.errors import AppError, Forbidden, Unauthenticated
from liuke.workspaces.models import User
from liuke.workspaces.service import (
    Principal,
    login,
    principal_from_api_key,
    principal_from_session,
)

SESSION_COOKIE = "liuke_session"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class CsrfRejected(AppError):
    status_code = 403
    code = "csrf_rejected"
    message_key = "error.csrf"


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def db_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the endpoint returns, rolled back on error."""
    with get_db(request).session() as s:
        yield s


DbSession = Annotated[Session, Depends(db_session, scope="function")]


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin") or request.headers.get("referer")
    if not origin:
        return True  # non-browser clients send neither; browsers always send Origin on POST
    host = request.headers.get("host", "")
    return urlsplit(origin).netloc == host


def optional_principal(request: Request, s: DbSession) -> Principal | None:
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, key = auth.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise Unauthenticated()
        return principal_from_api_key(s, key.strip())
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    principal = principal_from_session(s, token)
    if request.method not in SAFE_METHODS and not same_origin(request):
        raise CsrfRejected()
    return principal


def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    if principal is None:
        raise Unauthenticated()
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def require(permission: str) -> Callable[[Principal], Principal]:
    """A dependency that yields the principal only if it holds ``permission``."""

    def check(principal: CurrentPrincipal) -> Principal:
        if not principal.can(permission):
            raise Forbidden(permission=permission)
        return principal

    return check


def login_for_request(
    request: Request, s: Session, workspace: str, email: str, password: str
) -> tuple[str, User]:
    """The one login door for API and pages: same brute-force guard, same session rules."""
    return login(
        s,
        workspace,
        email,
        password,
        request.app.state.settings.session_ttl_hours,
        guard=request.app.state.login_guard,
        client=request.client.host if request.client else None,
    )


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=settings.session_ttl_hours * 3600,
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        path="/",
    )
