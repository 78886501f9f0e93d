"""The surveys API over HTTP: questionnaires and versions, sending, the public answer link with
bad input (out of range, twice, expired, unknown token), listings, figures, and another
workspace's ids answering 404 like missing ones."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from liuke.core.db import Database, utcnow
from liuke.surveys.models import SurveyInvitation
from tests.conftest import WorkspaceCtx

from .helpers import agent, conversation, customer

S = "/api/v1/surveys"


def ok(r: Any, *codes: int) -> Any:
    assert r.status_code in (codes or (200, 201)), r.text
    return r.json()


def refused(r: Any, status: int, fragment: str = "") -> dict[str, Any]:
    assert r.status_code == status, r.text
    error: dict[str, Any] = r.json()["error"]
    assert fragment in error["message"], r.text
    return error


QUESTIONS: list[dict[str, Any]] = [
    {"key": "overall", "kind": "csat5", "text": {"zh_CN": "满意吗", "en": "Happy?"}},
    {
        "key": "speed",
        "kind": "csat5",
        "text": {"zh_CN": "速度", "en": "Speed"},
        "attribute": "speed",
        "required": False,
    },
]


def test_questionnaires_crud_and_versions(client: TestClient) -> None:
    page = ok(client.get(f"{S}/questionnaires"))
    assert {q["code"] for q in page["items"]} >= {"csat-default", "nps-default", "ces-default"}
    q = ok(
        client.post(
            f"{S}/questionnaires",
            json={"code": "csat-short", "name": "短问卷", "kind": "csat", "questions": QUESTIONS},
        ),
        201,
    )
    assert q["current_version"] == 1 and q["questions"][1]["attribute"] == "speed"
    refused(
        client.post(
            f"{S}/questionnaires",
            json={"code": "csat-short", "name": "again", "kind": "csat", "questions": QUESTIONS},
        ),
        409,
    )
    bad = [{**QUESTIONS[0], "kind": "stars"}]
    refused(
        client.post(
            f"{S}/questionnaires",
            json={"code": "bad", "name": "bad", "kind": "csat", "questions": bad},
        ),
        400,
        "question 1",
    )
    q2 = ok(client.patch(f"{S}/questionnaires/{q['id']}", json={"questions": QUESTIONS[:1]}))
    assert q2["current_version"] == 2
    q3 = ok(client.patch(f"{S}/questionnaires/{q['id']}", json={"rotation_weight": 5}))
    assert (q3["current_version"], q3["rotation_weight"]) == (2, 5)
    versions = ok(client.get(f"{S}/questionnaires/{q['id']}/versions"))
    assert [len(v["questions"]) for v in versions] == [2, 1]
    assert ok(client.get(f"{S}/questionnaires", params={"kind": "csat"}))["total"] == 2


def _ended(db: Database, ws: WorkspaceCtx, **kw: Any) -> int:
    return conversation(db, ws.id, customer_id=customer(db, ws.id), status="resolved", **kw)


def test_send_and_answer_through_the_public_link(
    db: Database, client: TestClient, anon_client: TestClient, workspace: WorkspaceCtx
) -> None:
    a = agent(db, workspace.id, f"agent@{workspace.slug}.test")
    conv = _ended(db, workspace, assignee_id=a)
    body = {"kind": "csat", "channel": "link", "conversation_id": conv}
    inv = ok(client.post(f"{S}/invitations", json=body), 201)
    assert inv["url"].startswith("/s/") and inv["agent_id"] == a
    assert ok(client.post(f"{S}/invitations", json=body), 200)["id"] == inv["id"]  # once
    token = inv["url"].removeprefix("/s/")
    public = f"{S}/public/{token}"
    form = ok(anon_client.get(public))
    assert form["state"] == "open" and form["questions"][0]["max"] == 5
    assert ok(anon_client.get(public, params={"lang": "en"}))["questions"][0]["text"].startswith(
        "How satisfied"
    )
    # bad input, named; nothing stored
    e = refused(anon_client.post(f"{public}/answers", json={"answers": {"overall": 7}}), 400)
    assert "overall" in e["message"] and "7" in e["message"]
    refused(
        anon_client.post(
            f"{public}/answers?lang=en", json={"answers": {"overall": 4, "speed": -1}}
        ),
        400,
        "Question “speed”: -1 is out of range (1-5)",
    )
    refused(anon_client.post(f"{public}/answers", json={"answers": {"overall": "x"}}), 400)
    refused(anon_client.post(f"{public}/answers", json={"answers": {}}), 400, "overall")
    refused(anon_client.post(f"{public}/answers", json={"answers": []}), 422)
    answer = {"answers": {"overall": 5, "speed": 4, "comment": "很好"}}
    done = ok(anon_client.post(f"{public}/answers", json=answer), 201)
    assert done == {"status": "answered", "kind": "csat", "score": 5.0}
    refused(
        anon_client.post(f"{public}/answers", json={"answers": {"overall": 1}}),
        409,
        "首次回答已保留",
    )
    assert ok(anon_client.get(public))["state"] == "answered"
    [resp] = ok(client.get(f"{S}/responses", params={"conversation_id": conv}))["items"]
    assert (resp["score"], resp["agent_id"], resp["answers"]["speed"]) == (5.0, a, 4)
    assert ok(client.get(f"{S}/responses/{resp['id']}"))["comment"] == "很好"
    assert ok(client.get(f"{S}/invitations/{inv['id']}"))["status"] == "answered"
    # unknown token
    refused(anon_client.get(f"{S}/public/nope"), 404)
    refused(anon_client.post(f"{S}/public/nope/answers", json={"answers": {"overall": 5}}), 404)


def test_an_expired_link_answers_410(
    db: Database, client: TestClient, anon_client: TestClient, workspace: WorkspaceCtx
) -> None:
    conv = _ended(db, workspace)
    inv = ok(client.post(f"{S}/invitations", json={"kind": "ces", "conversation_id": conv}))
    with db.session() as s:
        row = s.get(SurveyInvitation, inv["id"])
        assert row is not None
        row.expires_at = utcnow() - timedelta(minutes=1)
    token = inv["url"].removeprefix("/s/")
    refused(
        anon_client.post(f"{S}/public/{token}/answers", json={"answers": {"effort": 5}}),
        410,
        "过期",
    )
    assert ok(anon_client.get(f"{S}/public/{token}"))["state"] == "expired"


def test_figures_over_http(
    db: Database, client: TestClient, anon_client: TestClient, workspace: WorkspaceCtx
) -> None:
    a = agent(db, workspace.id, f"fig@{workspace.slug}.test")
    for score, speed in ((5, 5), (4, 4), (2, 1), (1, 2), (4, 5), (3, 2)):
        conv = _ended(db, workspace, assignee_id=a)
        inv = ok(client.post(f"{S}/invitations", json={"kind": "csat", "conversation_id": conv}))
        token = inv["url"].removeprefix("/s/")
        answers = {"overall": score, "speed": speed, "attitude": 4, "resolution": score}
        ok(anon_client.post(f"{S}/public/{token}/answers", json={"answers": answers}), 201)
    _ended(db, workspace, assignee_id=a)  # resolved, not invited
    res = ok(client.get(f"{S}/results"))
    assert res["overall"]["csat_n"] == 6
    assert res["overall"]["csat_satisfied"] == 0.5
    [mine] = [r for r in res["by_agent"] if r["agent_id"] == a]
    assert mine["csat_mean"] == 19 / 6
    rates = ok(client.get(f"{S}/response-rates"))
    assert rates["overall"] == {"sent": 6, "answered": 6, "failed": 0, "rate": 1.0}
    ipa = ok(client.get(f"{S}/ipa"))
    assert ipa["responses"] == 6 and ipa["derived"] is not None
    assert {a["attribute"] for a in ipa["derived"]["attributes"]} == {"speed", "resolution"}
    excluded = {e["attribute"]: e["code"] for e in ipa["derived"]["excluded"]}
    assert excluded == {"attitude": "no_variation", "expertise": "no_answers"}
    refused(client.get(f"{S}/ipa", params={"target": 2}), 422)
    refused(client.get(f"{S}/results", params={"start": "2026-02-01", "end": "2026-01-01"}), 400)


def test_other_workspaces_ids_are_not_found(
    db: Database,
    client_for: Callable[..., TestClient],
    make_workspace: Callable[..., WorkspaceCtx],
) -> None:
    mine, theirs = make_workspace("Mine"), make_workspace("Theirs")
    me, them = client_for(mine), client_for(theirs)
    a = agent(db, theirs.id, f"x@{theirs.slug}.test")
    their_customer = customer(db, theirs.id)
    conv = conversation(db, theirs.id, customer_id=their_customer, assignee_id=a, status="resolved")
    inv = ok(them.post(f"{S}/invitations", json={"kind": "csat", "conversation_id": conv}))
    token = inv["url"].removeprefix("/s/")
    ok(them.post(f"{S}/public/{token}/answers", json={"answers": {"overall": 4}}), 201)
    resp = ok(them.get(f"{S}/responses"))["items"][0]
    q = ok(them.get(f"{S}/questionnaires", params={"kind": "csat"}))["items"][0]
    for path, missing in (
        (f"{S}/questionnaires/{q['id']}", f"{S}/questionnaires/999999999"),
        (f"{S}/questionnaires/{q['id']}/versions", f"{S}/questionnaires/999999999/versions"),
        (f"{S}/invitations/{inv['id']}", f"{S}/invitations/999999999"),
        (f"{S}/responses/{resp['id']}", f"{S}/responses/999999999"),
    ):
        assert refused(me.get(path), 404) == refused(me.get(missing), 404)
    refused(me.patch(f"{S}/questionnaires/{q['id']}", json={"name": "x"}), 404)
    for body in (
        {"kind": "csat", "conversation_id": conv},
        {"kind": "nps", "customer_id": their_customer},
        {"kind": "nps", "customer_id": customer(db, mine.id), "questionnaire_id": q["id"]},
    ):
        refused(me.post(f"{S}/invitations", json=body), 404)
    for params in (
        {"customer_id": their_customer},
        {"conversation_id": conv},
        {"agent_id": a},
        {"questionnaire_id": q["id"]},
    ):
        refused(me.get(f"{S}/responses", params=params), 404)
        refused(me.get(f"{S}/invitations", params=params), 404)
    refused(me.get(f"{S}/ipa", params={"questionnaire_id": q["id"]}), 404)
    segment_body = {
        "code": "seg",
        "name": "seg",
        "kind": "csat",
        "questions": QUESTIONS,
        "segment_id": 999_999_999,
    }
    refused(me.post(f"{S}/questionnaires", json=segment_body), 404)
    # and their figures stay theirs
    assert ok(me.get(f"{S}/results"))["overall"]["csat_n"] == 0
    with db.session() as s:
        assert s.scalar(select(SurveyInvitation.id).where(SurveyInvitation.id == inv["id"]))


def test_permissions(
    db: Database, client_for: Callable[..., TestClient], workspace: WorkspaceCtx
) -> None:
    agent(db, workspace.id, f"ag@{workspace.slug}.test")
    c = client_for(workspace, f"ag@{workspace.slug}.test")
    ok(c.get(f"{S}/results"))  # agents read (retention.read)
    body = {"code": "z", "name": "z", "kind": "csat", "questions": QUESTIONS}
    refused(c.post(f"{S}/questionnaires", json=body), 403)
    refused(c.post(f"{S}/periodic"), 403)
