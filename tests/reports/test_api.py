"""The reports API: templates, generation, the archive, downloads and delivery, with clear
refusals (bad kind, period, template, missing mail) that change nothing."""

from __future__ import annotations

import io
from collections.abc import Callable

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from liuke.core.db import Database
from liuke.workspaces import service as ws_service
from tests.conftest import PASSWORD, WorkspaceCtx

R = "/api/v1/reports"


def test_generate_list_read_download(
    client_for: Callable[..., TestClient], workspace: WorkspaceCtx
) -> None:
    c = client_for(workspace)
    r = c.post(f"{R}/runs", json={"kind": "monthly", "period": "2026-10", "locale": "en"})
    assert r.status_code == 201, r.text
    run = r.json()
    assert (run["kind"], run["period_key"], run["status"], run["locale"]) == (
        "monthly", "2026-10", "ready", "en",
    )  # fmt: skip
    assert run["period_start"] == "2026-10-01" and run["period_end"] == "2026-10-31"
    assert run["xlsx_size"] > 0 and run["workspace_id"] == workspace.id
    listed = c.get(f"{R}/runs", params={"kind": "monthly"}).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == run["id"]
    assert c.get(f"{R}/runs", params={"kind": "daily"}).json()["total"] == 0
    detail = c.get(f"{R}/runs/{run['id']}").json()
    assert detail["document"]["title"].endswith("October 2026")
    assert detail["document"]["sections"][0]["key"] == "service"
    x = c.get(f"{R}/runs/{run['id']}/xlsx")
    assert x.status_code == 200 and "spreadsheetml" in x.headers["content-type"]
    assert 'filename="liuke-monthly-2026-10.xlsx"' in x.headers["content-disposition"]
    assert load_workbook(io.BytesIO(x.content)).sheetnames[0] == "Report"
    # without a period: the last complete one
    daily = c.post(f"{R}/runs", json={"kind": "daily"})
    assert daily.status_code == 201 and daily.json()["period_key"] < "9999"


def test_refusals_are_clear_and_change_nothing(
    client_for: Callable[..., TestClient], workspace: WorkspaceCtx
) -> None:
    c = client_for(workspace)
    r = c.post(f"{R}/runs", json={"kind": "yearly"})
    assert r.status_code == 400 and "unknown report kind" in r.text
    r = c.post(f"{R}/runs", json={"kind": "monthly", "period": "2026/10"})
    assert r.status_code == 400 and "expected YYYY-MM" in r.text
    r = c.post(f"{R}/runs", json={"kind": "monthly", "extra": 1})
    assert r.status_code == 422
    assert c.get(f"{R}/runs").json()["total"] == 0
    assert c.get(f"{R}/runs/987654").status_code == 404
    bad = {"sections": ["service", "bogus"], "recipients": ["boss@shop.cn"]}
    r = c.put(f"{R}/templates/monthly", json=bad)
    assert r.status_code == 400 and "unknown section bogus" in r.text
    assert c.get(f"{R}/templates/monthly").json()["saved"] is False
    good = {"sections": ["service", "retention"], "recipients": ["boss@shop.cn"], "scheduled": True}
    saved = c.put(f"{R}/templates/monthly", json=good).json()
    assert saved["saved"] and saved["sections"] == ["service", "retention"]
    assert saved["available_sections"][-1] == "recovery"
    templates = c.get(f"{R}/templates").json()
    assert [t["kind"] for t in templates] == ["daily", "tenday", "weekly", "monthly"]
    run = c.post(f"{R}/runs", json={"kind": "monthly", "period": "2026-10"}).json()
    assert [s["key"] for s in c.get(f"{R}/runs/{run['id']}").json()["document"]["sections"]] == [
        "service", "retention",
    ]  # fmt: skip
    r = c.post(f"{R}/runs/{run['id']}/send", json={})
    assert r.status_code == 400 and "mail is not configured" in r.text
    assert c.get(f"{R}/runs/{run['id']}").json()["sent_at"] is None


def test_agents_cannot_read_management_reports(
    client_for: Callable[..., TestClient], db: Database, workspace: WorkspaceCtx
) -> None:
    with db.session() as s:
        ws_service.create_user(
            s, workspace.id, f"agent@{workspace.slug}.test", "客服", PASSWORD, "agent"
        )
    agent = client_for(workspace, f"agent@{workspace.slug}.test")
    assert agent.get(f"{R}/runs").status_code == 403
    assert agent.post(f"{R}/runs", json={"kind": "daily"}).status_code == 403
