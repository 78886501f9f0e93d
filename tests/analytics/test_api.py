"""The analytics endpoints: figures, exports, clear refusals, permissions."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from liuke.core.db import Database
from tests.analytics.fixture import Fixture, build
from tests.conftest import WorkspaceCtx

V1 = "/api/v1/analytics"
RANGE = {"start": "2026-11-02", "end": "2026-11-03"}


@pytest.fixture
def fx(db: Database) -> Fixture:
    return build(db)


@pytest.fixture
def api(fx: Fixture, client_for: Callable[..., TestClient]) -> TestClient:
    ctx = WorkspaceCtx(fx.workspace_id, fx.slug, fx.admin_email, 0)
    return client_for(ctx, password="pw-123456")


def test_catalogue_lists_every_metric_in_both_languages(api: TestClient) -> None:
    body = api.get(f"{V1}/catalogue").json()
    names = {m["name"] for m in body["metrics"]}
    assert {"first_response_time", "conversion_rate", "sla_first_response"} <= names
    frt = next(m for m in body["metrics"] if m["name"] == "first_response_time")
    assert frt["label_zh"] == "首次响应时长（均值）" and frt["unit"] == "seconds"
    assert body["funnel_steps"][0]["name"] == "contact"


def test_query_returns_the_figures_with_comparisons(api: TestClient, fx: Fixture) -> None:
    r = api.get(f"{V1}/query", params={**RANGE, "metrics": "contacts,reply_rate", "by": "agent"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"]["values"] == {"contacts": 6, "reply_rate": pytest.approx(5 / 6, 1e-5)}
    assert body["previous"]["values"]["contacts"] == 1
    assert body["vs_previous"]["contacts"]["rate"] == 5.0
    labels = {row["label"] for row in body["rows"]}
    assert labels == {"客服甲", "客服乙", "未分配"}
    only_a = api.get(
        f"{V1}/query", params={**RANGE, "metrics": "contacts", "agent_id": fx.agent_a}
    ).json()
    assert only_a["total"]["values"]["contacts"] == 2


def test_query_exports_csv_and_xlsx(api: TestClient) -> None:
    params = {**RANGE, "metrics": "contacts,first_response_time", "by": "channel"}
    r = api.get(f"{V1}/query", params={**params, "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    text = r.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["渠道", "咨询量", "首次响应时长（均值）"]
    assert ["网页咨询", "5.0", "8.333333"] in rows
    assert [r[0] for r in rows[-5:]] == ["合计", "上期", "环比升降率", "去年同期", "同比升降率"]
    x = api.get(f"{V1}/query", params={**params, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(x.content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][:2] == ["渠道", "咨询量"] and ["邮件", 1, 3600] in values


def test_funnel_agents_and_diagnosis_answer(api: TestClient) -> None:
    f = api.get(f"{V1}/funnel", params={**RANGE, "by": "channel"}).json()
    assert [s["count"] for s in f["overall"]["steps"]] == [6, 5, 2, 2, 1]
    a = api.get(f"{V1}/agents", params=RANGE).json()
    assert {c["name"] for c in a["agents"]} == {"客服甲", "客服乙"}
    assert "receptions" in a["agents"][0]["cells"]
    d = api.get(f"{V1}/diagnosis", params=RANGE)
    assert d.status_code == 200 and d.json()["findings"] == []  # six conversations prove nothing
    for path in ("funnel", "agents", "diagnosis"):
        x = api.get(f"{V1}/{path}", params={**RANGE, "format": "xlsx"})
        assert x.status_code == 200 and x.content[:2] == b"PK", path


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"metrics": "contacts,bogus"}, "unknown metric bogus"),
        ({"by": "weather"}, "unknown breakdown weather"),
        ({"start": "2026-11-05", "end": "2026-11-01"}, "before it starts"),
        ({"start": "2000-01-01", "end": "2026-01-01"}, "at most"),
        ({"engine": "duckdb"}, "no snapshot folder"),
        ({"engine": "pyspark"}, "Spark runs from"),
    ],
)
def test_bad_queries_get_a_clear_400(api: TestClient, params: dict[str, str], message: str) -> None:
    r = api.get(f"{V1}/query", params=params)
    assert r.status_code == 400, r.text
    assert message in r.text


def test_malformed_parameters_are_422(api: TestClient) -> None:
    assert api.get(f"{V1}/query", params={"start": "yesterday"}).status_code == 422
    assert api.get(f"{V1}/query", params={"agent_id": "x"}).status_code == 422
    assert api.get(f"{V1}/query", params={"format": "pdf"}).status_code == 422


def test_agents_without_analytics_permission_are_refused(
    fx: Fixture, client_for: Callable[..., TestClient]
) -> None:
    ctx = WorkspaceCtx(fx.workspace_id, fx.slug, fx.admin_email, 0)
    agent = client_for(ctx, email=f"a@{fx.slug}.test", password="pw-123456")
    assert agent.get(f"{V1}/query").status_code == 403


def test_cached_figures_are_labelled_in_each_callers_language(api: TestClient) -> None:
    params = {**RANGE, "metrics": "contacts", "by": "agent"}
    zh = api.get(f"{V1}/query", params=params).json()
    en = api.get(f"{V1}/query", params={**params, "lang": "en"}).json()
    assert {r["label"] for r in zh["rows"]} == {"客服甲", "客服乙", "未分配"}
    assert {r["label"] for r in en["rows"]} == {"客服甲", "客服乙", "Unassigned"}
    assert zh["rows"][-1]["values"] == en["rows"][-1]["values"]
