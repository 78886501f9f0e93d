"""Print a finished HTML report to PDF in Debian's headless Chromium, charts kept as vector SVG.

Why a browser: the reports are the same HTML + ECharts the web pages draw, so the PDF matches
what managers see on screen, Chinese text included (Chromium embeds the Noto CJK subset with a
ToUnicode map, so the PDF's text can be searched and copied). Playwright's own browser download
does not work here; Debian's ``chromium`` package is driven instead, with the flags the browser
tests use. One Chromium per render (about 0.5-1 s and ~200 MB), at most two at once per process.
"""

from __future__ import annotations

import asyncio
import html as html_lib
import logging
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

from liuke.core.errors import AppError
from liuke.core.i18n import register_messages
from liuke.web.vendor import VendorFiles

if TYPE_CHECKING:
    from playwright.sync_api import Route, WebSocketRoute

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "PDF rendering needs Chromium and CJK fonts: apt-get install chromium fonts-noto-cjk "
    "(or set LIUKE_CHROMIUM_PATH)"
)
NPM_HINT = "PDF charts need ECharts: run `npm ci` at the repo root (node_modules/echarts missing)"

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
CHARTS_TIMEOUT_S = 30.0
STEP_TIMEOUT_MS = 30_000  # launch, set_content and pdf each
MARGIN_MM = {"top": 12.0, "right": 12.0, "bottom": 15.0, "left": 12.0}  # bottom holds the footer
A4_MM = (210.0, 297.0)
FOOTER_FONT = "'Noto Sans CJK SC', sans-serif"

# Each Chromium costs ~200 MB; a burst of report requests must not exhaust the server's memory.
_RENDER_SLOTS = threading.BoundedSemaphore(2)
_fonts_checked = False  # set once fc-list has shown a CJK font; a miss is checked again next time

# Drawn in the print document only: SVG so charts stay vector in the PDF, no animation so the
# first frame is the final one, fonts awaited so ECharts measures labels with the real CJK font.
PRINT_CHARTS_JS = """
(function () {
  "use strict";
  window.__liukeChartErrors = [];
  function draw() {
    document.querySelectorAll("[data-chart]").forEach(function (el, i) {
      try {
        if (!el.clientHeight) { el.style.height = "320px"; }  // ECharts draws nothing at 0 px
        var option = JSON.parse(el.getAttribute("data-chart"));
        option.animation = false;
        var chart = window.echarts.init(el, null, {renderer: "svg"});
        chart.setOption(option);
        el.setAttribute("data-chart-ready", "true");
      } catch (e) {
        window.__liukeChartErrors.push("chart " + i + ": " + e);
      }
    });
    window.__liukeChartsReady = true;
  }
  function start() {
    (document.fonts ? document.fonts.ready : Promise.resolve()).then(draw, draw);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
"""


class PdfUnavailable(AppError):
    """The server cannot print PDFs right now (browser, fonts or ECharts missing, or Chromium
    failed); 503 because the operator can fix it and the same request will then succeed."""

    status_code = 503
    code = "pdf_unavailable"
    message_key = "reports.error.pdf_unavailable"

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(detail=detail)


register_messages(
    {
        "reports.error.pdf_unavailable": {
            "zh_CN": "暂时无法生成 PDF：{detail}",
            "en": "PDF is unavailable: {detail}",
        }
    }
)


def render_pdf(
    html: str,
    *,
    chromium_path: Path,
    vendor_dir: Path,
    title: str = "",
    landscape: bool = False,
) -> bytes:
    """Print the complete HTML document ``html`` to A4 PDF bytes, drawing its ``data-chart``s.

    ECharts and a print-only chart script are inlined into the document, which is loaded with
    ``set_content`` into a private browser that may not reach the network (every request is
    aborted), so a report can never fetch or leak anything. ``title`` goes into the footer
    next to "page / pages".

    Blocking (seconds): call it from a worker thread, e.g. a sync FastAPI endpoint or
    ``asyncio.to_thread``. Playwright's sync API refuses to run in a thread whose asyncio loop
    is running, so calling it directly from ``async`` code raises RuntimeError.

    Raises PdfUnavailable (503) when Chromium, the CJK fonts or ECharts are missing, or when
    Chromium fails or the charts do not finish within 30 s; RuntimeError when a chart's
    option is invalid (a bug in the caller, not an outage).
    """
    _refuse_running_loop()
    echarts_js = _echarts_source(vendor_dir)
    if not os.access(chromium_path, os.X_OK):
        raise PdfUnavailable(f"{INSTALL_HINT}; {chromium_path} is missing")
    _check_cjk_font()
    document = inline_scripts(html, [echarts_js, PRINT_CHARTS_JS])
    with _RENDER_SLOTS:
        started = time.perf_counter()
        pdf = _print(document, chromium_path, title, landscape)
    log.info(
        "pdf rendered",
        extra={"pdf_bytes": len(pdf), "pdf_seconds": round(time.perf_counter() - started, 3)},
    )
    return pdf


def inline_scripts(html: str, sources: list[str]) -> str:
    """``html`` with each source in a ``<script>`` before ``</head>`` (else ``</body>``, else
    at the end). ``</script`` inside a source is escaped so it cannot close the tag early."""
    tags = "".join(
        "<script>" + src.replace("</script", "<\\/script") + "</script>" for src in sources
    )
    lower = html.lower()
    for marker in ("</head>", "</body>"):
        at = lower.find(marker)
        if at != -1:
            return html[:at] + tags + html[at:]
    return html + tags


def footer_template(title: str) -> str:
    """Chromium's footer: its own font size (the default is 0) and a font with CJK glyphs."""
    return (
        f'<div style="font-family: {FOOTER_FONT}; font-size: 8px; color: #666; width: 100%;'
        f" margin: 0 {MARGIN_MM['left']}mm 0 {MARGIN_MM['right']}mm;"
        ' display: flex; justify-content: space-between;">'
        f"<span>{html_lib.escape(title)}</span>"
        '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span>'
        "</div>"
    )


def _refuse_running_loop() -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return
    raise RuntimeError(
        "render_pdf blocks and uses Playwright's sync API, which cannot run in a thread with "
        "a running asyncio loop: call it through asyncio.to_thread or a sync endpoint"
    )


def _echarts_source(vendor_dir: Path) -> str:
    path = VendorFiles(vendor_dir).path("echarts.min.js")
    if path is None:
        raise PdfUnavailable(NPM_HINT)
    return path.read_text(encoding="utf-8")


def _check_cjk_font() -> None:
    """Without a CJK font Chromium prints Chinese as empty boxes, silently: refuse instead."""
    global _fonts_checked
    if _fonts_checked:
        return
    fc_list = shutil.which("fc-list")
    if fc_list is None:  # fontconfig's tool absent: cannot tell, let Chromium try
        return
    found = subprocess.run(
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False, timeout=10
    ).stdout.strip()
    if not found:
        raise PdfUnavailable(f"{INSTALL_HINT}; no CJK font found (fc-list :lang=zh)")
    _fonts_checked = True


def _printable_px(landscape: bool) -> tuple[int, int]:
    """The A4 area inside the margins in CSS px, so charts are laid out at their printed size."""
    width_mm, height_mm = (A4_MM[1], A4_MM[0]) if landscape else A4_MM
    width = width_mm - MARGIN_MM["left"] - MARGIN_MM["right"]
    height = height_mm - MARGIN_MM["top"] - MARGIN_MM["bottom"]
    return round(width * 96 / 25.4), round(height * 96 / 25.4)


def _short(exc: BaseException) -> str:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return first[:300]


def _print(document: str, chromium_path: Path, title: str, landscape: bool) -> bytes:
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # a main dependency, but say so plainly if it is gone
        raise PdfUnavailable(f"{INSTALL_HINT}; playwright is not installed ({exc})") from exc

    blocked: list[str] = []

    def block(route: Route) -> None:
        url = route.request.url
        if url.startswith(("data:", "about:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort("blockedbyclient")

    def block_socket(ws: WebSocketRoute) -> None:
        blocked.append(ws.url)
        ws.close()

    width, height = _printable_px(landscape)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(chromium_path),
                args=CHROMIUM_ARGS,
                headless=True,
                timeout=STEP_TIMEOUT_MS,
            )
            try:
                context = browser.new_context(
                    viewport={"width": width, "height": height},
                    service_workers="block",
                    offline=True,
                    bypass_csp=True,  # a site CSP <meta> must not stop the inlined scripts
                )
                context.route("**/*", block)
                context.route_web_socket("**/*", block_socket)
                page = context.new_page()
                page.set_default_timeout(STEP_TIMEOUT_MS)
                page_errors: list[str] = []
                page.on("pageerror", lambda err: page_errors.append(str(err)))
                page.emulate_media(media="print")
                page.set_content(document, wait_until="load")
                try:
                    page.wait_for_function(
                        "window.__liukeChartsReady === true", timeout=CHARTS_TIMEOUT_S * 1000
                    )
                except PlaywrightTimeout as exc:
                    errors = "; ".join(page_errors)[:300] or "no script error reported"
                    raise PdfUnavailable(
                        f"charts did not finish drawing within {CHARTS_TIMEOUT_S:.0f} s ({errors})"
                    ) from exc
                chart_errors = page.evaluate("window.__liukeChartErrors")
                if chart_errors:
                    raise RuntimeError(f"report chart could not be drawn: {chart_errors}")
                pdf = page.pdf(
                    format="A4",
                    landscape=landscape,
                    print_background=True,
                    margin={
                        "top": f"{MARGIN_MM['top']}mm",
                        "right": f"{MARGIN_MM['right']}mm",
                        "bottom": f"{MARGIN_MM['bottom']}mm",
                        "left": f"{MARGIN_MM['left']}mm",
                    },
                    display_header_footer=True,
                    header_template="<span></span>",  # else Chromium prints date and title
                    footer_template=footer_template(title),
                    tagged=True,
                    outline=True,
                )
            finally:
                browser.close()
    except PlaywrightError as exc:
        raise PdfUnavailable(f"Chromium failed: {_short(exc)}") from exc
    if blocked:
        log.warning("pdf render blocked %d network request(s), e.g. %s", len(blocked), blocked[0])
    return pdf
