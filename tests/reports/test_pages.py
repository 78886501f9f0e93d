"""Report pages: the archive, generating from the form, one report as a page, the template
editor (a refused form keeps what was typed and saves nothing), who may see what, English.

The app here has no PDF printer (``chromium_path`` points nowhere), so generation keeps the run
with the reason and no PDF, and the tests need no browser.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from liuke.app import create_app
from liuke.core.config import Settings
from liuke.core.db import Database
from liuke.reports.models import ReportRun
from liuke.workspaces import service as ws_service
from tests.conftest import PASSWORD, WorkspaceCtx
from tests.smtp import Server

NO_BROWSER = Path("/nonexistent")


@pytest.fixture
def app_settings(db: Database) -> Settings:
    """The shared test settings, but no Chromium: PDFs cannot be drawn on this 'server'."""
    return Settings(
        database_url=db.url,
        dispatch_in_process=False,
        reports_in_process=False,
        max_body_bytes=200_000,
        chromium_path=NO_BROWSER,
    )


def runs_of(db: Database, ws: WorkspaceCtx) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).where(ReportRun.workspace_id == ws.id)) or 0


def generate(c: TestClient, kind: str = "monthly", period: str = "2026-10") -> int:
    r = c.post("/reports/generate", data={"kind": kind, "period": period}, follow_redirects=False)
    assert r.status_code == 303, r.text[:3000]
    match = re.fullmatch(r"/reports/(\d+)", r.headers["location"])
    assert match is not None, r.headers["location"]
    return int(match.group(1))


def test_the_archive_page_and_who_may_see_it(
    db: Database,
    client_for: Callable[..., TestClient],
    make_workspace: Callable[..., WorkspaceCtx],
    anon_client: TestClient,
) -> None:
    ws = make_workspace()
    admin = client_for(ws)
    r = admin.get("/reports")
    assert r.status_code == 200, r.text[:3000]
    page = r.text
    assert "管理报告" in page and 'id="generate"' in page
    assert 'action="/reports/generate"' in page and 'name="period"' in page
    for kind in ("daily", "tenday", "weekly", "monthly"):
        assert f'data-template="{kind}"' in page and f'href="/reports/templates/{kind}"' in page
    assert "客户服务管理月报" in page and "还没有报告。" in page

    with db.session() as s:
        email = f"agent@{ws.slug}.test"
        agent_user = ws_service.create_user(s, ws.id, email, "客服", PASSWORD, "agent")
        agent_ctx = WorkspaceCtx(ws.id, ws.slug, email, agent_user.id)
    agent = client_for(agent_ctx)
    refused = agent.get("/reports")
    assert refused.status_code == 403 and "<html" in refused.text
    assert "没有权限" in refused.text
    assert agent.post("/reports/generate", data={"kind": "monthly"}).status_code == 403
    assert agent.get("/reports/templates/monthly").status_code == 403

    anon = anon_client.get("/reports", follow_redirects=False)
    assert anon.status_code == 303 and anon.headers["location"].startswith("/login?next=")

    cross = admin.post(
        "/reports/generate",
        data={"kind": "monthly", "period": "2026-10"},
        headers={"Origin": "https://evil.example"},
        follow_redirects=False,
    )
    assert cross.status_code == 403 and runs_of(db, ws) == 0


def test_generate_from_the_form_and_view_the_report(
    db: Database, client_for: Callable[..., TestClient], make_workspace: Callable[..., WorkspaceCtx]
) -> None:
    ws = make_workspace()
    c = client_for(ws)
    run_id = generate(c)
    view = c.get(f"/reports/{run_id}")
    assert view.status_code == 200, view.text[:3000]
    page = view.text
    assert "客户服务管理月报" in page and "2026-10-01 – 2026-10-31" in page
    for key in ("service", "funnel", "complaints", "quality", "satisfaction", "retention"):
        assert f'id="section-{key}"' in page, key
    # no printer on this server: the report is kept, the reason shown, the downloads offered
    assert 'id="run-error"' in page and str(NO_BROWSER) in page
    assert f'href="/reports/{run_id}/xlsx"' in page and 'data-download="pdf"' in page
    xlsx = c.get(f"/reports/{run_id}/xlsx")
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx.headers["content-type"]
    # the PDF link on a server that cannot print: a page that says what to install
    pdf = c.get(f"/reports/{run_id}/pdf")
    assert pdf.status_code == 503 and "text/html" in pdf.headers["content-type"]
    assert "chromium" in pdf.text.lower() and "fonts-noto-cjk" in pdf.text
    assert c.get(f"/reports/{run_id}/docx").status_code == 400
    archive = c.get("/reports").text
    assert f'data-run="{run_id}"' in archive and "还没有报告。" not in archive
    assert c.get("/reports?kind=monthly").text.count("data-run=") == 1
    assert f'data-run="{run_id}"' not in c.get("/reports?kind=daily").text
    # an empty period generates the last complete one
    r = c.post("/reports/generate", data={"kind": "weekly"}, follow_redirects=False)
    assert r.status_code == 303 and runs_of(db, ws) == 2


def test_a_bad_period_is_an_error_page_and_creates_nothing(
    db: Database, client_for: Callable[..., TestClient], make_workspace: Callable[..., WorkspaceCtx]
) -> None:
    ws = make_workspace()
    c = client_for(ws)
    r = c.post("/reports/generate", data={"kind": "monthly", "period": "2026-13"})
    assert r.status_code == 400 and "<html" in r.text
    assert "YYYY-MM" in r.text and "2026-13" in r.text
    unknown = c.post("/reports/generate", data={"kind": "yearly", "period": "2026"})
    assert unknown.status_code == 400 and "yearly" in unknown.text
    assert runs_of(db, ws) == 0


def test_the_template_editor(
    client_for: Callable[..., TestClient], make_workspace: Callable[..., WorkspaceCtx]
) -> None:
    ws = make_workspace()
    c = client_for(ws)
    form = c.get("/reports/templates/monthly")
    assert form.status_code == 200, form.text[:3000]
    boxes = re.findall(r'<input type="checkbox" name="sections" value="(\w+)" checked>', form.text)
    assert boxes == [
        "service", "funnel", "complaints", "quality", "satisfaction", "retention", "recovery",
    ]  # fmt: skip

    typed = {
        "sections": ["service", "complaints"],
        "notable_change": "0.2",
        "top_n": "7",
        "min_units": "40",
        "recipients": "boss@acme.example\nnot-an-address",
        "locale": "en",
        "scheduled": "1",
        "send_hour": "9",
    }
    bad = c.post("/reports/templates/monthly", data=typed, follow_redirects=False)
    assert bad.status_code == 400, bad.text[:3000]
    assert 'id="error"' in bad.text and "not-an-address" in bad.text
    # what was typed is kept
    assert "boss@acme.example\nnot-an-address</textarea>" in bad.text
    assert 'value="service" checked' in bad.text and 'value="funnel">' in bad.text
    assert 'name="top_n" value="7"' in bad.text and 'name="send_hour" value="9"' in bad.text
    assert '<option value="en" selected>' in bad.text
    assert 'name="scheduled" value="1" checked' in bad.text
    assert c.get("/api/v1/reports/templates/monthly").json()["saved"] is False

    # numbers that are not (nan, inf) or not whole hours are refused the same way, not a 500
    for field, value in [
        ("send_hour", "nan"), ("send_hour", "inf"), ("send_hour", "8.5"), ("send_hour", "24"),
        ("notable_change", "inf"), ("top_n", "abc"), ("top_n", "0"),
    ]:  # fmt: skip
        r = c.post("/reports/templates/monthly", data={**typed, "recipients": "", field: value})
        assert r.status_code == 400 and 'id="error"' in r.text, (field, value, r.text[:2000])
        assert f'name="{field}" value="{value}"' in r.text
    assert (
        c.post(
            "/reports/templates/monthly", data={**typed, "recipients": "", "sections": []}
        ).status_code
        == 400
    )  # a report needs a section
    assert c.get("/api/v1/reports/templates/monthly").json()["saved"] is False

    good = c.post(
        "/reports/templates/monthly",
        data={**typed, "recipients": "boss@acme.example\nops@acme.example"},
        follow_redirects=False,
    )
    assert good.status_code == 303, good.text[:3000]
    assert good.headers["location"] == "/reports/templates/monthly?saved=1"
    saved = c.get("/api/v1/reports/templates/monthly").json()
    assert saved["saved"] is True and saved["sections"] == ["service", "complaints"]
    assert saved["recipients"] == ["boss@acme.example", "ops@acme.example"]
    assert saved["scheduled"] is True and saved["send_hour"] == 9 and saved["locale"] == "en"
    assert saved["thresholds"]["top_n"] == 7
    again = c.get(good.headers["location"]).text
    assert 'id="saved"' in again and 'value="funnel">' in again
    row = c.get("/reports").text.split('data-template="monthly"')[1].split("</tr>")[0]
    assert "服务指标与环比、投诉分析" in row and "次日 9:00" in row

    unknown = c.get("/reports/templates/yearly")
    assert unknown.status_code == 400 and "<html" in unknown.text and "yearly" in unknown.text
    assert c.post("/reports/templates/yearly", data=typed).status_code == 400


def test_english_and_other_workspaces(
    client_for: Callable[..., TestClient], make_workspace: Callable[..., WorkspaceCtx]
) -> None:
    ours, theirs = make_workspace(), make_workspace("Other Shop")
    c = client_for(ours)
    en = c.get("/reports?lang=en").text
    assert "Management reports" in en and "管理报告" not in en
    other = client_for(theirs)
    run_id = generate(other, "daily", "2026-10-05")
    assert other.get(f"/reports/{run_id}").status_code == 200
    r = c.get(f"/reports/{run_id}")
    assert r.status_code == 404 and "<html" in r.text
    assert f'data-run="{run_id}"' not in c.get("/reports").text
    assert c.get(f"/api/v1/reports/runs/{run_id}/xlsx").status_code == 404


def test_send_from_the_report_page(
    db: Database,
    client_for: Callable[..., TestClient],
    make_workspace: Callable[..., WorkspaceCtx],
    smtp: Server,
) -> None:
    ws = make_workspace()
    c = client_for(ws)  # this app has no mail server
    run_id = generate(c, "daily", "2026-10-05")
    refused = c.post(f"/reports/{run_id}/send", data={"recipients": "boss@acme.example"})
    assert refused.status_code == 400 and "mail is not configured" in refused.text
    # the failed delivery is kept on the report and shown there
    view = c.get(f"/reports/{run_id}").text
    assert 'id="send-error"' in view and "mail is not configured" in view
    nobody = c.post(f"/reports/{run_id}/send", data={"recipients": ""})
    assert nobody.status_code == 400 and "no recipients" in nobody.text

    settings = Settings(
        database_url=db.url, dispatch_in_process=False, reports_in_process=False,
        chromium_path=NO_BROWSER, smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_timeout_s=5,
    )  # fmt: skip
    with TestClient(create_app(settings, db)) as mail:
        login = {"workspace": ws.slug, "email": ws.admin_email, "password": PASSWORD}
        assert mail.post("/api/v1/auth/login", json=login).status_code == 200
        r = mail.post(
            f"/reports/{run_id}/send",
            data={"recipients": "boss@acme.example; ops@acme.example"},
            follow_redirects=False,
        )
        assert r.status_code == 303, r.text[:3000]
        assert r.headers["location"] == f"/reports/{run_id}?saved=sent"
        sent = mail.get(r.headers["location"]).text
        assert 'id="saved"' in sent and "已发送给 2 位收件人。" in sent
        assert 'id="send-error"' not in sent
    [message] = smtp.handler.received
    assert sorted(message.rcpt_tos) == ["boss@acme.example", "ops@acme.example"]
    files = [a.get_filename() for a in message.parsed().iter_attachments()]
    assert files == ["liuke-daily-2026-10-05.xlsx"]  # no printer here: the XLSX goes alone
