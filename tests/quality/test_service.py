"""Quality through the API and the event flow, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from liuke.core.db import Database
from tests.conftest import PASSWORD, WorkspaceCtx, drain_events

V1 = "/api/v1"


def ok(r: Any, *codes: int) -> Any:
    assert r.status_code in (codes or (200, 201)), r.text
    return r.json()


def _setup(c: TestClient) -> dict[str, int]:
    roles = {r["name"]: r["id"] for r in ok(c.get(f"{V1}/roles"))}
    agent = ok(
        c.post(
            f"{V1}/users",
            json={
                "email": "a@q.cn",
                "name": "小王",
                "password": PASSWORD,
                "role_id": roles["agent"],
            },
        )
    )["id"]
    channel = ok(c.post(f"{V1}/channels", json={"kind": "api", "name": "q"}))["id"]
    return {"agent": agent, "channel": channel, "agent_role": roles["agent"]}


def _chat(c: TestClient, ids: dict[str, int], turns: list[tuple[str, str]]) -> int:
    conv = ok(
        c.post(
            f"{V1}/conversations", json={"channel_id": ids["channel"], "assignee_id": ids["agent"]}
        )
    )["id"]
    for sender, body in turns:
        extra = {"sender_user_id": ids["agent"]} if sender == "agent" else {}
        ok(
            c.post(
                f"{V1}/conversations/{conv}/messages",
                json={"sender_type": sender, "body": body, **extra},
            )
        )
    return int(conv)


RUDE_CHAT = [
    ("customer", "你好，快递三天了还没到？"),
    ("agent", "自己去查物流，订单页面都有。"),
    ("customer", "什么态度！我要投诉你！！"),
]


def test_ended_conversations_are_inspected_and_queued(db: Database, client: TestClient) -> None:
    ids = _setup(client)
    conv = _chat(client, ids, RUDE_CHAT)
    drain_events(db)
    # live: rising anger raised an alert for the agent before anything ended
    alerts = ok(client.get(f"{V1}/quality/alerts", params={"conversation_id": conv}))["items"]
    assert len(alerts) == 1 and alerts[0]["agent_id"] == ids["agent"]
    assert ok(client.get(f"{V1}/quality/inspections"))["total"] == 0
    ok(client.patch(f"{V1}/conversations/{conv}", json={"status": "resolved"}))
    drain_events(db)
    drain_events(db)  # nothing left to deliver twice
    page = ok(client.get(f"{V1}/quality/inspections", params={"review_status": "queued"}))
    assert page["total"] == 1
    ins = page["items"][0]
    assert ins["conversation_id"] == conv and ins["queue_reason"] == "anger"
    detail = ok(client.get(f"{V1}/quality/inspections/{ins['id']}"))
    rules = {h["rule_code"] for h in detail["hits"]}
    assert {"attitude", "anger", "greeting"} <= rules
    rude = next(h for h in detail["hits"] if h["rule_code"] == "attitude")
    assert (rude["message_seq"], rude["category"], rude["evidence"]) == (2, "rude", "自己去查")
    # acknowledge the live alert
    acked = ok(client.post(f"{V1}/quality/alerts/{alerts[0]['id']}/acknowledge"))
    assert acked["status"] == "acknowledged"
    assert ok(client.get(f"{V1}/quality/alerts"))["total"] == 0


def test_review_updates_score_precision_and_survives_reinspection(
    db: Database, client: TestClient
) -> None:
    ids = _setup(client)
    conv = _chat(client, ids, RUDE_CHAT)
    detail = ok(client.post(f"{V1}/quality/conversations/{conv}/inspect"))
    hits = {h["rule_code"]: h for h in detail["hits"]}
    greeting, rude = hits["greeting"], hits["attitude"]
    reviewed = ok(
        client.post(
            f"{V1}/quality/inspections/{detail['id']}/review",
            json={"verdicts": {str(greeting["id"]): "overturned", str(rude["id"]): "confirmed"}},
        )
    )
    assert reviewed["score"] == detail["score"] + greeting["points"]
    again = ok(client.post(f"{V1}/quality/conversations/{conv}/inspect"))
    kept = {h["id"]: h["verdict"] for h in again["hits"]}
    assert kept[greeting["id"]] == "overturned" and kept[rude["id"]] == "confirmed"
    assert again["score"] == reviewed["score"]
    rules = {r["code"]: r for r in ok(client.get(f"{V1}/quality/rules"))}
    assert (rules["attitude"]["reviewed"], rules["attitude"]["precision"]) == (1, 1.0)
    assert rules["greeting"]["precision"] == 0.0
    # a finding becomes a service-failure record for recovery, once
    failure = ok(client.post(f"{V1}/quality/hits/{rude['id']}/service-failure", json={}))
    assert failure["escalated_at"] is not None
    assert (
        client.post(f"{V1}/quality/hits/{rude['id']}/service-failure", json={}).status_code == 409
    )
    events = ok(client.get(f"{V1}/events", params={"type": "quality.service_failure"}))["items"]
    assert [e["payload"]["hit_id"] for e in events] == [rude["id"]]
    assert events[0]["payload"]["root_cause_hint"] == "person"
    # and a coaching note for the agent
    note = ok(
        client.post(
            f"{V1}/quality/coaching-notes",
            json={"agent_id": ids["agent"], "body": "先安抚再给方案", "hit_id": rude["id"]},
        )
    )
    notes = ok(client.get(f"{V1}/quality/coaching-notes", params={"agent_id": ids["agent"]}))
    assert [n["id"] for n in notes["items"]] == [note["id"]]


def test_a_cue_reviewers_keep_overturning_is_muted(db: Database, client: TestClient) -> None:
    ids = _setup(client)
    for _ in range(5):
        conv = _chat(client, ids, [("customer", "这个能用吗？"), ("agent", "不清楚。")])
        d = ok(client.post(f"{V1}/quality/conversations/{conv}/inspect"))
        cue = next(h for h in d["hits"] if h["rule_code"] == "attitude")
        assert cue["evidence"] == "不清楚"
        ok(
            client.post(
                f"{V1}/quality/inspections/{d['id']}/review",
                json={"verdicts": {str(cue["id"]): "overturned"}},
            )
        )
    conv = _chat(client, ids, [("customer", "这个能用吗？"), ("agent", "不清楚。")])
    d = ok(client.post(f"{V1}/quality/conversations/{conv}/inspect"))
    assert "attitude" not in {h["rule_code"] for h in d["hits"]}


def test_rules_are_editable_and_bad_rules_refused(client: TestClient) -> None:
    rules = ok(client.get(f"{V1}/quality/rules"))
    assert len(rules) >= 12 and all(r["is_active"] for r in rules)
    forbidden = next(r for r in rules if r["code"] == "forbidden")
    changed = ok(
        client.patch(
            f"{V1}/quality/rules/{forbidden['id']}",
            json={"weight": 30, "params": {"phrases": ["你去投诉吧"]}},
        )
    )
    assert changed["weight"] == 30 and changed["params"]["phrases"] == ["你去投诉吧"]
    new = ok(
        client.post(
            f"{V1}/quality/rules",
            json={
                "code": "no_wechat",
                "kind": "forbidden_phrase",
                "params": {"phrases": ["加微信"]},
            },
        ),
        201,
    )
    assert new["kind"] == "forbidden_phrase"
    for body in (
        {"code": "x1", "kind": "no_such_kind"},
        {"code": "x2", "kind": "forbidden_phrase", "params": {"phrases": "not a list"}},
        {"code": "x3", "kind": "slow_response", "params": {"seconds": {"web": -5}}},
        {"code": "BAD CODE", "kind": "forbidden_phrase"},
        {"code": "x4", "kind": "forbidden_phrase", "weight": 500},
    ):
        r = client.post(f"{V1}/quality/rules", json=body)
        assert r.status_code in (400, 422), (body, r.text)
        assert "error" in r.json()
    assert (
        client.post(
            f"{V1}/quality/rules", json={"code": "no_wechat", "kind": "repetition"}
        ).status_code
        == 409
    )
    assert len(ok(client.get(f"{V1}/quality/rules"))) == len(rules) + 1


def test_reviews_with_foreign_or_bad_verdicts_are_refused(
    client: TestClient,
) -> None:
    ids = _setup(client)
    conv = _chat(client, ids, RUDE_CHAT)
    d = ok(client.post(f"{V1}/quality/conversations/{conv}/inspect"))
    r = client.post(
        f"{V1}/quality/inspections/{d['id']}/review", json={"verdicts": {"987654": "confirmed"}}
    )
    assert r.status_code == 400
    r = client.post(
        f"{V1}/quality/inspections/{d['id']}/review",
        json={"verdicts": {str(d["hits"][0]["id"]): "maybe"}},
    )
    assert r.status_code == 422
    after = ok(client.get(f"{V1}/quality/inspections/{d['id']}"))
    assert all(h["verdict"] is None for h in after["hits"])  # nothing half-applied


def test_agents_need_permission_for_reviews(
    db: Database,
    client: TestClient,
    client_for: Callable[..., TestClient],
    workspace: WorkspaceCtx,
) -> None:
    ids = _setup(client)
    conv = _chat(client, ids, RUDE_CHAT)
    d = ok(client.post(f"{V1}/quality/conversations/{conv}/inspect"))
    agent = client_for(workspace, "a@q.cn")
    assert agent.get(f"{V1}/quality/inspections").status_code == 403
    r = agent.post(
        f"{V1}/quality/inspections/{d['id']}/review", json={"verdicts": {"1": "confirmed"}}
    )
    assert r.status_code == 403
    assert (
        agent.post(f"{V1}/quality/emotion", json={"texts": ["太差了，我要投诉"]}).status_code == 200
    )
    assert agent.get(f"{V1}/quality/alerts").status_code == 200


def test_emotion_endpoint_handles_any_text(client: TestClient) -> None:
    texts = ["", "😀", "x" * 10_000, "Great, thanks!", "垃圾服务，我要投诉！！"]
    out = ok(client.post(f"{V1}/quality/emotion", json={"texts": texts}))
    assert len(out) == len(texts)
    assert out[0]["negativity"] == 0.5 and out[1]["negativity"] == 0.5
    assert out[4]["anger"] > 0.8 and out[4]["cue"] in {"垃圾", "投诉"}
    assert client.post(f"{V1}/quality/emotion", json={"texts": []}).status_code == 422


def test_summary_and_agent_views(db: Database, client: TestClient) -> None:
    ids = _setup(client)
    for turns in (RUDE_CHAT, [("customer", "你好"), ("agent", "您好，请问有什么可以帮您？")]):
        conv = _chat(client, ids, turns)
        ok(client.patch(f"{V1}/conversations/{conv}", json={"status": "closed"}))
    drain_events(db)
    summary = ok(client.get(f"{V1}/quality/summary"))
    assert summary["inspections"] == 2 and sum(summary["score_bands"].values()) == 2
    kinds = {o["kind"] for o in summary["outcomes"]}
    assert "attitude" in kinds
    [agent] = ok(client.get(f"{V1}/quality/agents"))
    assert agent["agent_id"] == ids["agent"] and agent["inspections"] == 2
    assert agent["hits_by_category"]["rude"] == 1
    trend = ok(client.get(f"{V1}/quality/agents/{ids['agent']}/trend"))
    assert sum(p["inspections"] for p in trend) == 2


def test_reviewed_anger_findings_become_training_examples(db: Database, client: TestClient) -> None:
    from liuke.quality.service import emotion_feedback

    ids = _setup(client)
    conv = _chat(client, ids, RUDE_CHAT)
    d = ok(client.post(f"{V1}/quality/conversations/{conv}/inspect"))
    anger = next(h for h in d["hits"] if h["rule_code"] == "anger")
    assert anger["evidence"] == RUDE_CHAT[2][1]  # the customer's whole message
    ok(
        client.post(
            f"{V1}/quality/inspections/{d['id']}/review",
            json={"verdicts": {str(anger["id"]): "confirmed"}},
        )
    )
    workspace_id = ok(client.get(f"{V1}/workspace"))["id"]
    with db.session() as s:
        assert emotion_feedback(s, workspace_id) == ([RUDE_CHAT[2][1]], [0])
