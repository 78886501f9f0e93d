"""The survey service on SQLite and PostgreSQL: questionnaires and versions, rotation,
invitations, validated answers (out of range, twice, expired), figures and the IPA."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from liuke.conversations.models import Message
from liuke.core.db import Database, utcnow
from liuke.core.errors import BadRequest, Conflict, NotFound
from liuke.crm.models import Segment, SegmentMembership
from liuke.surveys import service
from liuke.surveys.models import SurveyInvitation, SurveyResponse
from tests.conftest import WorkspaceCtx

from .helpers import agent, conversation, customer

CSAT_ONLY = [
    {"key": "overall", "kind": "csat5", "text": {"zh_CN": "满意吗", "en": "Happy?"}},
]


def today() -> date:
    return utcnow().astimezone(ZoneInfo("Asia/Shanghai")).date()


def refused(db: Database, fn: Callable[[Any], Any], exc: type[Exception] = BadRequest) -> Any:
    with pytest.raises(exc) as info, db.session() as s:
        fn(s)
    return info.value


def test_defaults_are_created_once_and_edits_add_versions(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    with db.session() as s:
        first = service.ensure_defaults(s, ws)
        again = service.ensure_defaults(s, ws)
        assert {k: q.id for k, q in first.items()} == {k: q.id for k, q in again.items()}
        csat = first["csat"]
        questions = service.current_questions(s, csat)
        assert questions[0]["kind"] == "csat5"
        assert [q["attribute"] for q in questions if q["attribute"]] == list(service.ATTRIBUTES)
        # same questions: no new version; changed: version 2, version 1 kept as it was
        service.update_questionnaire(s, ws, csat.id, {"questions": questions})
        assert csat.current_version == 1
        changed = [*questions[:2], *questions[3:]]
        service.update_questionnaire(s, ws, csat.id, {"questions": changed, "name": "短版"})
        assert (csat.current_version, csat.name) == (2, "短版")
        vs = service.versions(s, ws, csat.id)
        assert [v.version for v in vs] == [1, 2]
        assert vs[0].questions == questions and vs[1].questions == changed


def test_questions_are_checked_with_the_question_named(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id

    def create(questions: Any, kind: str = "csat") -> Callable[[Any], Any]:
        return lambda s: service.create_questionnaire(
            s, ws, code="x", name="X", kind=kind, questions=questions
        )

    assert "non-empty" in refused(db, create([])).params["detail"]
    bad_kind = [{**CSAT_ONLY[0], "kind": "stars"}]
    assert "question 1 ('overall')" in refused(db, create(bad_kind)).params["detail"]
    nps_first = [{"key": "n", "kind": "nps10", "text": {"zh_CN": "推荐", "en": "Recommend"}}]
    assert "must be a required csat5" in refused(db, create(nps_first)).params["detail"]
    no_en = [{**CSAT_ONLY[0], "text": {"zh_CN": "满意吗"}}]
    assert "zh_CN and en" in refused(db, create(no_en)).params["detail"]
    with db.session() as s:
        service.create_questionnaire(s, ws, code="x", name="X", kind="csat", questions=CSAT_ONLY)
    refused(db, create(CSAT_ONLY), Conflict)


def test_rotation_is_reproducible_weighted_and_follows_segments(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    member = customer(db, ws)
    other = customer(db, ws)
    with db.session() as s:
        defaults = service.ensure_defaults(s, ws)
        b = service.create_questionnaire(
            s, ws, code="csat-b", name="B", kind="csat", questions=CSAT_ONLY, rotation_weight=3
        )
        seg = Segment(workspace_id=ws, code="vip", name="VIP")
        s.add(seg)
        s.flush()
        s.add(
            SegmentMembership(workspace_id=ws, segment_id=seg.id, customer_id=member, since=today())
        )
        vip = service.create_questionnaire(
            s, ws, code="csat-vip", name="VIP", kind="csat", questions=CSAT_ONLY, segment_id=seg.id
        )
        s.flush()
        picks = Counter(
            service.pick_questionnaire(s, ws, "csat", other, f"seed-{i}").id for i in range(400)
        )
        assert set(picks) == {defaults["csat"].id, b.id}
        assert 2.2 < picks[b.id] / picks[defaults["csat"].id] < 4.0  # weights 3 : 1
        again = [
            service.pick_questionnaire(s, ws, "csat", other, f"seed-{i}").id for i in range(20)
        ]
        assert again == [
            service.pick_questionnaire(s, ws, "csat", other, f"seed-{i}").id for i in range(20)
        ]
        assert service.pick_questionnaire(s, ws, "csat", member, "any").id == vip.id
        # a closed membership spell no longer counts
        for m in s.scalars(
            select(SegmentMembership).where(SegmentMembership.customer_id == member)
        ):
            m.until = today()
        s.flush()
        assert service.pick_questionnaire(s, ws, "csat", member, "any").id != vip.id
        for q in (defaults["csat"], b, vip):
            q.active = False
        s.flush()
        with pytest.raises(BadRequest):
            service.pick_questionnaire(s, ws, "csat", other, "x")


def test_invitations_one_csat_per_conversation_widget_posts_the_link(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    a = agent(db, ws, f"a@{workspace.slug}.test")
    c = customer(db, ws)
    conv = conversation(db, ws, customer_id=c, assignee_id=a, status="resolved")
    with db.session() as s:
        inv, created = service.invite(s, ws, kind="csat", channel="widget", conversation_id=conv)
        assert created and inv.status == "sent"
        assert (inv.customer_id, inv.agent_id, inv.conversation_id) == (c, a, conv)
        again, created2 = service.invite(s, ws, kind="csat", channel="link", conversation_id=conv)
        assert (again.id, created2) == (inv.id, False)
        [msg] = s.scalars(
            select(Message).where(Message.conversation_id == conv, Message.sender_type == "system")
        )
        assert f"/s/{inv.token}" in msg.body and msg.meta["survey_invitation_id"] == inv.id
    # bad input: no conversation for CSAT, widget without a conversation, e-mail without address
    refused(db, lambda s: service.invite(s, ws, kind="csat", channel="link", customer_id=c))
    refused(db, lambda s: service.invite(s, ws, kind="nps", channel="widget", customer_id=c))
    refused(db, lambda s: service.invite(s, ws, kind="nps", channel="email", customer_id=c))
    refused(db, lambda s: service.invite(s, ws, kind="nps", channel="sms", customer_id=c))


def _invite(db: Database, ws: int, conv: int, kind: str = "csat") -> str:
    with db.session() as s:
        inv, _ = service.invite(s, ws, kind=kind, channel="link", conversation_id=conv)
        return inv.token


def test_answers_are_validated_and_a_token_is_answered_once(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    conv = conversation(db, ws, customer_id=customer(db, ws), status="resolved")
    token = _invite(db, ws, conv)

    def answer(answers: Any) -> Callable[[Any], Any]:
        return lambda s: service.answer(s, token, answers)

    e = refused(db, answer({"overall": 6}))
    assert (e.message_key, e.params["question"], e.params["value"]) == (
        "surveys.error.out_of_range",
        "overall",
        6,
    )
    assert refused(db, answer({"overall": 0})).params["value"] == 0
    assert refused(db, answer({"overall": "5"})).message_key == "surveys.error.not_integer"
    assert refused(db, answer({"overall": True})).message_key == "surveys.error.not_integer"
    assert refused(db, answer({"overall": 4.5})).message_key == "surveys.error.not_integer"
    assert refused(db, answer({"speed": 4})).params["question"] == "overall"  # required
    assert refused(db, answer({"overall": 4, "speed": 9})).params["question"] == "speed"
    assert refused(db, answer({"overall": 4, "colour": 1})).params["question"] == "colour"
    assert refused(db, answer({"overall": 4, "comment": 5})).message_key == "surveys.error.not_text"
    assert refused(db, answer({"overall": 4, "comment": "x" * 2001})).params["limit"] == 2000
    with db.session() as s:  # nothing was stored by the refusals
        assert s.scalar(select(SurveyResponse).where(SurveyResponse.workspace_id == ws)) is None
        resp = service.answer(s, token, {"overall": 5, "speed": 4, "comment": " <b>好</b> "})
        assert (resp.score, resp.answers, resp.comment) == (
            5.0,
            {"overall": 5, "speed": 4, "comment": "<b>好</b>"},
            "<b>好</b>",
        )
    refused(db, answer({"overall": 1}), Conflict)
    with db.session() as s:
        [kept] = s.scalars(select(SurveyResponse).where(SurveyResponse.workspace_id == ws))
        assert kept.score == 5.0 and kept.answers["speed"] == 4
        inv = s.scalar(select(SurveyInvitation).where(SurveyInvitation.token == token))
        assert inv is not None and inv.status == "answered"
    refused(db, lambda s: service.answer(s, "no-such-token", {"overall": 5}), NotFound)


def test_an_expired_link_is_gone(db: Database, workspace: WorkspaceCtx) -> None:
    ws = workspace.id
    conv = conversation(db, ws, customer_id=customer(db, ws), status="resolved")
    token = _invite(db, ws, conv)
    later = utcnow() + timedelta(days=8)
    refused(db, lambda s: service.answer(s, token, {"overall": 5}, now=later), service.Gone)
    with db.session() as s:
        assert service.form_for(s, token, now=later).state == "expired"
        assert service.expire_due(s, ws, later) == 1
        inv = s.scalar(select(SurveyInvitation).where(SurveyInvitation.token == token))
        assert inv is not None and inv.status == "expired"


def test_results_rates_and_definitions(db: Database, workspace: WorkspaceCtx) -> None:
    """CSAT % satisfied counts 4-5; NPS = % promoters (9-10) - % detractors (0-6)."""
    ws = workspace.id
    a = agent(db, ws, f"r@{workspace.slug}.test")
    scores = [5, 4, 4, 2, 1]
    for score in scores:
        conv = conversation(db, ws, customer_id=customer(db, ws), assignee_id=a, status="resolved")
        token = _invite(db, ws, conv)
        with db.session() as s:
            service.answer(s, token, {"overall": score})
    unanswered = conversation(
        db, ws, customer_id=customer(db, ws), assignee_id=a, status="resolved"
    )
    _invite(db, ws, unanswered)
    for nps in (10, 9, 8, 6, 0):
        with db.session() as s:
            inv, _ = service.invite(s, ws, kind="nps", channel="link", customer_id=customer(db, ws))
            service.answer(s, inv.token, {"recommend": nps})
    conv = conversation(db, ws, customer_id=customer(db, ws), status="resolved")
    with db.session() as s:
        service.answer(s, _invite(db, ws, conv, "ces"), {"effort": 6})
        r = service.results(s, ws, today() - timedelta(days=1), today())
        rates = service.response_rates(s, ws, today() - timedelta(days=1), today())
    o = r.overall
    assert (o.csat_n, o.csat_mean, o.csat_satisfied) == (5, 3.2, 0.6)
    assert (o.promoters, o.passives, o.detractors, o.nps) == (2, 1, 2, 0.0)
    assert (o.ces_n, o.ces_mean) == (1, 6.0)
    assert r.by_agent[a].csat_n == 5 and r.by_channel["link"].nps_n == 5
    assert sum(w.csat_n for w in r.by_week.values()) == 5
    assert (rates.by_kind["csat"].sent, rates.by_kind["csat"].answered) == (6, 5)
    assert rates.by_agent[a].rate == pytest.approx(5 / 6)
    assert rates.overall.rate == pytest.approx(11 / 12)


def test_ipa_derives_importance_and_uses_stated_importance(
    db: Database, workspace: WorkspaceCtx
) -> None:
    """Overall follows speed closely and attitude not at all: speed is important, and at 40 %
    satisfied a gap; a questionnaire asking importance gives the stated analysis too."""
    ws = workspace.id
    with db.session() as s:
        q = service.ensure_defaults(s, ws)["csat"]
        questions = service.current_questions(s, q)
        importance = [
            {
                "key": f"imp_{name}",
                "kind": "scale5",
                "text": {"zh_CN": f"{name} 重要吗", "en": f"Is {name} important?"},
                "importance_of": name,
                "required": False,
            }
            for name in ("speed", "attitude", "expertise", "resolution")
        ]
        service.update_questionnaire(s, ws, q.id, {"questions": questions + importance})
    rows = [  # overall, speed, attitude, expertise, resolution
        (5, 5, 4, 4, 5),
        (4, 4, 5, 3, 4),
        (2, 2, 4, 4, 3),
        (1, 1, 5, 3, 2),
        (5, 5, 4, 5, 4),
        (3, 3, 5, 4, 3),
        (2, 2, 4, 3, 3),
        (1, 2, 5, 4, 2),
        (4, 3, 4, 4, 5),
        (2, 3, 5, 3, 2),
    ]
    for overall, speed, attitude, expertise, resolution in rows:
        conv = conversation(db, ws, customer_id=customer(db, ws), status="resolved")
        with db.session() as s:
            service.answer(
                s,
                _invite(db, ws, conv),
                {
                    "overall": overall,
                    "speed": speed,
                    "attitude": attitude,
                    "expertise": expertise,
                    "resolution": resolution,
                    "imp_speed": 5,
                    "imp_attitude": 4,
                    "imp_expertise": 2,
                    "imp_resolution": 3,
                },
            )
    with db.session() as s:
        rep = service.ipa_report(s, ws, today(), today())
    assert rep.responses == 10 and rep.attributes == list(service.ATTRIBUTES)
    assert rep.derived is not None and rep.derived.method in ("regression", "ridge")
    by = {a.attribute: a for a in rep.derived.attributes}
    assert by["speed"].important and by["speed"].gap and by["speed"].share_satisfied == 0.3
    assert by["speed"].importance == max(a.importance for a in rep.derived.attributes)
    assert not by["attitude"].gap
    assert rep.stated is not None and rep.stated_importance["speed"] == 5.0
    stated = {a.attribute: a for a in rep.stated.attributes}
    assert stated["speed"].gap and stated["attitude"].important


def test_ipa_with_too_few_answers_says_why(db: Database, workspace: WorkspaceCtx) -> None:
    with db.session() as s:
        rep = service.ipa_report(s, workspace.id, today(), today())
    assert rep.derived is None and rep.derived_error and "no CSAT" in rep.derived_error


def test_send_periodic_invites_active_customers_once_per_interval(
    db: Database, workspace: WorkspaceCtx
) -> None:
    ws = workspace.id
    active = [customer(db, ws) for _ in range(3)]
    idle = customer(db, ws)
    for c in active:
        conversation(db, ws, customer_id=c)
    conversation(db, ws, customer_id=idle, created_at=utcnow() - timedelta(days=200))
    with db.session() as s:
        assert service.send_periodic(s, ws) == 3
        assert service.send_periodic(s, ws) == 0
        invited = set(
            s.scalars(
                select(SurveyInvitation.customer_id).where(
                    SurveyInvitation.workspace_id == ws, SurveyInvitation.kind == "nps"
                )
            )
        )
        assert invited == set(active)
    later = utcnow() + timedelta(days=91)
    with db.session() as s:  # after the interval: only those active since are asked again
        assert service.send_periodic(s, ws, later) == 0
    conversation(db, ws, customer_id=active[0], created_at=later - timedelta(days=1))
    with db.session() as s:
        assert service.send_periodic(s, ws, later) == 1
