"""Survey pages: results, response rates, the IPA chart, questionnaires, the public answer form.

Thin: figures come from ``surveys.service`` (the same calls the API and CLI make). The section
needs ``retention.read``; editing questionnaires needs ``retention.manage``. The public form at
``/s/{token}`` needs no login (the token is the secret), speaks the conversation's language
unless ``?lang=`` says otherwise, and shows a refused answer again with the reason, keeping
what the customer typed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Annotated, Any

from babel.numbers import format_decimal
from fastapi import APIRouter, Form, Request, Response
from sqlalchemy import func, select

import liuke.surveys.events
import liuke.surveys.messages  # noqa: F401  (registers the page strings)
from liuke.core.db import utcnow
from liuke.core.errors import AppError, BadRequest, Conflict, NotFound
from liuke.core.i18n import has_message, normalize_locale, translate
from liuke.core.tenancy import get_scoped, scoped
from liuke.crm.ipa import IpaResult
from liuke.surveys import service
from liuke.surveys.models import KINDS, Questionnaire, SurveyResponse
from liuke.web.pages import (
    PageRefused,
    PageRoute,
    page_guard,
    page_locale,
    page_viewer,
    redirect,
    render,
)
from liuke.web.safety import cross_site
from liuke.workspaces.auth import DbSession
from liuke.workspaces.models import User
from liuke.workspaces.service import Principal

router = APIRouter(route_class=PageRoute, include_in_schema=False)
READ, MANAGE = "retention.read", "retention.manage"
DEFAULT_DAYS = 30
MAX_DAYS = 731
PAGE_SIZE = 50
TABS = (
    ("overview", "/satisfaction"),
    ("responses", "/satisfaction/responses"),
    ("questionnaires", "/satisfaction/questionnaires"),
)
QUADRANT_COLORS = {
    "concentrate": "#b42318",
    "keep_up": "#0f7a6c",
    "low_priority": "#667085",
    "overkill": "#f79009",
}


def _chart(option: dict[str, Any]) -> str:
    """An ECharts option as JSON for a ``data-chart`` attribute (the template escapes it)."""
    return json.dumps({"animation": False, **option}, ensure_ascii=False)


@dataclass(frozen=True)
class Fmt:
    locale: str

    def count(self, value: float | None) -> str:
        return "—" if value is None else format_decimal(round(value), locale=self.locale)

    def share(self, value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    def num(self, value: float | None, places: int = 2) -> str:
        if value is None:
            return "—"
        return format_decimal(
            round(value, places), format=f"#,##0.{'0' * places}", locale=self.locale
        )


class Page:
    """One request of the section: who asks, in which language, over which days."""

    def __init__(self, request: Request, s: DbSession, tab: str, permission: str = READ) -> None:
        self.request, self.s, self.tab = request, s, tab
        post = request.method == "POST"
        self.principal: Principal = page_guard(request, s, permission, post=post)
        self.locale = page_locale(request, self.principal)
        self.ws = self.principal.workspace_id
        self.fmt = Fmt(self.locale)
        self.start: date | None = None
        self.end: date | None = None
        self._users: dict[int, str] | None = None

    def t(self, key: str, **params: object) -> str:
        return translate(key, self.locale, **params)

    def attr(self, name: str) -> str:
        key = f"surveys.attr.{name}"
        return self.t(key) if has_message(key) else name

    def user_name(self, user_id: int | None) -> str:
        if self._users is None:
            rows = self.s.execute(select(User.id, User.name).where(User.workspace_id == self.ws))
            self._users = {int(i): str(n) for i, n in rows}
        if user_id is None:
            return self.t("surveys.no_agent")
        return self._users.get(user_id, f"#{user_id}")

    def read_window(self) -> tuple[date, date]:
        def day(name: str) -> date | None:
            raw = self.request.query_params.get(name, "").strip()
            if not raw:
                return None
            try:
                return date.fromisoformat(raw)
            except ValueError:
                raise self.refuse(BadRequest("surveys.error.date", value=raw[:40])) from None

        end = day("end") or utcnow().astimezone(service.zone_of(self.s, self.ws)).date()
        start = day("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if end < start or (end - start).days + 1 > MAX_DAYS:
            raise self.refuse(BadRequest(detail=f"{start} – {end}: at most {MAX_DAYS} days"))
        self.start, self.end = start, end
        return start, end

    def message(self, exc: AppError) -> str:
        params = dict(exc.params)
        if isinstance(exc, NotFound) and params.get("entity"):
            entity = f"entity.{params['entity']}"
            params["entity"] = self.t(entity) if has_message(entity) else params["entity"]
        if exc.message_key == "error.bad_request" and "detail" not in params:
            params["detail"] = ""
        return self.t(exc.message_key, **params)

    def refuse(self, exc: AppError) -> PageRefused:
        """The section's error page with the reason; the request's transaction is rolled back."""
        return PageRefused(
            self.show(
                "surveys/error.html",
                status_code=exc.status_code,
                message=self.message(exc),
                back="/satisfaction",
            )
        )

    def show(self, template: str, *, status_code: int = 200, **context: Any) -> Response:
        window_text = ""
        if self.start is not None and self.end is not None:
            days = (self.end - self.start).days + 1
            window_text = self.t("surveys.window", start=self.start, end=self.end, days=days)
        return render(
            self.request,
            template,
            self.locale,
            status_code=status_code,
            viewer=page_viewer(self.s, self.principal, active="satisfaction"),
            tab=self.tab,
            tabs=TABS,
            fmt=self.fmt,
            attr=self.attr,
            user_name=self.user_name,
            can_manage=self.principal.can(MANAGE),
            window_text=window_text,
            start=self.start,
            end=self.end,
            action=self.request.url.path,
            **context,
        )


# --- overview ---------------------------------------------------------------------------------


def _trend_chart(page: Page, weeks: dict[date, service.Scores]) -> str:
    labels = [w.isoformat() for w in weeks]
    csat = [
        None if v.csat_satisfied is None else round(v.csat_satisfied * 100, 1)
        for v in weeks.values()
    ]
    nps = [None if v.nps is None else round(v.nps, 1) for v in weeks.values()]
    return _chart(
        {
            "tooltip": {"trigger": "axis"},
            "legend": {"top": 0},
            "grid": {"left": 48, "right": 48, "top": 36, "bottom": 30},
            "xAxis": {"type": "category", "data": labels},
            "yAxis": [
                {"type": "value", "name": "%", "min": 0, "max": 100},
                {"type": "value", "name": "NPS", "min": -100, "max": 100},
            ],
            "series": [
                {"name": page.t("surveys.chart.csat"), "type": "line", "data": csat},
                {
                    "name": page.t("surveys.chart.nps"),
                    "type": "line",
                    "yAxisIndex": 1,
                    "data": nps,
                },
            ],
        }
    )


def _ipa_chart(page: Page, result: IpaResult) -> str | None:
    """The quadrant scatter: performance across, importance up, crosshairs at the means."""
    chart = result.chart
    if chart is None:
        return None
    x_lo, x_hi = chart.x_range
    y_lo, y_hi = chart.y_range
    pad_x, pad_y = max(0.2, (x_hi - x_lo) * 0.2), max(0.05, (y_hi - y_lo) * 0.2)
    points = [
        {
            "name": page.attr(p.attribute),
            "value": [round(p.x, 3), round(p.y, 3)],
            "itemStyle": {"color": QUADRANT_COLORS[p.quadrant]},
            "symbolSize": 22 if p.gap else 14,
        }
        for p in chart.points
    ]
    return _chart(
        {
            "tooltip": {"trigger": "item", "formatter": "{b}: {c}"},
            "grid": {"left": 56, "right": 24, "top": 24, "bottom": 44},
            "xAxis": {
                "type": "value",
                "name": page.t("surveys.ipa.x"),
                "nameLocation": "middle",
                "nameGap": 28,
                "min": round(x_lo - pad_x, 2),
                "max": round(x_hi + pad_x, 2),
            },
            "yAxis": {
                "type": "value",
                "name": page.t("surveys.ipa.y"),
                "min": round(y_lo - pad_y, 3),
                "max": round(y_hi + pad_y, 3),
            },
            "series": [
                {
                    "type": "scatter",
                    "data": points,
                    "label": {"show": True, "formatter": "{b}", "position": "right"},
                    "markLine": {
                        "silent": True,
                        "symbol": "none",
                        "lineStyle": {"type": "dashed", "color": "#98a2b3"},
                        "label": {"show": False},
                        "data": [
                            {"xAxis": round(chart.x_cross, 3)},
                            {"yAxis": round(chart.y_cross, 3)},
                        ],
                    },
                }
            ],
        }
    )


def _ipa_view(page: Page, result: IpaResult | None) -> dict[str, Any] | None:
    if result is None:
        return None
    method = page.t(f"surveys.ipa.method.{result.method}")
    r2 = page.fmt.num(result.r_squared) if result.r_squared is not None else "—"
    return {
        "chart": _ipa_chart(page, result),
        "method": page.t(
            "surveys.ipa.method",
            method=method,
            complete=page.fmt.count(result.complete),
            responses=page.fmt.count(result.responses),
            r2=r2,
        ),
        "rows": [
            {
                "attribute": a.attribute,
                "label": page.attr(a.attribute),
                "mean": page.fmt.num(a.mean),
                "satisfied": page.fmt.share(a.share_satisfied),
                "importance": page.fmt.num(a.importance, 3),
                "quadrant": a.quadrant,
                "quadrant_label": page.t(f"surveys.quadrant.{a.quadrant}"),
                "gap": a.gap,
            }
            for a in result.attributes
        ],
        "excluded": [
            page.t(
                "surveys.ipa.excluded",
                attribute=page.attr(e.attribute),
                reason=e.reason_en if page.locale == "en" else e.reason_zh,
            )
            for e in result.excluded
        ],
    }


@router.get("/satisfaction")
def overview(request: Request, s: DbSession) -> Response:
    page = Page(request, s, "overview")
    start, end = page.read_window()
    res = service.results(s, page.ws, start, end)
    rates = service.response_rates(s, page.ws, start, end)
    rep = service.ipa_report(s, page.ws, start, end)
    agent_rates = rates.by_agent
    agents = sorted(
        res.by_agent.items(),
        key=lambda kv: (kv[0] is None, page.user_name(kv[0])),
    )
    agent_rows = [
        {
            "id": a,
            "name": page.user_name(a),
            "sc": sc,
            "rate": agent_rates[a].rate if a in agent_rates else None,
        }
        for a, sc in agents
    ]
    return page.show(
        "surveys/overview.html",
        res=res,
        rates=rates,
        agent_rows=agent_rows,
        trend_chart=_trend_chart(page, res.by_week) if res.by_week else None,
        ipa=_ipa_view(page, rep.derived),
        ipa_error=rep.derived_error,
        stated=_ipa_view(page, rep.stated),
        target=page.fmt.share(0.85),
        rep=rep,
    )


# --- responses --------------------------------------------------------------------------------


@router.get("/satisfaction/responses")
def responses_page(request: Request, s: DbSession) -> Response:
    page = Page(request, s, "responses")
    q = request.query_params
    kind = q.get("kind") or None
    raw_agent = q.get("agent_id", "").strip()
    try:
        if kind is not None and kind not in KINDS:
            raise BadRequest(detail=f"kind must be one of {', '.join(KINDS)}")
        if raw_agent and (not raw_agent.isdigit() or len(raw_agent) > 12):
            raise NotFound("user", raw_agent)
        agent_id = int(raw_agent) if raw_agent else None
        stmt = service.response_query(
            s, page.ws, service.ResponseFilter(kind=kind, agent_id=agent_id)
        )
    except AppError as exc:
        raise page.refuse(exc) from exc
    number = int(q["page"]) if q.get("page", "").isdigit() and 0 < int(q["page"]) < 100_000 else 1
    total = int(s.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = list(
        s.scalars(
            stmt.order_by(SurveyResponse.submitted_at.desc(), SurveyResponse.id.desc())
            .limit(PAGE_SIZE)
            .offset((number - 1) * PAGE_SIZE)
        )
    )
    zone = service.zone_of(s, page.ws)
    base = {"kind": kind or "", "agent_id": agent_id or ""}
    items = [
        {
            "r": r,
            "when": r.submitted_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "answers": ", ".join(
                f"{page.attr(k)} {v}"
                for k, v in r.answers.items()
                if isinstance(v, int) and not isinstance(v, bool)
            ),
        }
        for r in rows
    ]
    agents = [
        (int(i), str(n))
        for i, n in s.execute(
            select(User.id, User.name).where(User.workspace_id == page.ws).order_by(User.name)
        )
    ]
    from urllib.parse import urlencode

    def url(n: int) -> str:
        return "/satisfaction/responses?" + urlencode({**base, "page": n})

    return page.show(
        "surveys/responses.html",
        items=items,
        total=total,
        kinds=KINDS,
        kind=kind or "",
        agents=agents,
        agent_id=agent_id,
        prev_url=url(number - 1) if number > 1 else None,
        next_url=url(number + 1) if number * PAGE_SIZE < total else None,
    )


# --- questionnaires ---------------------------------------------------------------------------


def _questionnaires(page: Page) -> Response:
    service.ensure_defaults(page.s, page.ws)
    rows = list(
        page.s.scalars(
            scoped(Questionnaire, page.ws).order_by(Questionnaire.kind, Questionnaire.id)
        )
    )
    return page.show(
        "surveys/questionnaires.html",
        rows=rows,
        segments=service.segment_names(page.s, page.ws),
        kinds=KINDS,
        example=json.dumps(service.DEFAULTS["csat"]["questions"][:2], ensure_ascii=False, indent=2),
    )


@router.get("/satisfaction/questionnaires")
def questionnaires_page(request: Request, s: DbSession) -> Response:
    return _questionnaires(Page(request, s, "questionnaires"))


def _questions_json(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise BadRequest("surveys.error.json", detail=str(exc)[:200]) from None


def _segment(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound("segment", raw)
    return int(raw)


@router.post("/satisfaction/questionnaires")
def create_questionnaire_form(
    request: Request,
    s: DbSession,
    code: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=16)] = "",
    questions: Annotated[str, Form(max_length=60_000)] = "",
    segment_id: Annotated[str, Form(max_length=20)] = "",
    rotation_weight: Annotated[int, Form(ge=0, le=1000)] = 1,
    interval_days: Annotated[int, Form(ge=1, le=3650)] = 90,
) -> Response:
    page = Page(request, s, "questionnaires", MANAGE)
    try:
        q = service.create_questionnaire(
            s,
            page.ws,
            code=code.strip(),
            name=name,
            kind=kind,
            questions=_questions_json(questions),
            segment_id=_segment(segment_id),
            rotation_weight=rotation_weight,
            interval_days=interval_days,
            actor_id=page.principal.user_id,
        )
    except AppError as exc:
        raise page.refuse(exc) from exc
    return redirect(f"/satisfaction/questionnaires/{q.id}")


def _owned(page: Page, raw_id: str) -> Questionnaire:
    try:
        if not raw_id.isdigit() or len(raw_id) > 12:
            raise NotFound("questionnaire", raw_id)
        return get_scoped(page.s, Questionnaire, page.ws, int(raw_id), "questionnaire")
    except AppError as exc:
        raise page.refuse(exc) from exc


def _detail(page: Page, q: Questionnaire, saved: bool = False) -> Response:
    versions = service.versions(page.s, page.ws, q.id)
    return page.show(
        "surveys/questionnaire.html",
        q=q,
        versions=list(reversed(versions)),
        questions=json.dumps(versions[-1].questions, ensure_ascii=False, indent=2),
        segments=service.segment_names(page.s, page.ws),
        saved=saved,
    )


@router.get("/satisfaction/questionnaires/{questionnaire_id}")
def questionnaire_page(questionnaire_id: str, request: Request, s: DbSession) -> Response:
    page = Page(request, s, "questionnaires")
    return _detail(
        page, _owned(page, questionnaire_id), saved=request.query_params.get("saved") == "1"
    )


@router.post("/satisfaction/questionnaires/{questionnaire_id}")
def update_questionnaire_form(
    questionnaire_id: str,
    request: Request,
    s: DbSession,
    name: Annotated[str, Form(max_length=200)] = "",
    questions: Annotated[str, Form(max_length=60_000)] = "",
    segment_id: Annotated[str, Form(max_length=20)] = "",
    rotation_weight: Annotated[int, Form(ge=0, le=1000)] = 1,
    interval_days: Annotated[int, Form(ge=1, le=3650)] = 90,
    active: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    page = Page(request, s, "questionnaires", MANAGE)
    q = _owned(page, questionnaire_id)
    try:
        service.update_questionnaire(
            s,
            page.ws,
            q.id,
            {
                "name": name,
                "questions": _questions_json(questions),
                "segment_id": _segment(segment_id),
                "rotation_weight": rotation_weight,
                "interval_days": interval_days,
                "active": active == "1",
            },
            actor_id=page.principal.user_id,
        )
    except AppError as exc:
        raise page.refuse(exc) from exc
    return redirect(f"/satisfaction/questionnaires/{q.id}?saved=1")


# --- the public answer form -------------------------------------------------------------------


def _public(
    request: Request,
    locale: str,
    *,
    status_code: int = 200,
    state: str,
    form: service.Form | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    questions = []
    if form is not None and state == "open":
        for q in form.questions:
            kind = q["kind"]
            lo, hi = service.SCALES.get(kind, (0, 0))
            questions.append(
                {
                    "key": q["key"],
                    "kind": kind,
                    "text": q["text"].get(locale) or q["text"]["zh_CN"],
                    "required": bool(q.get("required", True)),
                    "scale": list(range(lo, hi + 1)) if kind in service.SCALES else [],
                    "low": translate(f"surveys.public.low.{kind}", locale)
                    if kind in service.SCALES
                    else "",
                    "high": translate(f"surveys.public.high.{kind}", locale)
                    if kind in service.SCALES
                    else "",
                    "choices": list(q.get("choices") or []),
                }
            )
    response = render(
        request,
        "surveys/public.html",
        locale,
        status_code=status_code,
        state=state,
        questions=questions,
        error=error,
        values=values or {},
        action=request.url.path + (f"?lang={locale}" if "lang" in request.query_params else ""),
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the token must not leak onwards
    return response


def _public_locale(request: Request, form: service.Form | None) -> str:
    explicit = normalize_locale(request.query_params.get("lang"))
    return explicit or (form.locale if form is not None else page_locale(request))


@router.get("/s/{token}")
def public_form(token: str, request: Request, s: DbSession) -> Response:
    try:
        form = service.form_for(s, token)
    except NotFound:
        locale = _public_locale(request, None)
        return _public(request, locale, status_code=404, state="not_found")
    return _public(request, _public_locale(request, form), state=form.state, form=form)


@router.post("/s/{token}")
async def public_submit(token: str, request: Request, s: DbSession) -> Response:
    """A refused answer shows the form again with the reason and what was typed; nothing is
    stored. Answered already or expired: the page says so, and the first answer stays."""
    try:
        form = service.form_for(s, token)
    except NotFound:
        return _public(request, _public_locale(request, None), status_code=404, state="not_found")
    locale = _public_locale(request, form)
    if cross_site(request):
        return _public(
            request,
            locale,
            status_code=403,
            state="open",
            form=form,
            error=translate("error.csrf", locale),
        )
    data = await request.form()
    values = {
        q["key"]: str(data.get(q["key"]) or "")[: service.MAX_TEXT + 1] for q in form.questions
    }
    answers: dict[str, Any] = {}
    for q in form.questions:
        raw = values[q["key"]].strip()
        if not raw:
            continue
        if q["kind"] in service.SCALES:
            try:
                answers[q["key"]] = int(raw)
            except ValueError:
                answers[q["key"]] = raw  # refused by the service with the question named
        else:
            answers[q["key"]] = values[q["key"]]
    try:
        with s.begin_nested():
            service.answer(s, token, answers)
    except Conflict:
        return _public(request, locale, status_code=409, state="answered")
    except service.Gone:
        return _public(request, locale, status_code=410, state="expired")
    except AppError as exc:
        message = translate(exc.message_key, locale, **exc.params)
        return _public(
            request,
            locale,
            status_code=exc.status_code,
            state="open",
            form=form,
            error=message,
            values=values,
        )
    return _public(request, locale, state="thanks")
