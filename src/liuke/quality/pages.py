"""Quality pages: inspection list, a conversation with its findings highlighted, rules, agents.

Thin: reads go through :mod:`liuke.quality.service` and the same scoped queries as the API,
writes through the service functions, every form post is checked for cross-site origin.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from sqlalchemy import select

import liuke.quality.messages  # noqa: F401  (registers the page strings)
from liuke.conversations.models import Conversation, Message
from liuke.core.api import PageParams
from liuke.core.errors import AppError, BadRequest
from liuke.core.i18n import translate
from liuke.core.pagination import fetch_page
from liuke.core.tenancy import get_scoped, scoped
from liuke.quality import service
from liuke.quality.models import Inspection, InspectionHit, InspectionRule, QualityAlert
from liuke.quality.rules import LIST_PARAMS
from liuke.web.pages import PageRoute, page_guard, page_locale, page_viewer, redirect, render
from liuke.workspaces.auth import DbSession
from liuke.workspaces.models import User
from liuke.workspaces.service import Principal

router = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE_SIZE = 50


def _page(
    request: Request, s: DbSession, principal: Principal, template: str, **context: Any
) -> Response:
    locale = page_locale(request, principal)
    return render(
        request,
        template,
        locale,
        viewer=page_viewer(s, principal, active="quality"),
        can_review=principal.can("quality.review"),
        can_manage=principal.can("quality.manage"),
        **context,
    )


def _agent_names(s: DbSession, workspace_id: int) -> dict[int, str]:
    return dict(
        s.execute(select(User.id, User.name).where(User.workspace_id == workspace_id)).all()
    )


def _chart(option: dict[str, Any]) -> str:
    return json.dumps(option, ensure_ascii=False)


# --- list ----------------------------------------------------------------------------------------


@router.get("/quality")
def inspection_list(
    request: Request,
    s: DbSession,
    status: Annotated[str, Query(max_length=16)] = "queued",
    agent: Annotated[int | None, Query()] = None,
    max_score: Annotated[int | None, Query(ge=0, le=100)] = None,
    rule: Annotated[str, Query(max_length=64)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    principal = page_guard(request, s, "analytics.read")
    ws = principal.workspace_id
    stmt, order = service.inspection_query(
        ws, review_status=status, agent_id=agent, max_score=max_score, rule=rule
    )
    paging = PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    rows, total = fetch_page(s, stmt, paging.limit, paging.offset, *order)
    alerts = list(
        s.scalars(
            scoped(QualityAlert, ws)
            .where(QualityAlert.status == "open")
            .order_by(QualityAlert.id.desc())
            .limit(10)
        )
    )
    bands = service.score_distribution(s, ws)
    filters = {"status": status, "agent": agent, "max_score": max_score, "rule": rule}

    def page_url(n: int) -> str:
        query = {k: v for k, v in filters.items() if v not in (None, "")}
        return "/quality?" + urlencode({**query, "page": n})

    return _page(
        request,
        s,
        principal,
        "quality/list.html",
        rows=rows,
        total=total,
        page=page,
        prev_url=page_url(page - 1) if page > 1 else None,
        next_url=page_url(page + 1) if page * PAGE_SIZE < total else None,
        filters=filters,
        agents=_agent_names(s, ws),
        rules=service.ensure_rules(s, ws),
        alerts=alerts,
        bands_chart=_chart(
            {
                "grid": {"left": 40, "right": 10, "top": 10, "bottom": 30},
                "xAxis": {"type": "category", "data": list(bands)},
                "yAxis": {"type": "value"},
                "series": [{"type": "bar", "data": list(bands.values()), "color": "#0f7a6c"}],
                "tooltip": {},
            }
        ),
    )


# --- one inspection -------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    text: str
    rule: str | None = None


@dataclass
class Line:
    seq: int
    sender: str
    at: str
    segments: list[Segment]
    hits: list[InspectionHit]
    anger: float | None


def highlight(body: str, hits: list[InspectionHit]) -> list[Segment]:
    """Split ``body`` so each hit's evidence phrase is marked (escaped by the template)."""
    marks: list[tuple[int, int, str]] = []
    for h in hits:
        if h.evidence and (m := re.search(re.escape(h.evidence), body, re.IGNORECASE)):
            marks.append((m.start(), m.end(), h.rule_code))
    if not marks:
        return [Segment(body, hits[0].rule_code if hits else None)]
    out: list[Segment] = []
    pos = 0
    for start, end, rule in sorted(marks):
        if start < pos:
            continue  # overlapping marks: the first one wins
        out += [Segment(body[pos:start]), Segment(body[start:end], rule)]
        pos = end
    out.append(Segment(body[pos:]))
    return [seg for seg in out if seg.text]


@router.get("/quality/inspections/{inspection_id}")
def inspection_detail(inspection_id: int, request: Request, s: DbSession) -> Response:
    principal = page_guard(request, s, "analytics.read")
    ws = principal.workspace_id
    try:
        ins = get_scoped(s, Inspection, ws, inspection_id, "inspection")
    except AppError as exc:
        locale = page_locale(request, principal)
        message = translate(exc.message_key, locale, **exc.params)
        return render(request, "error.html", locale, status_code=404, message=message)
    conv = get_scoped(s, Conversation, ws, ins.conversation_id, "conversation")
    hits = list(
        s.scalars(
            scoped(InspectionHit, ws)
            .where(InspectionHit.inspection_id == ins.id)
            .order_by(InspectionHit.message_seq, InspectionHit.id)
        )
    )
    by_seq: dict[int | None, list[InspectionHit]] = {}
    for h in hits:
        by_seq.setdefault(h.message_seq, []).append(h)
    anger = {int(seq): a for seq, a in ins.trajectory}
    lines = [
        Line(
            m.seq,
            m.sender_type,
            m.created_at.strftime("%m-%d %H:%M:%S"),
            highlight(m.body[:5000], by_seq.get(m.seq, [])),
            by_seq.get(m.seq, []),
            anger.get(m.seq),
        )
        for m in s.scalars(
            scoped(Message, ws).where(Message.conversation_id == conv.id).order_by(Message.seq)
        )
    ]
    return _page(
        request,
        s,
        principal,
        "quality/detail.html",
        ins=ins,
        conv=conv,
        lines=lines,
        hits=hits,
        whole=by_seq.get(None, []),
        agents=_agent_names(s, ws),
        emotion_chart=_chart(
            {
                "grid": {"left": 40, "right": 10, "top": 10, "bottom": 30},
                "xAxis": {"type": "category", "data": [f"#{seq}" for seq in anger]},
                "yAxis": {"type": "value", "min": 0, "max": 1},
                "series": [
                    {
                        "type": "line",
                        "data": list(anger.values()),
                        "color": "#b42318",
                        "markLine": {"data": [{"yAxis": 0.7}], "symbol": "none"},
                    }
                ],
                "tooltip": {"trigger": "axis"},
            }
        ),
    )


@router.post("/quality/inspections/{inspection_id}/review")
async def review_submit(inspection_id: int, request: Request, s: DbSession) -> Response:
    principal = page_guard(request, s, "quality.review", post=True)
    form = await request.form()
    verdicts = {
        int(key.removeprefix("verdict_")): str(value)
        for key, value in form.items()
        if key.startswith("verdict_") and key.removeprefix("verdict_").isdigit() and value
    }
    back = f"/quality/inspections/{inspection_id}"
    if verdicts:
        try:
            service.review_inspection(
                s, principal.workspace_id, inspection_id, principal.user_id, verdicts
            )
        except AppError as exc:
            return _error(request, principal, exc)
    return redirect(back)


@router.post("/quality/inspections/{inspection_id}/coaching")
def coaching_submit(
    inspection_id: int,
    request: Request,
    s: DbSession,
    body: Annotated[str, Form(max_length=5000)] = "",
) -> Response:
    principal = page_guard(request, s, "quality.review", post=True)
    try:
        ins = get_scoped(s, Inspection, principal.workspace_id, inspection_id, "inspection")
        if ins.agent_id is None:
            return redirect(f"/quality/inspections/{inspection_id}")
        service.add_coaching_note(
            s,
            principal.workspace_id,
            principal.user_id,
            agent_id=ins.agent_id,
            body=body,
            inspection_id=ins.id,
        )
    except AppError as exc:
        return _error(request, principal, exc)
    return redirect(f"/quality/inspections/{inspection_id}")


@router.post("/quality/hits/{hit_id}/service-failure")
def failure_submit(hit_id: int, request: Request, s: DbSession) -> Response:
    principal = page_guard(request, s, "quality.review", post=True)
    try:
        hit = service.report_service_failure(s, principal.workspace_id, principal.user_id, hit_id)
    except AppError as exc:
        return _error(request, principal, exc)
    ins = s.get(Inspection, hit.inspection_id)
    return redirect(f"/quality/inspections/{ins.id if ins else ''}")


def _error(request: Request, principal: Principal, exc: AppError) -> Response:
    locale = page_locale(request, principal)
    message = translate(exc.message_key, locale, **exc.params)
    return render(request, "error.html", locale, status_code=exc.status_code, message=message)


# --- rules -------------------------------------------------------------------------------------


@router.get("/quality/rules")
def rules_page(request: Request, s: DbSession, saved: str = "") -> Response:
    principal = page_guard(request, s, "analytics.read")
    ws = principal.workspace_id
    return _page(
        request,
        s,
        principal,
        "quality/rules.html",
        rules=service.ensure_rules(s, ws),
        precision=service.rule_precision(s, ws),
        list_params=LIST_PARAMS,
        saved=saved,
    )


@router.post("/quality/rules/{rule_id}")
async def rule_submit(rule_id: int, request: Request, s: DbSession) -> Response:
    principal = page_guard(request, s, "quality.manage", post=True)
    form = await request.form()
    try:
        rule = get_scoped(s, InspectionRule, principal.workspace_id, rule_id, "inspection_rule")
        params = dict(rule.params)
        for key in LIST_PARAMS:
            if f"param_{key}" in form:
                lines = str(form[f"param_{key}"]).splitlines()
                params[key] = [line.strip() for line in lines if line.strip()][:500]
        changes: dict[str, Any] = {"params": params, "is_active": form.get("is_active") == "on"}
        for field in ("weight", "max_hits"):
            value = str(form.get(field, "")).strip()
            if value:
                if not value.isdigit():
                    return _error(
                        request, principal, BadRequest(detail=f"{field} must be a number")
                    )
                changes[field] = int(value)
        service.update_rule(s, principal.workspace_id, rule_id, changes)
    except AppError as exc:
        return _error(request, principal, exc)
    return redirect(f"/quality/rules?saved={rule_id}#rule-{rule_id}")


# --- agents ------------------------------------------------------------------------------------


@router.get("/quality/agents")
def agents_page(
    request: Request, s: DbSession, agent: Annotated[int | None, Query()] = None
) -> Response:
    principal = page_guard(request, s, "analytics.read")
    ws = principal.workspace_id
    agents = service.agent_quality(s, ws)
    chosen = next((a for a in agents if a.agent_id == agent), agents[0] if agents else None)
    trend = service.agent_trend(s, ws, chosen.agent_id) if chosen else []
    outcomes = service.outcomes(s, ws)
    return _page(
        request,
        s,
        principal,
        "quality/agents.html",
        agents=agents,
        chosen=chosen,
        outcomes=outcomes,
        trend_chart=_chart(
            {
                "grid": {"left": 40, "right": 10, "top": 10, "bottom": 30},
                "xAxis": {"type": "category", "data": [d.strftime("%m-%d") for d, _, _ in trend]},
                "yAxis": {"type": "value", "min": 0, "max": 100},
                "series": [
                    {"type": "line", "data": [m for _, _, m in trend], "color": "#0f7a6c"},
                ],
                "tooltip": {"trigger": "axis"},
            }
        ),
    )
