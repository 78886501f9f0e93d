"""REST endpoints for questionnaires, invitations, answers and survey results.

Thin: every read and write goes through ``surveys.service``. The two ``/public/{token}``
endpoints take no login: the token in the link is the secret, and it names one invitation.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

import liuke.surveys.events
import liuke.surveys.messages  # noqa: F401  (error and invitation texts)
from liuke.core.api import Page, PageParams, page_params, request_settings
from liuke.core.db import utcnow
from liuke.core.i18n import normalize_locale
from liuke.core.pagination import page_of
from liuke.core.tenancy import get_scoped
from liuke.crm.ipa import IpaResult
from liuke.surveys import service
from liuke.surveys.models import Questionnaire, SurveyInvitation, SurveyResponse
from liuke.surveys.schemas import (
    AgentScoresOut,
    AnswerIn,
    AnswerOut,
    ChannelScoresOut,
    InvitationOut,
    InviteIn,
    IpaAttributeOut,
    IpaExcludedOut,
    IpaOut,
    IpaResultOut,
    KeyedRateOut,
    PeriodicOut,
    PublicForm,
    PublicQuestion,
    QuestionnaireIn,
    QuestionnaireOut,
    QuestionnairePatch,
    RateOut,
    RatesOut,
    ResponseOut,
    ResultsOut,
    ScoresOut,
    VersionOut,
    WeekScoresOut,
)
from liuke.workspaces.auth import DbSession, require
from liuke.workspaces.service import Principal

router = APIRouter(prefix="/api/v1/surveys", tags=["surveys"])
Reader = Annotated[Principal, Depends(require("retention.read"))]
Writer = Annotated[Principal, Depends(require("retention.write"))]
Manager = Annotated[Principal, Depends(require("retention.manage"))]
Paging = Annotated[PageParams, Depends(page_params)]
WINDOW_DAYS = 30


def _window(s: DbSession, ws: int, start: date | None, end: date | None) -> tuple[date, date]:
    """[start, end] in local days; by default the 30 days up to today."""
    if end is None:
        end = utcnow().astimezone(service.zone_of(s, ws)).date()
    return start or end - timedelta(days=WINDOW_DAYS - 1), end


def _questionnaire_out(s: DbSession, q: Questionnaire) -> QuestionnaireOut:
    out = QuestionnaireOut.model_validate(q)
    return out.model_copy(update={"questions": service.current_questions(s, q)})


def _invitation_out(inv: SurveyInvitation) -> InvitationOut:
    out = InvitationOut.model_validate(inv)
    return out.model_copy(update={"url": service.answer_path(inv.token)})


# --- questionnaires ---------------------------------------------------------------------------


@router.get("/questionnaires", response_model=Page[QuestionnaireOut])
def list_questionnaires(
    principal: Reader,
    s: DbSession,
    paging: Paging,
    kind: str | None = None,
    active: bool | None = None,
) -> Page[QuestionnaireOut]:
    service.ensure_defaults(s, principal.workspace_id)
    stmt = service.questionnaire_query(principal.workspace_id, kind, active)
    return page_of(
        s,
        stmt,
        paging,
        lambda q: _questionnaire_out(s, q),
        Questionnaire.kind,
        Questionnaire.id,
    )


@router.post("/questionnaires", response_model=QuestionnaireOut, status_code=201)
def create_questionnaire(
    body: QuestionnaireIn, principal: Manager, s: DbSession
) -> QuestionnaireOut:
    q = service.create_questionnaire(
        s, principal.workspace_id, **body.model_dump(), actor_id=principal.user_id
    )
    return _questionnaire_out(s, q)


@router.get("/questionnaires/{questionnaire_id}", response_model=QuestionnaireOut)
def get_questionnaire(questionnaire_id: int, principal: Reader, s: DbSession) -> QuestionnaireOut:
    return _questionnaire_out(
        s, service.get_questionnaire(s, principal.workspace_id, questionnaire_id)
    )


@router.patch("/questionnaires/{questionnaire_id}", response_model=QuestionnaireOut)
def update_questionnaire(
    questionnaire_id: int, body: QuestionnairePatch, principal: Manager, s: DbSession
) -> QuestionnaireOut:
    """Changed questions add a new version; answers keep the version they answered."""
    q = service.update_questionnaire(
        s,
        principal.workspace_id,
        questionnaire_id,
        body.model_dump(exclude_unset=True),
        actor_id=principal.user_id,
    )
    return _questionnaire_out(s, q)


@router.get("/questionnaires/{questionnaire_id}/versions", response_model=list[VersionOut])
def list_versions(questionnaire_id: int, principal: Reader, s: DbSession) -> list[VersionOut]:
    return [
        VersionOut.model_validate(v)
        for v in service.versions(s, principal.workspace_id, questionnaire_id)
    ]


# --- invitations ------------------------------------------------------------------------------


@router.get("/invitations", response_model=Page[InvitationOut])
def list_invitations(
    principal: Reader,
    s: DbSession,
    paging: Paging,
    kind: str | None = None,
    status: str | None = None,
    channel: str | None = None,
    customer_id: int | None = None,
    conversation_id: int | None = None,
    agent_id: int | None = None,
    questionnaire_id: int | None = None,
) -> Page[InvitationOut]:
    f = service.InvitationFilter(
        kind, status, channel, customer_id, conversation_id, agent_id, questionnaire_id
    )
    stmt = service.invitation_query(s, principal.workspace_id, f)
    return page_of(
        s, stmt, paging, _invitation_out, SurveyInvitation.sent_at.desc(), SurveyInvitation.id
    )


@router.get("/invitations/{invitation_id}", response_model=InvitationOut)
def get_invitation(invitation_id: int, principal: Reader, s: DbSession) -> InvitationOut:
    inv = get_scoped(
        s, SurveyInvitation, principal.workspace_id, invitation_id, "survey_invitation"
    )
    return _invitation_out(inv)


@router.post("/invitations", response_model=InvitationOut, status_code=201)
def send_invitation(
    body: InviteIn, request: Request, principal: Writer, s: DbSession, response: Response
) -> InvitationOut:
    """201 for a new invitation; 200 with the existing one when the conversation was already
    asked (one CSAT per conversation)."""
    inv, created = service.invite(
        s,
        principal.workspace_id,
        **body.model_dump(),
        trigger="manual",
        settings=request_settings(request),
    )
    if not created:
        response.status_code = 200
    return _invitation_out(inv)


@router.post("/periodic", response_model=PeriodicOut)
def send_periodic(request: Request, principal: Manager, s: DbSession) -> PeriodicOut:
    """Invite to NPS the active customers not asked within the questionnaire's interval."""
    n = service.send_periodic(s, principal.workspace_id, settings=request_settings(request))
    return PeriodicOut(invited=n)


# --- the public answer link -------------------------------------------------------------------


@router.get("/public/{token}", response_model=PublicForm)
def public_form(token: str, s: DbSession, request: Request) -> PublicForm:
    """The questions in the customer's language (``?lang=`` overrides the conversation's)."""
    form = service.form_for(s, token)
    locale = normalize_locale(request.query_params.get("lang")) or form.locale
    questions = [
        PublicQuestion(
            key=q["key"],
            kind=q["kind"],
            text=q["text"].get(locale) or q["text"]["zh_CN"],
            required=bool(q.get("required", True)),
            min=service.SCALES[q["kind"]][0] if q["kind"] in service.SCALES else None,
            max=service.SCALES[q["kind"]][1] if q["kind"] in service.SCALES else None,
            choices=list(q.get("choices") or []),
        )
        for q in form.questions
    ]
    return PublicForm(
        kind=form.invitation.kind,
        state=form.state,
        locale=locale,
        questions=questions,
    )


@router.post("/public/{token}/answers", response_model=AnswerOut, status_code=201)
def public_answer(token: str, body: AnswerIn, s: DbSession) -> AnswerOut:
    """400 names the question at fault; 409 if already answered (the first answer is kept);
    410 when the link has expired; 404 for an unknown token."""
    resp = service.answer(s, token, body.answers)
    return AnswerOut(kind=resp.kind, score=resp.score)


# --- responses and figures --------------------------------------------------------------------


@router.get("/responses", response_model=Page[ResponseOut])
def list_responses(
    principal: Reader,
    s: DbSession,
    paging: Paging,
    kind: str | None = None,
    agent_id: int | None = None,
    customer_id: int | None = None,
    conversation_id: int | None = None,
    questionnaire_id: int | None = None,
) -> Page[ResponseOut]:
    f = service.ResponseFilter(kind, agent_id, customer_id, conversation_id, questionnaire_id)
    stmt = service.response_query(s, principal.workspace_id, f)
    return page_of(
        s,
        stmt,
        paging,
        ResponseOut.model_validate,
        SurveyResponse.submitted_at.desc(),
        SurveyResponse.id,
    )


@router.get("/responses/{response_id}", response_model=ResponseOut)
def get_response(response_id: int, principal: Reader, s: DbSession) -> ResponseOut:
    row = get_scoped(s, SurveyResponse, principal.workspace_id, response_id, "survey_response")
    return ResponseOut.model_validate(row)


def _scores(sc: service.Scores) -> dict[str, object]:
    return asdict(sc)


@router.get("/results", response_model=ResultsOut)
def results(
    principal: Reader, s: DbSession, start: date | None = None, end: date | None = None
) -> ResultsOut:
    """CSAT (mean, share 4-5), NPS (% promoters 9-10 minus % detractors 0-6), CES mean:
    overall, per agent, per channel and per week (Monday of the local week)."""
    lo, hi = _window(s, principal.workspace_id, start, end)
    r = service.results(s, principal.workspace_id, lo, hi)
    return ResultsOut(
        workspace_id=principal.workspace_id,
        start=lo,
        end=hi,
        overall=ScoresOut(**_scores(r.overall)),
        by_agent=[AgentScoresOut(agent_id=a, **_scores(v)) for a, v in r.by_agent.items()],
        by_channel=[ChannelScoresOut(channel=c, **_scores(v)) for c, v in r.by_channel.items()],
        by_week=[WeekScoresOut(week=w, **_scores(v)) for w, v in r.by_week.items()],
    )


def _rate(key: object, rate: service.Rate) -> KeyedRateOut:
    return KeyedRateOut(
        key=None if key is None else str(key),
        sent=rate.sent,
        answered=rate.answered,
        failed=rate.failed,
        rate=rate.rate,
    )


@router.get("/response-rates", response_model=RatesOut)
def response_rates(
    principal: Reader, s: DbSession, start: date | None = None, end: date | None = None
) -> RatesOut:
    """Answered / sent for invitations sent in the window, by kind, channel and agent."""
    lo, hi = _window(s, principal.workspace_id, start, end)
    r = service.response_rates(s, principal.workspace_id, lo, hi)
    o = r.overall
    return RatesOut(
        workspace_id=principal.workspace_id,
        start=lo,
        end=hi,
        overall=RateOut(sent=o.sent, answered=o.answered, failed=o.failed, rate=o.rate),
        by_kind=[_rate(k, v) for k, v in r.by_kind.items()],
        by_channel=[_rate(k, v) for k, v in r.by_channel.items()],
        by_agent=[_rate(k, v) for k, v in r.by_agent.items()],
    )


def ipa_out(result: IpaResult | None) -> IpaResultOut | None:
    if result is None:
        return None
    return IpaResultOut(
        method=result.method,
        responses=result.responses,
        complete=result.complete,
        performance_cross=result.performance_cross,
        importance_cross=result.importance_cross,
        r_squared=result.r_squared,
        target=result.target,
        attributes=[
            IpaAttributeOut(
                attribute=a.attribute,
                answers=a.answers,
                mean=a.mean,
                share_satisfied=a.share_satisfied,
                importance=a.importance,
                correlation=a.correlation,
                important=a.important,
                gap=a.gap,
                quadrant=a.quadrant,
            )
            for a in result.attributes
        ],
        excluded=[IpaExcludedOut(attribute=e.attribute, code=e.code) for e in result.excluded],
    )


@router.get("/ipa", response_model=IpaOut)
def importance_performance(
    principal: Reader,
    s: DbSession,
    start: date | None = None,
    end: date | None = None,
    target: Annotated[float, Query(gt=0, le=1)] = 0.85,
    questionnaire_id: int | None = None,
) -> IpaOut:
    """Each CSAT attribute's performance (mean, share 4-5) against its importance: derived by
    regression on the headline score, and stated when questionnaires ask for it."""
    lo, hi = _window(s, principal.workspace_id, start, end)
    rep = service.ipa_report(
        s, principal.workspace_id, lo, hi, target=target, questionnaire_id=questionnaire_id
    )
    return IpaOut(
        workspace_id=principal.workspace_id,
        start=lo,
        end=hi,
        responses=rep.responses,
        attributes=rep.attributes,
        derived=ipa_out(rep.derived),
        derived_error=rep.derived_error,
        stated=ipa_out(rep.stated),
        stated_importance=rep.stated_importance,
    )
