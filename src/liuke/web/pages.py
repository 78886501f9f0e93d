"""Server-rendered pages: login, logout, language switch and the workspace home.

Thin by design: reading the session, choosing the language and rendering. Counts come from
:mod:`liuke.web.service`; authentication from :mod:`liuke.workspaces.service`, so the form
and the JSON API open exactly the same kind of session.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from babel.numbers import format_decimal
from fastapi import APIRouter, FastAPI, Form, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import Session

import liuke.web.messages  # noqa: F401  (registers the page strings)
from liuke.core.api import LOCALE_COOKIE, request_locale, request_settings
from liuke.core.config import Settings, get_settings
from liuke.core.errors import AppError, Unauthenticated
from liuke.core.i18n import SUPPORTED_LOCALES, normalize_locale, translate
from liuke.web.nav import NAV_ITEMS, nav_for
from liuke.web.safety import SECURITY_HEADERS, cross_site, safe_next
from liuke.web.service import HomeCounts, home_counts
from liuke.web.vendor import VendorFiles
from liuke.workspaces import service as ws_service
from liuke.workspaces.auth import SESSION_COOKIE, DbSession, login_for_request, set_session_cookie
from liuke.workspaces.models import Workspace
from liuke.workspaces.service import Principal

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}
LOCALE_MAX_AGE = 365 * 24 * 3600
POLL_SECONDS = 5

# The shell's templates first, then each capability's own ``<capability>/templates`` folder
# (their files live in a sub-folder named after the capability, e.g. ``quality/list.html``).
_CAPABILITY_TEMPLATES = sorted(p for p in WEB_DIR.parent.glob("*/templates") if p.parent != WEB_DIR)
TEMPLATE_DIRS = [WEB_DIR / "templates", *_CAPABILITY_TEMPLATES]

templates = Environment(
    loader=FileSystemLoader(TEMPLATE_DIRS),
    autoescape=True,
    undefined=StrictUndefined,  # a typo in a template fails the tests instead of rendering ""
    trim_blocks=True,
    lstrip_blocks=True,
)


class PageRoute(APIRoute):
    """Adds the security headers (and no-store unless a route chose its own) to every page, and
    answers a refusal from the domain that a page did not handle itself (an unknown id, a bad
    value) with the error page in the reader's language instead of the API's JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_headers(request: Request) -> Response:
            try:
                response = await handler(request)
            except AppError as exc:
                locale = page_locale(request)
                message = translate(exc.message_key, locale, **exc.params)
                response = render(
                    request, "error.html", locale, status_code=exc.status_code, message=message
                )
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return with_headers


router = APIRouter(route_class=PageRoute, include_in_schema=False)


# --- request context ------------------------------------------------------------------------


def _vendor(request: Request) -> VendorFiles:
    vendor: VendorFiles = request.app.state.web_vendor
    return vendor


def page_principal(request: Request, s: Session) -> Principal | None:
    """The signed-in person, or None: pages redirect to the login form instead of erroring."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        return ws_service.principal_from_session(s, token)
    except Unauthenticated:
        return None


def page_locale(request: Request, principal: Principal | None = None) -> str:
    """?lang=, then the switch cookie, then the user's saved preference, then Accept-Language."""
    explicit = normalize_locale(request.query_params.get("lang")) or normalize_locale(
        request.cookies.get(LOCALE_COOKIE)
    )
    if explicit:
        return explicit
    if principal is not None and (saved := normalize_locale(principal.locale)):
        return saved
    return request_locale(request)


def current_path(request: Request) -> str:
    """This page's path and query without ``lang``, for the language switch to come back to."""
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return request.url.path + (f"?{urlencode(query)}" if query else "")


def login_url(next_path: str) -> str:
    return f"/login?next={quote(next_path, safe='/')}"


def redirect(url: str) -> RedirectResponse:
    """303 so a POST is followed by a GET (no form resubmission on reload)."""
    return RedirectResponse(url, status_code=303)


class PageRefused(Exception):
    """A page guard's refusal; the app answers with ``response`` (a redirect or error page)."""

    def __init__(self, response: Response) -> None:
        super().__init__("page refused")
        self.response = response


def page_guard(request: Request, s: Session, permission: str, *, post: bool = False) -> Principal:
    """The signed-in person allowed ``permission``; else the login redirect or a 403 page.

    ``post`` adds the cross-site check every state-changing form needs.
    """
    principal = page_principal(request, s)
    if principal is None:
        raise PageRefused(redirect(login_url(current_path(request))))
    locale = page_locale(request, principal)
    if post and cross_site(request):
        message = translate("error.csrf", locale)
        raise PageRefused(render(request, "error.html", locale, status_code=403, message=message))
    if not principal.can(permission):
        message = translate("error.forbidden", locale, permission=permission)
        raise PageRefused(render(request, "error.html", locale, status_code=403, message=message))
    return principal


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, PageRefused)
    return exc.response


@dataclass
class Viewer:
    """The signed-in person as the layout shows them."""

    principal: Principal
    workspace_name: str
    nav: list[dict[str, Any]] = field(default_factory=list)


def page_viewer(s: Session, principal: Principal, active: str) -> Viewer:
    ws = s.get(Workspace, principal.workspace_id)
    nav = [
        {
            "key": item.key,
            "label_key": item.label_key,
            "path": item.path,
            "built": item.built,
            "active": item.key == active,
        }
        for item in nav_for(principal, NAV_ITEMS)
    ]
    return Viewer(principal, ws.name if ws is not None else "", nav)


def render(
    request: Request,
    template: str,
    locale: str,
    *,
    status_code: int = 200,
    viewer: Viewer | None = None,
    **context: Any,
) -> HTMLResponse:
    """Render a template with the translation and number helpers bound to ``locale``."""

    def t(key: str, **params: object) -> str:
        return translate(key, locale, **params)

    def num(value: int) -> str:
        return format_decimal(value, locale=locale)

    here = current_path(request)
    languages = [
        {
            "code": code,
            "label_key": f"web.lang.{code}",
            "url": f"/lang/{code}?next={quote(here, safe='')}",
            "current": code == locale,
        }
        for code in SUPPORTED_LOCALES
    ]
    html = templates.get_template(template).render(
        t=t,
        num=num,
        locale=locale,
        html_lang=HTML_LANG.get(locale, "zh-CN"),
        languages=languages,
        viewer=viewer,
        htmx_url=_vendor(request).url("htmx.min.js"),
        echarts_url=_vendor(request).url("echarts.min.js"),
        **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Vary"] = "Cookie, Accept-Language"
    return response


# --- login / logout / language ----------------------------------------------------------------


def _login_form(
    request: Request,
    locale: str,
    *,
    next_path: str,
    workspace: str = "",
    email: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "login.html",
        locale,
        status_code=status_code,
        next_path=next_path,
        workspace=workspace,
        email=email,
        error=error,
    )


@router.get("/")
def root(request: Request, s: DbSession) -> RedirectResponse:
    return redirect("/home" if page_principal(request, s) else "/login")


@router.get("/login", response_class=HTMLResponse)
def login_page(
    request: Request,
    s: DbSession,
    next_: Annotated[str | None, Query(alias="next")] = None,
) -> Response:
    target = safe_next(next_)
    principal = page_principal(request, s)
    if principal is not None:
        return redirect(target)
    return _login_form(request, page_locale(request), next_path=target)


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    s: DbSession,
    workspace: Annotated[str, Form(max_length=64)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next_: Annotated[str, Form(alias="next", max_length=2048)] = "",
) -> Response:
    """Open a session from the form; refuses cross-site posts (login CSRF)."""
    locale = page_locale(request)
    target = safe_next(next_)
    keep = {"next_path": target, "workspace": workspace, "email": email}
    if cross_site(request):
        return _login_form(
            request, locale, error=translate("error.csrf", locale), status_code=403, **keep
        )
    try:
        token, _user = login_for_request(request, s, workspace, email, password)
    except AppError as exc:  # wrong credentials, or any refusal the service adds later
        message = translate(exc.message_key, locale, **exc.params)
        return _login_form(request, locale, error=message, status_code=exc.status_code, **keep)
    response = redirect(target)
    set_session_cookie(request, response, token)
    return response


@router.post("/logout")
def logout(request: Request, s: DbSession) -> Response:
    if cross_site(request):
        locale = page_locale(request)
        return render(
            request,
            "error.html",
            locale,
            status_code=403,
            message=translate("error.csrf", locale),
        )
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        ws_service.logout(s, token)
    response = redirect("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(
    code: str,
    request: Request,
    next_: Annotated[str | None, Query(alias="next")] = None,
) -> RedirectResponse:
    """Remember the chosen language for a year and go back (to a local path only)."""
    if code not in SUPPORTED_LOCALES:
        raise HTTPException(status_code=404)
    response = redirect(safe_next(next_, default="/"))
    response.set_cookie(
        LOCALE_COOKIE,
        code,
        max_age=LOCALE_MAX_AGE,
        httponly=True,
        secure=request_settings(request).cookie_secure,
        samesite="lax",
        path="/",
    )
    return response


# --- home ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stat:
    key: str
    label_key: str
    value: int


@dataclass(frozen=True)
class StatGroup:
    key: str
    title_key: str
    stats: list[Stat]


def count_groups(counts: HomeCounts, principal: Principal) -> list[StatGroup]:
    """The figures this person may see: each group follows the permission that guards its data."""
    groups: list[StatGroup] = []
    if principal.can("conversations.read"):
        groups.append(
            StatGroup(
                "conversations",
                "web.counts.group.conversations",
                [
                    Stat(st, f"web.counts.status.{st}", n)
                    for st, n in counts.by_status.items()
                    if st in {"open", "pending", "resolved", "closed", "abandoned"}
                ],
            )
        )
        groups.append(
            StatGroup(
                "today",
                "web.counts.group.today",
                [
                    Stat(
                        "conversations_today",
                        "web.counts.conversations_today",
                        counts.conversations_today,
                    ),
                    Stat("messages_today", "web.counts.messages_today", counts.messages_today),
                ],
            )
        )
    if principal.can("customers.read"):
        groups.append(
            StatGroup(
                "customers",
                "web.counts.group.customers",
                [
                    Stat("customers", "web.counts.customers", counts.customers),
                    Stat("key_accounts", "web.counts.key_accounts", counts.key_accounts),
                ],
            )
        )
    team = []
    if principal.can("users.read"):
        team.append(Stat("agents", "web.counts.agents", counts.agents))
    if principal.can("events.read"):
        team.append(Stat("pending_events", "web.counts.pending_events", counts.pending_events))
    if team:
        groups.append(StatGroup("team", "web.counts.group.team", team))
    return groups


def _counts_context(
    request: Request, s: Session, principal: Principal, locale: str
) -> dict[str, Any]:
    counts = home_counts(s, principal.workspace_id)
    explicit_lang = normalize_locale(request.query_params.get("lang"))
    return {
        "groups": count_groups(counts, principal),
        "updated": counts.as_of.strftime("%H:%M:%S"),
        # Polls keep an explicit ?lang= so the fragment speaks the page's language.
        "counts_url": "/home/counts" + (f"?lang={explicit_lang}" if explicit_lang else ""),
        "poll_seconds": POLL_SECONDS,
    }


@router.get("/home", response_class=HTMLResponse)
def home(request: Request, s: DbSession) -> Response:
    principal = page_principal(request, s)
    if principal is None:
        return redirect(login_url(current_path(request)))
    locale = page_locale(request, principal)
    viewer = page_viewer(s, principal, active="home")
    return render(
        request,
        "home.html",
        locale,
        viewer=viewer,
        **_counts_context(request, s, principal, locale),
    )


@router.get("/home/counts", response_class=HTMLResponse)
def home_counts_fragment(request: Request, s: DbSession) -> Response:
    """The counts block alone, for HTMX to swap in every few seconds."""
    principal = page_principal(request, s)
    if principal is None:
        if request.headers.get("hx-request") == "true":
            # htmx follows HX-Redirect; a plain redirect would be swapped into the page.
            return Response(status_code=401, headers={"HX-Redirect": login_url("/home")})
        return redirect(login_url("/home"))
    locale = page_locale(request, principal)
    return render(request, "_counts.html", locale, **_counts_context(request, s, principal, locale))


# --- static files -------------------------------------------------------------------------------


@router.get("/static/vendor/{name}")
def vendor_file(name: str, request: Request) -> Response:
    path = _vendor(request).path(name)
    if path is None:
        raise HTTPException(status_code=404)
    return FileResponse(
        path,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400"},
    )


def mount_pages(app: FastAPI) -> None:
    """Add the pages and static files to ``app`` (called by :func:`liuke.app.create_app`)."""
    settings: Settings = getattr(app.state, "settings", None) or get_settings()
    vendor = VendorFiles(settings.static_vendor_dir)
    app.state.web_vendor = vendor
    for name in ("htmx.min.js", "echarts.min.js"):
        vendor.path(name)  # warn at start-up, once, if npm install was not run
    app.add_exception_handler(PageRefused, _refused)
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
