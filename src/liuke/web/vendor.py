"""Browser libraries (htmx, ECharts) served straight from ``node_modules``.

They come from the npm registry at set-up and are never committed. A missing file must not
take the site down: the pages render without it (HTMX polling simply does not run) and the
server says so once in its log.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[3]

# URL name under /static/vendor/ -> path inside node_modules. Only these are served.
VENDOR_FILES: dict[str, str] = {
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    "echarts.min.js": "echarts/dist/echarts.min.js",
}


class VendorFiles:
    """Resolves vendor files under ``static_vendor_dir`` (relative: to the CWD, then the repo)."""

    def __init__(self, vendor_dir: Path) -> None:
        if vendor_dir.is_absolute():
            self.roots = [vendor_dir]
        else:
            self.roots = [Path.cwd() / vendor_dir, REPO_ROOT / vendor_dir]
        self._warned: set[str] = set()
        self._lock = threading.Lock()

    def path(self, name: str) -> Path | None:
        """The file for ``name``, or None (logging a warning the first time) when absent."""
        rel = VENDOR_FILES.get(name)
        if rel is None:
            return None
        for root in self.roots:
            candidate = root / rel
            if candidate.is_file():
                return candidate
        with self._lock:
            first = name not in self._warned
            self._warned.add(name)
        if first:
            log.warning(
                "vendor file %s not found under %s; run `npm install` at the repo root "
                "(pages still work, live updates are off)",
                rel,
                " or ".join(str(r) for r in self.roots),
            )
        return None

    def url(self, name: str) -> str | None:
        """The URL to put in a ``<script>`` tag, or None so the tag is left out."""
        return f"/static/vendor/{name}" if self.path(name) is not None else None
