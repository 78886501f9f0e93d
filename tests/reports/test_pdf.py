"""PDF printing in Debian's headless Chromium: CJK text, vector charts, pages, no network.

The rendered PDFs are read back with pypdfium2: page text proves the CJK font is embedded with
a ToUnicode map (not boxes), rasterised pixels prove the page and the chart are not blank.
Without Chromium, Playwright, the CJK fonts or node_modules the browser tests skip loudly (fail
under CI=true), through the browser tests' own check.
"""

from __future__ import annotations

import asyncio
import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from liuke.reports.pdf import PdfUnavailable, render_pdf
from liuke.web.vendor import REPO_ROOT
from tests.e2e.test_browser import CHROMIUM, require_browser

VENDOR = REPO_ROOT / "node_modules"
TITLE = "投诉月报 2025-06"
BAR_CHART = {
    "xAxis": {"type": "category", "data": ["物流慢", "退款难", "质量差"]},
    "yAxis": {"type": "value"},
    "series": [{"type": "bar", "data": [42, 17, 29], "itemStyle": {"color": "#2f54eb"}}],
}


@pytest.fixture(scope="module")
def browser() -> None:
    require_browser()


def document(body: str) -> str:
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>report</title>'
        "<style>body { font-family: 'Noto Sans CJK SC', sans-serif; }"
        " .chart { width: 100%; height: 320px; } td, th { border: 1px solid #999; padding: 4px; }"
        " table { border-collapse: collapse; width: 100%; }</style>"
        f"</head><body>{body}</body></html>"
    )


def chart_div(option: dict[str, Any]) -> str:
    return f'<div class="chart" data-chart="{html.escape(json.dumps(option, ensure_ascii=False))}"></div>'


def render(body: str, **kwargs: Any) -> bytes:
    return render_pdf(
        document(body), chromium_path=CHROMIUM, vendor_dir=VENDOR, title=TITLE, **kwargs
    )


def pages(pdf: bytes) -> list[Any]:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    return [doc[i] for i in range(len(doc))]


def text(page: Any) -> str:
    """The page's text without white space: pdfium puts a line break between every character
    when a page starts with a short CJK line (its vertical-writing guess); the PDF is fine."""
    return "".join(str(page.get_textpage().get_text_range()).split())


def footer(page: Any) -> str:
    """Text in the bottom margin only (15 mm), where Chromium prints the footer."""
    width, _ = page.get_size()
    bounded = page.get_textpage().get_text_bounded(
        left=0, bottom=0, right=width, top=15 * 72 / 25.4
    )
    return "".join(str(bounded).split())


def pixels(page: Any) -> np.ndarray[Any, Any]:
    """Page at 100 dpi as a grey-scale array (0 black .. 255 white)."""
    return np.asarray(page.render(scale=100 / 72, grayscale=True).to_numpy()).squeeze()


def ink(grey: np.ndarray[Any, Any]) -> float:
    """Share of pixels that are not (near) white."""
    return float((grey < 230).mean())


def test_chinese_report_with_chart_and_table(browser: None) -> None:
    rows = "".join(
        f"<tr><td>{name}</td><td>{n}</td></tr>"
        for name, n in [("物流慢", 42), ("退款难", 17), ("质量差", 29)]
    )
    pdf = render(
        "<h1>投诉月报 Complaint report</h1><p>本月投诉共 88 件，环比下降 12%。</p>"
        + chart_div(BAR_CHART)
        + f"<table><tr><th>原因 Reason</th><th>件数 Cases</th></tr>{rows}</table>"
    )
    assert pdf.startswith(b"%PDF")
    (page,) = pages(pdf)
    page_text = text(page)
    for expected in ("投诉月报Complaintreport", "本月投诉共88件", "原因Reason", "退款难"):
        assert expected in page_text, page_text
    assert footer(page) == "投诉月报2025-061/1"
    grey = pixels(page)
    assert grey.shape[1] == pytest.approx(210 / 25.4 * 100, abs=2)  # A4 portrait at 100 dpi
    assert ink(grey) > 0.03
    assert grey.std() > 20


def test_chart_is_drawn_as_vector(browser: None) -> None:
    """A chart-only page is not blank, its axis labels are text and the page holds no image."""
    import pypdfium2.raw as pdfium_c

    (page,) = pages(render(chart_div(BAR_CHART)))
    grey = pixels(page)
    assert ink(grey) > 0.03  # the bars
    assert (grey < 128).mean() > 0.02  # solidly dark, not just a faint grid
    assert "物流慢" in text(page)  # SVG labels stay text; a canvas would be one bitmap
    kinds = {obj.type for obj in page.get_objects()}
    assert pdfium_c.FPDF_PAGEOBJ_IMAGE not in kinds


def test_long_table_spans_pages_with_footer(browser: None) -> None:
    rows = "".join(f"<tr><td>第 {i} 行</td><td>row {i}</td></tr>" for i in range(150))
    all_pages = pages(render(f"<h1>明细</h1><table>{rows}</table>"))
    n = len(all_pages)
    assert n > 1
    assert footer(all_pages[0]) == f"投诉月报2025-061/{n}"
    assert footer(all_pages[-1]) == f"投诉月报2025-06{n}/{n}"
    assert "第149行row149" in text(all_pages[-1])
    assert "第0行row0" in text(all_pages[0])


def test_landscape_is_wider_than_tall(browser: None) -> None:
    (page,) = pages(render("<p>横向 landscape</p>", landscape=True))
    width, height = page.get_size()
    assert width > height


def test_no_request_leaves_the_browser(browser: None) -> None:
    """Images, style sheets, fetch and WebSockets in a report are all refused."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        pdf = render(
            f'<link rel="stylesheet" href="{base}/style.css"><img src="{base}/pixel.png">'
            f'<iframe src="{base}/frame"></iframe><p>外链 blocked</p>'
            f'<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
            f'<script>fetch("{base}/fetch"); new WebSocket("ws://127.0.0.1:{server.server_port}/ws");'
            "</script>"
        )
    finally:
        server.shutdown()
        server.server_close()
    assert pdf.startswith(b"%PDF")
    assert hits == [], hits


def test_a_site_csp_meta_does_not_stop_the_charts(browser: None) -> None:
    csp = '<meta http-equiv="Content-Security-Policy" content="script-src \'self\'">'
    (page,) = pages(render(csp + chart_div(BAR_CHART)))
    assert "物流慢" in text(page)


def test_invalid_chart_option_is_a_bug_not_an_outage(browser: None) -> None:
    with pytest.raises(RuntimeError, match="chart could not be drawn"):
        render('<div class="chart" data-chart="{not json"></div>')


def test_renders_in_a_worker_thread_while_a_loop_runs(browser: None) -> None:
    async def main() -> bytes:
        return await asyncio.to_thread(render, "<p>线程 thread</p>")

    pdf = asyncio.run(main())
    assert "线程thread" in text(pages(pdf)[0])


def test_refuses_to_block_a_running_loop() -> None:
    async def main() -> None:
        render_pdf("<p>x</p>", chromium_path=CHROMIUM, vendor_dir=VENDOR)

    with pytest.raises(RuntimeError, match=r"asyncio\.to_thread"):
        asyncio.run(main())


@pytest.fixture
def fake_vendor(tmp_path: Path) -> Path:
    echarts = tmp_path / "vendor" / "echarts" / "dist" / "echarts.min.js"
    echarts.parent.mkdir(parents=True)
    echarts.write_text("window.echarts = {};")
    return tmp_path / "vendor"


def test_missing_chromium_names_the_packages(tmp_path: Path, fake_vendor: Path) -> None:
    with pytest.raises(PdfUnavailable) as caught:
        render_pdf("<p>x</p>", chromium_path=tmp_path / "no-chromium", vendor_dir=fake_vendor)
    assert caught.value.status_code == 503
    assert caught.value.code == "pdf_unavailable"
    assert "apt-get install chromium fonts-noto-cjk" in caught.value.detail
    assert "LIUKE_CHROMIUM_PATH" in caught.value.detail


def test_missing_echarts_asks_for_npm_ci(tmp_path: Path) -> None:
    with pytest.raises(PdfUnavailable, match="npm ci"):
        render_pdf("<p>x</p>", chromium_path=CHROMIUM, vendor_dir=tmp_path / "empty")
