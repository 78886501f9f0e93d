"""Open-redirect, CSRF and framing defences for the pages.

Pages take a ``next`` path from the query string and post forms with a cookie, so both are
classic attack surfaces: ``next`` must stay on this site, and a form post must come from it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import Request

from liuke.workspaces.auth import same_origin

DEFAULT_NEXT = "/home"

SECURITY_HEADERS: dict[str, str] = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # Scripts only from our own origin (htmx, echarts are served locally); inline styles stay
    # allowed because ECharts tooltips write style attributes.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
}


def safe_next(value: str | None, default: str = DEFAULT_NEXT) -> str:
    """Return ``value`` if it is a path on this site, else ``default``.

    Browsers read ``//host``, ``/\\host`` and paths with tabs or newlines (which they strip) as
    other sites, so anything but a plain absolute path is refused.
    """
    if not value or not value.startswith("/") or value.startswith("//"):
        return default
    if "\\" in value or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def cross_site(request: Request) -> bool:
    """True when a state-changing request did not come from our own pages.

    Same check as the API (Origin, else Referer, must match Host), plus Fetch Metadata: a
    browser that says the request is cross-site or from a sibling subdomain is refused even
    when the Origin header was stripped by a proxy.
    """
    if request.headers.get("sec-fetch-site", "").lower() in {"cross-site", "same-site"}:
        return True
    return not same_origin(request)
