"""The satisfaction pages and the public answer form, in Chinese (default) and English."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from liuke.core.db import Database
from liuke.surveys import service
from tests.conftest import WorkspaceCtx

from .helpers import agent, conversation, customer

ROWS = [  # overall, speed, attitude, expertise, resolution
    (5, 5, 5, 4, 5),
    (4, 3, 5, 4, 4),
    (2, 1, 4, 3, 3),
    (1, 2, 2, 3, 2),
    (5, 4, 5, 5, 4),
    (3, 2, 4, 4, 3),
    (4, 3, 5, 3, 5),
    (2, 2, 5, 4, 2),
]


def get(c: TestClient, path: str, status: int = 200) -> str:
    r = c.get(path)
    assert r.status_code == status, (path, r.status_code, r.text[:2000])
    return r.text


def chart(page: str, element_id: str) -> dict[str, Any]:
    m = re.search(rf'id="{element_id}" data-chart="([^"]*)"', page)
    assert m, element_id
    option: dict[str, Any] = json.loads(html.unescape(m.group(1)))
    return option


@pytest.fixture
def world(db: Database, workspace: WorkspaceCtx) -> dict[str, Any]:
    ws = workspace.id
    a = agent(db, ws, f"li@{workspace.slug}.test")
    tokens = []
    for i, (overall, speed, attitude, expertise, resolution) in enumerate(ROWS):
        conv = conversation(db, ws, customer_id=customer(db, ws), assignee_id=a, status="resolved")
        with db.session() as s:
            inv, _ = service.invite(s, ws, kind="csat", channel="widget", conversation_id=conv)
            answers: dict[str, Any] = {
                "overall": overall,
                "speed": speed,
                "attitude": attitude,
                "expertise": expertise,
                "resolution": resolution,
            }
            if i == 0:
                answers["comment"] = "<script>alert(1)</script>"
            service.answer(s, inv.token, answers)
    with db.session() as s:
        inv, _ = service.invite(s, ws, kind="nps", channel="link", customer_id=customer(db, ws))
        service.answer(s, inv.token, {"recommend": 9})
    open_conv = conversation(db, ws, customer_id=customer(db, ws), assignee_id=a, status="resolved")
    with db.session() as s:
        inv, _ = service.invite(s, ws, kind="csat", channel="link", conversation_id=open_conv)
        tokens.append(inv.token)
    return {"agent": a, "token": tokens[0]}


def test_overview_in_chinese_and_english(client: TestClient, world: dict[str, Any]) -> None:
    page = get(client, "/satisfaction")
    assert '<html lang="zh-CN">' in page and 'data-nav="satisfaction"' in page
    assert "CSAT 满意率" in page and "重要性-绩效分析" in page and "重点改进区" in page
    assert 'data-kpi="csat" data-value="0.5"' in page  # 4 of 8 scored 4-5
    assert 'data-kpi="nps" data-value="100.0"' in page
    option = chart(page, "ipa-chart")
    names = {p["name"] for p in option["series"][0]["data"]}
    assert names == {"响应速度", "服务态度", "专业程度", "问题解决"}
    assert 'data-attribute="speed"' in page
    assert "data-chart" in page and "/static/charts.js" in page
    assert "trend-chart" in page
    english = get(client, "/satisfaction?lang=en")
    assert '<html lang="en">' in english
    assert "Importance-performance analysis" in english and "Response rates" in english
    assert "重要性" not in english
    assert {p["name"] for p in chart(english, "ipa-chart")["series"][0]["data"]} == {
        "Speed",
        "Attitude",
        "Expertise",
        "Resolution",
    }
    get(client, "/satisfaction?start=yesterday", status=400)


def test_responses_are_listed_escaped(client: TestClient, world: dict[str, Any]) -> None:
    page = get(client, f"/satisfaction/responses?agent_id={world['agent']}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert" not in page
    assert "8 份答卷" in page
    assert "Responses" in get(client, "/satisfaction/responses?lang=en&kind=nps")
    get(client, "/satisfaction/responses?agent_id=999999999", status=404)
    get(client, "/satisfaction/responses?kind=stars", status=400)


def test_questionnaires_are_edited_by_managers(
    db: Database,
    client: TestClient,
    client_for: Callable[..., TestClient],
    make_workspace: Callable[..., WorkspaceCtx],
    workspace: WorkspaceCtx,
) -> None:
    page = get(client, "/satisfaction/questionnaires")
    assert "csat-default" in page and 'id="new"' in page
    qs: list[dict[str, Any]] = [
        {"key": "overall", "kind": "csat5", "text": {"zh_CN": "满意吗", "en": "Happy?"}},
    ]
    r = client.post(
        "/satisfaction/questionnaires",
        data={"code": "short", "name": "短问卷", "kind": "csat", "questions": json.dumps(qs)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    url = r.headers["location"]
    qs.append(
        {"key": "why", "kind": "text", "text": {"zh_CN": "为什么", "en": "Why"}, "required": False}
    )
    form = {"name": "短问卷", "questions": json.dumps(qs), "rotation_weight": "2", "active": "1"}
    r = client.post(url, data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    detail = get(client, r.headers["location"])
    assert 'data-version="2"' in detail and "当前版本 2" in detail
    bad = client.post(url, data={**form, "questions": "[{"}, follow_redirects=False)
    assert bad.status_code == 400 and "JSON" in bad.text
    bad = client.post(url, data={**form, "questions": "[]"}, follow_redirects=False)
    assert bad.status_code == 400 and "non-empty" in bad.text
    # an agent reads but cannot edit; another workspace's questionnaire is not found
    agent(db, workspace.id, f"ag@{workspace.slug}.test")
    ag = client_for(workspace, f"ag@{workspace.slug}.test")
    assert 'id="new"' not in get(ag, "/satisfaction/questionnaires")
    assert ag.post(url, data=form, follow_redirects=False).status_code == 403
    other = client_for(make_workspace("Other"))
    get(other, url, status=404)
    assert other.post(url, data=form, follow_redirects=False).status_code == 404


def test_public_form_answers_once(
    anon_client: TestClient, client: TestClient, world: dict[str, Any]
) -> None:
    path = f"/s/{world['token']}"
    page = get(anon_client, path)
    assert '<html lang="zh-CN">' in page and "您对本次服务满意吗" in page
    assert 'name="overall" value="5"' in page and 'name="viewport"' in page
    english = get(anon_client, path + "?lang=en")
    assert "How satisfied are you" in english and "Very satisfied" in english
    # out of range: the form again, the reason named, what was typed kept, nothing stored
    r = anon_client.post(path, data={"overall": "9", "comment": "慢<b>"})
    assert r.status_code == 400 and "超出范围" in r.text and "慢&lt;b&gt;" in r.text
    r = anon_client.post(path + "?lang=en", data={"overall": "abc"})
    assert r.status_code == 400 and "whole number" in r.text
    r = anon_client.post(path, data={"overall": "4", "speed": "2", "comment": "还行"})
    assert r.status_code == 200 and 'id="thanks"' in r.text
    r = anon_client.post(path, data={"overall": "1"})
    assert r.status_code == 409 and 'id="answered"' in r.text
    assert 'data-state="answered"' in get(anon_client, path)
    assert 'id="not-found"' in get(anon_client, "/s/not-a-token", status=404)
    responses = get(client, "/satisfaction/responses")
    assert "还行" in responses
