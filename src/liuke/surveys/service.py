"""Surveys: questionnaires and their versions, rotation, invitations, answers and figures.

The only module that writes survey tables. A questionnaire's questions live in immutable
versions (an answer must stay readable against the exact questions it answered), so saving
changed questions adds a version. An invitation is the unit of the response rate; its token is
the secret of the public answer link ``/s/{token}``. Answers are validated question by question
(so a refusal says which question and why) and a token is answered once: a second answer is a
409 and the first one is kept untouched.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from liuke.conversations.models import Conversation
from liuke.conversations.service import NewMessage, post_message
from liuke.core.config import Settings, get_settings
from liuke.core.db import add_or_existing, utcnow
from liuke.core.errors import AppError, BadRequest, Conflict, NotFound
from liuke.core.events import emit
from liuke.core.tenancy import ensure_scoped_ids, get_scoped, scoped
from liuke.crm.ipa import IpaResult, ipa
from liuke.crm.models import Segment, SegmentMembership
from liuke.customers.models import Customer
from liuke.surveys.models import (
    CHANNELS,
    INVITATION_STATES,
    KINDS,
    QUESTION_KINDS,
    TRIGGERS,
    Questionnaire,
    QuestionnaireVersion,
    SurveyInvitation,
    SurveyResponse,
)
from liuke.workspaces.clock import zone_of as zone_of
from liuke.workspaces.models import User, Workspace

log = logging.getLogger(__name__)

# the answer range of each scale question kind (inclusive)
SCALES: dict[str, tuple[int, int]] = {
    "csat5": (1, 5),
    "nps10": (0, 10),
    "ces7": (1, 7),
    "scale5": (1, 5),
}
HEADLINE: dict[str, str] = {"csat": "csat5", "nps": "nps10", "ces": "ces7"}
ATTRIBUTES = ("speed", "attitude", "expertise", "resolution")
SATISFIED_AT = 4  # CSAT: 4 or 5 of 5 is satisfied
PROMOTER_AT, DETRACTOR_BELOW = 9, 7  # NPS: 9-10 promoters, 0-6 detractors
EXPIRY_DAYS = {"csat": 7, "ces": 7, "nps": 14, "custom": 14}
DEFAULT_INTERVAL_DAYS = 90
MAX_QUESTIONS = 30
MAX_TEXT = 2000
SENT_STATES = ("sent", "answered", "expired")  # reached the customer: the response-rate base
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_FIELDS = {"key", "kind", "text", "attribute", "importance_of", "required", "choices"}


class Gone(AppError):
    """The invitation's answer window has closed."""

    status_code = 410
    code = "gone"
    message_key = "surveys.error.expired"


def _q(
    key: str,
    kind: str,
    zh: str,
    en: str,
    *,
    attribute: str | None = None,
    required: bool = True,
) -> dict[str, Any]:
    return {
        "key": key,
        "kind": kind,
        "text": {"zh_CN": zh, "en": en},
        "attribute": attribute,
        "required": required,
    }


# The questionnaires every workspace starts with (created on first use, editable afterwards).
DEFAULTS: dict[str, dict[str, Any]] = {
    "csat": {
        "code": "csat-default",
        "name": "服务满意度 CSAT",
        "interval_days": DEFAULT_INTERVAL_DAYS,
        "questions": [
            _q(
                "overall",
                "csat5",
                "您对本次服务满意吗？",
                "How satisfied are you with our service?",
            ),
            _q(
                "speed",
                "csat5",
                "响应速度",
                "Speed of response",
                attribute="speed",
                required=False,
            ),
            _q(
                "attitude",
                "csat5",
                "服务态度",
                "Attitude of the agent",
                attribute="attitude",
                required=False,
            ),
            _q(
                "expertise",
                "csat5",
                "专业程度",
                "Expertise",
                attribute="expertise",
                required=False,
            ),
            _q(
                "resolution",
                "csat5",
                "问题解决",
                "Was your problem solved?",
                attribute="resolution",
                required=False,
            ),
            _q("comment", "text", "还有什么想告诉我们的？", "Anything else?", required=False),
        ],
    },
    "nps": {
        "code": "nps-default",
        "name": "净推荐值 NPS",
        "interval_days": DEFAULT_INTERVAL_DAYS,
        "questions": [
            _q(
                "recommend",
                "nps10",
                "您有多大可能向朋友或同事推荐我们？",
                "How likely are you to recommend us to a friend or colleague?",
            ),
            _q(
                "reason",
                "text",
                "您打这个分数的主要原因是？",
                "What is the main reason?",
                required=False,
            ),
        ],
    },
    "ces": {
        "code": "ces-default",
        "name": "客户费力度 CES",
        "interval_days": DEFAULT_INTERVAL_DAYS,
        "questions": [
            _q(
                "effort",
                "ces7",
                "我们让您轻松地解决了问题（1 非常不同意 – 7 非常同意）",
                "We made it easy to handle your issue (1 strongly disagree - 7 strongly agree)",
            ),
            _q(
                "comment",
                "text",
                "哪里可以更省事？",
                "What could have been easier?",
                required=False,
            ),
        ],
    },
}


# --- questions --------------------------------------------------------------------------------


def _bad(detail: str) -> BadRequest:
    return BadRequest(detail=detail)


def check_questions(kind: str, questions: Any) -> list[dict[str, Any]]:
    """The questions, normalised; a refusal names the question and what is wrong with it."""
    if not isinstance(questions, list) or not questions:
        raise _bad("questions must be a non-empty list")
    if len(questions) > MAX_QUESTIONS:
        raise _bad(f"at most {MAX_QUESTIONS} questions")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, raw in enumerate(questions, start=1):
        if not isinstance(raw, Mapping):
            raise _bad(f"question {i} must be an object")
        key = raw.get("key")
        where = f"question {i} ({key!r})"
        if not isinstance(key, str) or not _KEY.match(key):
            raise _bad(f"{where}: key must be lower-case letters, digits or _ (max 40)")
        if key in seen:
            raise _bad(f"{where}: key used twice")
        seen.add(key)
        unknown = set(raw) - _FIELDS
        if unknown:
            raise _bad(f"{where}: unknown fields {sorted(unknown)}")
        qkind = raw.get("kind")
        if qkind not in QUESTION_KINDS:
            raise _bad(f"{where}: kind must be one of {', '.join(QUESTION_KINDS)}")
        text = raw.get("text")
        if not isinstance(text, Mapping) or not all(
            isinstance(text.get(loc), str) and text[loc].strip() and len(text[loc]) <= 500
            for loc in ("zh_CN", "en")
        ):
            raise _bad(f"{where}: text needs zh_CN and en, each 1-500 characters")
        q: dict[str, Any] = {
            "key": key,
            "kind": qkind,
            "text": {"zh_CN": text["zh_CN"].strip(), "en": text["en"].strip()},
            "attribute": None,
            "required": bool(raw.get("required", True)),
        }
        for name in ("attribute", "importance_of"):
            value = raw.get(name)
            if value is None or value == "":
                continue
            if (
                qkind not in ("csat5", "scale5")
                or not isinstance(value, str)
                or not _KEY.match(value)
            ):
                raise _bad(f"{where}: {name} needs a 1-5 scale question and a key-like name")
            q[name] = value
        if qkind == "choice":
            choices = raw.get("choices")
            if (
                not isinstance(choices, list)
                or not 2 <= len(choices) <= 20
                or not all(isinstance(c, str) and 0 < len(c.strip()) <= 100 for c in choices)
                or len(set(choices)) != len(choices)
            ):
                raise _bad(f"{where}: a choice question needs 2-20 distinct choices")
            q["choices"] = [c.strip() for c in choices]
        elif raw.get("choices"):
            raise _bad(f"{where}: only a choice question has choices")
        out.append(q)
    headline = HEADLINE.get(kind)
    if headline is not None and (out[0]["kind"] != headline or not out[0]["required"]):
        raise _bad(f"the first question of a {kind} questionnaire must be a required {headline}")
    attrs = [q["attribute"] for q in out if q.get("attribute")]
    if len(set(attrs)) != len(attrs):
        raise _bad("each attribute may be rated by one question only")
    return out


def headline_key(questions: Sequence[Mapping[str, Any]]) -> str | None:
    """The question whose answer is the response's score: the first scale question."""
    for q in questions:
        if q["kind"] in SCALES:
            return str(q["key"])
    return None


# --- questionnaires ---------------------------------------------------------------------------


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise _bad(f"kind must be one of {', '.join(KINDS)}")


def _check_settings(weight: int, interval_days: int) -> None:
    if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 1000:
        raise _bad("rotation_weight must be a whole number from 0 to 1000")
    if isinstance(interval_days, bool) or not isinstance(interval_days, int):
        raise _bad("interval_days must be a whole number from 1 to 3650")
    if not 1 <= interval_days <= 3650:
        raise _bad("interval_days must be a whole number from 1 to 3650")


def create_questionnaire(
    s: Session,
    workspace_id: int,
    *,
    code: str,
    name: str,
    kind: str,
    questions: Any,
    segment_id: int | None = None,
    rotation_weight: int = 1,
    active: bool = True,
    interval_days: int = DEFAULT_INTERVAL_DAYS,
    actor_id: int | None = None,
) -> Questionnaire:
    """A new questionnaire with version 1; a code already used in the workspace is a 409."""
    _check_kind(kind)
    if not _CODE.match(code):
        raise _bad("code must be 1-64 lower-case letters, digits, - or _")
    if not name.strip() or len(name) > 200:
        raise _bad("name must have 1-200 characters")
    _check_settings(rotation_weight, interval_days)
    ensure_scoped_ids(s, Segment, workspace_id, [segment_id], "segment")
    checked = check_questions(kind, questions)
    same_code = scoped(Questionnaire, workspace_id).where(Questionnaire.code == code)
    if s.scalar(same_code) is not None:
        raise Conflict(detail=f"questionnaire code {code!r} is taken")
    now = utcnow()
    q = Questionnaire(
        workspace_id=workspace_id,
        code=code,
        name=name.strip(),
        kind=kind,
        segment_id=segment_id,
        rotation_weight=rotation_weight,
        active=active,
        current_version=1,
        interval_days=interval_days,
        created_at=now,
        updated_at=now,
    )
    q, created = add_or_existing(s, q, lambda: s.scalar(same_code))
    if not created:
        raise Conflict(detail=f"questionnaire code {code!r} is taken")
    s.add(
        QuestionnaireVersion(
            workspace_id=workspace_id,
            questionnaire_id=q.id,
            version=1,
            questions=checked,
            created_at=now,
            created_by=actor_id,
        )
    )
    s.flush()
    emit(s, workspace_id, "survey.questionnaire_created", {"questionnaire_id": q.id, "kind": kind})
    return q


UPDATABLE = frozenset(
    {"name", "questions", "segment_id", "rotation_weight", "active", "interval_days"}
)


def update_questionnaire(
    s: Session,
    workspace_id: int,
    questionnaire_id: int,
    changes: Mapping[str, Any],
    *,
    actor_id: int | None = None,
) -> Questionnaire:
    """Apply ``changes`` (only the keys given); changed questions add a new version."""
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise _bad(f"cannot change {sorted(unknown)}")
    q = get_scoped(s, Questionnaire, workspace_id, questionnaire_id, "questionnaire")
    if "name" in changes:
        name = str(changes["name"] or "")
        if not name.strip() or len(name) > 200:
            raise _bad("name must have 1-200 characters")
        q.name = name.strip()
    weight = changes.get("rotation_weight", q.rotation_weight)
    interval = changes.get("interval_days", q.interval_days)
    _check_settings(weight, interval)
    q.rotation_weight, q.interval_days = weight, interval
    if "segment_id" in changes:
        ensure_scoped_ids(s, Segment, workspace_id, [changes["segment_id"]], "segment")
        q.segment_id = changes["segment_id"]
    if "active" in changes:
        q.active = bool(changes["active"])
    if "questions" in changes:
        checked = check_questions(q.kind, changes["questions"])
        if checked != current_questions(s, q):
            q.current_version += 1
            s.add(
                QuestionnaireVersion(
                    workspace_id=workspace_id,
                    questionnaire_id=q.id,
                    version=q.current_version,
                    questions=checked,
                    created_by=actor_id,
                )
            )
    q.updated_at = utcnow()
    s.flush()
    emit(
        s,
        workspace_id,
        "survey.questionnaire_updated",
        {"questionnaire_id": q.id, "version": q.current_version},
    )
    return q


def get_questionnaire(s: Session, workspace_id: int, questionnaire_id: int) -> Questionnaire:
    return get_scoped(s, Questionnaire, workspace_id, questionnaire_id, "questionnaire")


def version_of(s: Session, q: Questionnaire, version: int | None = None) -> QuestionnaireVersion:
    v = s.scalar(
        select(QuestionnaireVersion).where(
            QuestionnaireVersion.questionnaire_id == q.id,
            QuestionnaireVersion.version == (version or q.current_version),
        )
    )
    if v is None:  # cannot happen through this module; a clear error if the data was damaged
        raise NotFound("questionnaire", q.id)
    return v


def current_questions(s: Session, q: Questionnaire) -> list[dict[str, Any]]:
    return list(version_of(s, q).questions)


def versions(s: Session, workspace_id: int, questionnaire_id: int) -> list[QuestionnaireVersion]:
    get_questionnaire(s, workspace_id, questionnaire_id)
    return list(
        s.scalars(
            scoped(QuestionnaireVersion, workspace_id)
            .where(QuestionnaireVersion.questionnaire_id == questionnaire_id)
            .order_by(QuestionnaireVersion.version)
        )
    )


def questionnaire_query(
    workspace_id: int, kind: str | None = None, active: bool | None = None
) -> Select[Any]:
    stmt: Select[Any] = scoped(Questionnaire, workspace_id)
    if kind is not None:
        _check_kind(kind)
        stmt = stmt.where(Questionnaire.kind == kind)
    if active is not None:
        stmt = stmt.where(Questionnaire.active.is_(active))
    return stmt


def ensure_defaults(s: Session, workspace_id: int) -> dict[str, Questionnaire]:
    """The default CSAT, NPS and CES questionnaires, created the first time they are needed."""
    out: dict[str, Questionnaire] = {}
    for kind, spec in DEFAULTS.items():
        found = s.scalar(
            scoped(Questionnaire, workspace_id).where(Questionnaire.code == spec["code"])
        )
        if found is None:
            try:
                with s.begin_nested():
                    found = create_questionnaire(
                        s,
                        workspace_id,
                        code=spec["code"],
                        name=spec["name"],
                        kind=kind,
                        questions=spec["questions"],
                        interval_days=spec["interval_days"],
                    )
            except Conflict:  # created concurrently
                found = s.scalar(
                    scoped(Questionnaire, workspace_id).where(Questionnaire.code == spec["code"])
                )
        assert found is not None
        out[kind] = found
    return out


# --- rotation ---------------------------------------------------------------------------------


def _segments_of(s: Session, workspace_id: int, customer_id: int | None) -> set[int]:
    if customer_id is None:
        return set()
    return set(
        s.scalars(
            select(SegmentMembership.segment_id).where(
                SegmentMembership.workspace_id == workspace_id,
                SegmentMembership.customer_id == customer_id,
                SegmentMembership.until.is_(None),
            )
        )
    )


def rotation_pick(candidates: Sequence[Questionnaire], seed: str) -> Questionnaire | None:
    """Pick by ``rotation_weight`` from a stable hash of ``seed``: reproducible, and over many
    seeds each questionnaire is asked in proportion to its weight."""
    pool = sorted((q for q in candidates if q.rotation_weight > 0), key=lambda q: q.id)
    total = sum(q.rotation_weight for q in pool)
    if not total:
        return None
    point = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big") % total
    for q in pool:
        point -= q.rotation_weight
        if point < 0:
            return q
    return pool[-1]  # unreachable


def pick_questionnaire(
    s: Session, workspace_id: int, kind: str, customer_id: int | None, seed: str
) -> Questionnaire:
    """Among the active questionnaires of ``kind`` for everyone or for a segment the customer is
    in now, the rotation's pick; segment-specific ones win over the general ones."""
    _check_kind(kind)
    if kind in DEFAULTS:
        ensure_defaults(s, workspace_id)
    active = list(
        s.scalars(
            scoped(Questionnaire, workspace_id).where(
                Questionnaire.kind == kind, Questionnaire.active.is_(True)
            )
        )
    )
    member_of = _segments_of(s, workspace_id, customer_id)
    targeted = [q for q in active if q.segment_id is not None and q.segment_id in member_of]
    general = [q for q in active if q.segment_id is None]
    chosen = rotation_pick(targeted, seed) or rotation_pick(general, seed)
    if chosen is None:
        raise BadRequest("surveys.error.no_questionnaire", kind=kind)
    return chosen


# --- invitations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SurveyConfig:
    """Per-workspace survey settings (``workspace.settings["surveys"]``)."""

    public_url: str  # where customers reach /s/{token}


def config_of(s: Session, workspace_id: int) -> SurveyConfig:
    """The workspace's own public address, else the server's (``LIUKE_PUBLIC_URL``)."""
    ws = s.get(Workspace, workspace_id)
    raw = ((ws.settings if ws is not None else None) or {}).get("surveys") or {}
    url = raw.get("public_url")
    if not (isinstance(url, str) and url):
        url = get_settings().public_url
    return SurveyConfig(public_url=url.rstrip("/"))


def answer_path(token: str) -> str:
    return f"/s/{token}"


def _locale_of(conv: Conversation | None, customer: Customer | None) -> str:
    lang = (conv.meta or {}).get("lang") if conv is not None else None
    if lang == "en":
        return "en"
    attrs = (customer.attributes or {}) if customer is not None else {}
    return "en" if attrs.get("lang") == "en" or attrs.get("locale") == "en" else "zh_CN"


def invite(
    s: Session,
    workspace_id: int,
    *,
    kind: str,
    channel: str,
    conversation_id: int | None = None,
    customer_id: int | None = None,
    questionnaire_id: int | None = None,
    trigger: str = "manual",
    settings: Settings | None = None,
    now: datetime | None = None,
) -> tuple[SurveyInvitation, bool]:
    """Invite a customer (about a conversation, for CSAT/CES); ``created`` False when the
    conversation already has an invitation of this kind (one per conversation, ever).

    ``widget`` posts the link into the conversation, ``email`` mails it (a mail failure marks
    the invitation ``failed`` with the reason and never raises), ``link`` only returns it.
    """
    _check_kind(kind)
    if channel not in CHANNELS:
        raise _bad(f"channel must be one of {', '.join(CHANNELS)}")
    if trigger not in TRIGGERS:
        raise _bad(f"trigger must be one of {', '.join(TRIGGERS)}")
    now = now or utcnow()
    conv: Conversation | None = None
    if conversation_id is not None:
        conv = get_scoped(s, Conversation, workspace_id, conversation_id, "conversation")
    elif kind in ("csat", "ces"):
        raise _bad(f"a {kind} survey is about a conversation: give conversation_id")
    if customer_id is not None:
        ensure_scoped_ids(s, Customer, workspace_id, [customer_id], "customer")
        if conv is not None and conv.customer_id not in (None, customer_id):
            raise _bad("the customer is not the conversation's customer")
    elif conv is not None:
        customer_id = conv.customer_id
    if conv is None and customer_id is None:
        raise _bad("give a conversation_id or a customer_id")
    same = scoped(SurveyInvitation, workspace_id).where(
        SurveyInvitation.kind == kind, SurveyInvitation.conversation_id == conversation_id
    )
    if conv is not None and (existing := s.scalar(same)) is not None:
        return existing, False
    customer = s.get(Customer, customer_id) if customer_id is not None else None
    if channel == "widget" and conv is None:
        raise _bad("a widget invitation is posted into a conversation: give conversation_id")
    if channel == "email" and (customer is None or not customer.email):
        raise _bad("an e-mail invitation needs a customer with an e-mail address")
    if questionnaire_id is not None:
        q = get_questionnaire(s, workspace_id, questionnaire_id)
        if q.kind != kind:
            raise _bad(f"questionnaire {q.id} is a {q.kind} questionnaire, not {kind}")
        if not q.active:
            raise _bad(f"questionnaire {q.id} is not active")
    else:
        seed = f"{workspace_id}:{kind}:{conversation_id or ''}:{customer_id or ''}:{now.date()}"
        q = pick_questionnaire(s, workspace_id, kind, customer_id, seed)
    inv = SurveyInvitation(
        workspace_id=workspace_id,
        questionnaire_id=q.id,
        version=q.current_version,
        kind=kind,
        customer_id=customer_id,
        conversation_id=conversation_id,
        agent_id=conv.assignee_id if conv is not None else None,
        channel=channel,
        trigger=trigger,
        token=secrets.token_urlsafe(24),
        status="pending",
        error="",
        sent_at=now,
        expires_at=now + timedelta(days=EXPIRY_DAYS[kind]),
    )
    inv, created = add_or_existing(s, inv, lambda: s.scalar(same) if conv is not None else None)
    if not created:
        return inv, False
    _deliver(s, inv, conv, customer, settings)
    emit(
        s,
        workspace_id,
        "survey.invited",
        {
            "invitation_id": inv.id,
            "kind": kind,
            "channel": channel,
            "status": inv.status,
            "conversation_id": conversation_id,
            "customer_id": customer_id,
        },
    )
    return inv, True


def _deliver(
    s: Session,
    inv: SurveyInvitation,
    conv: Conversation | None,
    customer: Customer | None,
    settings: Settings | None,
) -> None:
    from liuke.core.i18n import translate
    from liuke.surveys import messages  # noqa: F401  (the invitation texts)

    locale = _locale_of(conv, customer)
    url = config_of(s, inv.workspace_id).public_url + answer_path(inv.token)
    text = translate(f"surveys.invite.{inv.kind}", locale, url=url)
    if inv.channel == "link":
        inv.status = "sent"
    elif inv.channel == "widget":
        assert conv is not None
        post_message(
            s,
            inv.workspace_id,
            NewMessage(
                conversation_id=conv.id,
                sender_type="system",
                body=text,
                idempotency_key=f"survey-invitation:{inv.id}",
                meta={"survey_invitation_id": inv.id, "survey_url": answer_path(inv.token)},
            ),
        )
        inv.status = "sent"
    else:  # email
        from liuke.core.mail import MailError, send_mail

        assert customer is not None and customer.email
        subject = translate(f"surveys.invite.subject.{inv.kind}", locale)
        try:
            if settings is None or not settings.smtp_host:
                raise MailError("mail is not configured: set LIUKE_SMTP_HOST")
            send_mail(settings, [customer.email], subject, text)
        except (MailError, BadRequest) as exc:
            log.warning("survey invitation %s by e-mail failed: %s", inv.id, exc)
            inv.status = "failed"
            inv.error = str(exc)[:500]
        else:
            inv.status = "sent"
    s.flush()


def expire_due(s: Session, workspace_id: int, now: datetime | None = None) -> int:
    """Mark sent invitations past their window as expired; returns how many."""
    now = now or utcnow()
    rows = list(
        s.scalars(
            scoped(SurveyInvitation, workspace_id).where(
                SurveyInvitation.status.in_(("pending", "sent")),
                SurveyInvitation.expires_at < now,
            )
        )
    )
    for inv in rows:
        inv.status = "expired"
    s.flush()
    return len(rows)


@dataclass
class InvitationFilter:
    kind: str | None = None
    status: str | None = None
    channel: str | None = None
    customer_id: int | None = None
    conversation_id: int | None = None
    agent_id: int | None = None
    questionnaire_id: int | None = None


def _check_filter_ids(s: Session, workspace_id: int, f: Any) -> None:
    """Every id a filter names belongs to the workspace (else 404, as for a missing one)."""
    ensure_scoped_ids(s, Customer, workspace_id, [f.customer_id], "customer")
    ensure_scoped_ids(s, Conversation, workspace_id, [f.conversation_id], "conversation")
    ensure_scoped_ids(s, User, workspace_id, [f.agent_id], "user")
    ensure_scoped_ids(s, Questionnaire, workspace_id, [f.questionnaire_id], "questionnaire")


def invitation_query(s: Session, workspace_id: int, f: InvitationFilter) -> Select[Any]:
    if f.kind is not None:
        _check_kind(f.kind)
    if f.status is not None and f.status not in INVITATION_STATES:
        raise _bad(f"status must be one of {', '.join(INVITATION_STATES)}")
    if f.channel is not None and f.channel not in CHANNELS:
        raise _bad(f"channel must be one of {', '.join(CHANNELS)}")
    _check_filter_ids(s, workspace_id, f)
    stmt: Select[Any] = scoped(SurveyInvitation, workspace_id)
    for col, value in (
        (SurveyInvitation.kind, f.kind),
        (SurveyInvitation.status, f.status),
        (SurveyInvitation.channel, f.channel),
        (SurveyInvitation.customer_id, f.customer_id),
        (SurveyInvitation.conversation_id, f.conversation_id),
        (SurveyInvitation.agent_id, f.agent_id),
        (SurveyInvitation.questionnaire_id, f.questionnaire_id),
    ):
        if value is not None:
            stmt = stmt.where(col == value)
    return stmt


@dataclass
class ResponseFilter:
    kind: str | None = None
    agent_id: int | None = None
    customer_id: int | None = None
    conversation_id: int | None = None
    questionnaire_id: int | None = None


def response_query(s: Session, workspace_id: int, f: ResponseFilter) -> Select[Any]:
    if f.kind is not None:
        _check_kind(f.kind)
    _check_filter_ids(s, workspace_id, f)
    stmt: Select[Any] = scoped(SurveyResponse, workspace_id)
    for col, value in (
        (SurveyResponse.kind, f.kind),
        (SurveyResponse.agent_id, f.agent_id),
        (SurveyResponse.customer_id, f.customer_id),
        (SurveyResponse.conversation_id, f.conversation_id),
        (SurveyResponse.questionnaire_id, f.questionnaire_id),
    ):
        if value is not None:
            stmt = stmt.where(col == value)
    return stmt


# --- answering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """What the public answer page needs: the invitation, its questions and whether it is open."""

    invitation: SurveyInvitation
    questions: list[dict[str, Any]]
    state: str  # open | answered | expired
    locale: str


def by_token(s: Session, token: str, *, lock: bool = False) -> SurveyInvitation:
    """The invitation a public link names; an unknown token is a 404 like any missing row."""
    if not token or len(token) > 64:
        raise NotFound("survey_invitation", None)
    stmt = select(SurveyInvitation).where(SurveyInvitation.token == token)
    if lock and s.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    inv = s.scalar(stmt)
    if inv is None:
        raise NotFound("survey_invitation", None)
    return inv


def form_for(s: Session, token: str, now: datetime | None = None) -> Form:
    inv = by_token(s, token)
    q = s.get(Questionnaire, inv.questionnaire_id)
    assert q is not None
    questions = list(version_of(s, q, inv.version).questions)
    now = now or utcnow()
    if inv.status == "answered":
        state = "answered"
    elif inv.expires_at is not None and inv.expires_at < now:
        state = "expired"
    else:
        state = "open"
    conv = s.get(Conversation, inv.conversation_id) if inv.conversation_id else None
    customer = s.get(Customer, inv.customer_id) if inv.customer_id else None
    return Form(inv, questions, state, _locale_of(conv, customer))


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def check_answers(
    questions: Sequence[Mapping[str, Any]], answers: Mapping[str, Any]
) -> dict[str, Any]:
    """The answers, each checked against its question; the first problem is a 400 naming the
    question. Unanswered optional questions are left out (missing, not zero)."""
    if not isinstance(answers, Mapping):
        raise BadRequest("surveys.error.answers_object")
    known = {str(q["key"]) for q in questions}
    unknown = sorted(str(k) for k in answers if k not in known)
    if unknown:
        raise BadRequest("surveys.error.unknown_question", question=", ".join(unknown))
    out: dict[str, Any] = {}
    for q in questions:
        key, qkind = str(q["key"]), str(q["kind"])
        value = answers.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if q.get("required", True):
                raise BadRequest("surveys.error.required", question=key)
            continue
        if qkind in SCALES:
            lo, hi = SCALES[qkind]
            n = _integer(value)
            if n is None:
                raise BadRequest("surveys.error.not_integer", question=key, lo=lo, hi=hi)
            if not lo <= n <= hi:
                raise BadRequest("surveys.error.out_of_range", question=key, lo=lo, hi=hi, value=n)
            out[key] = n
        elif qkind == "choice":
            if value not in q.get("choices", []):
                raise BadRequest("surveys.error.choice", question=key)
            out[key] = value
        else:  # text
            if not isinstance(value, str):
                raise BadRequest("surveys.error.not_text", question=key)
            if len(value) > MAX_TEXT:
                raise BadRequest("surveys.error.too_long", question=key, limit=MAX_TEXT)
            out[key] = value.strip()
    return out


def answer(
    s: Session,
    token: str,
    answers: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> SurveyResponse:
    """Record the answers to the invitation ``token`` names.

    Answered already: 409, and the stored answer is not touched. Past its window: 410 (the
    invitation is marked expired). Bad answers: 400 naming the question; nothing is written.
    """
    now = now or utcnow()
    inv = by_token(s, token, lock=True)
    if inv.status == "answered" or s.scalar(
        select(SurveyResponse.id).where(SurveyResponse.invitation_id == inv.id)
    ):
        raise Conflict("surveys.error.answered")
    if inv.expires_at is not None and inv.expires_at < now:
        raise Gone()  # (``expire_due`` marks it; this transaction is rolled back)
    q = s.get(Questionnaire, inv.questionnaire_id)
    assert q is not None
    questions = list(version_of(s, q, inv.version).questions)
    clean = check_answers(questions, answers)
    head = headline_key(questions)
    score = clean.get(head) if head is not None else None
    comment = " / ".join(
        str(clean[str(qq["key"])])
        for qq in questions
        if qq["kind"] == "text" and clean.get(qq["key"])
    )[:MAX_TEXT]
    resp = SurveyResponse(
        workspace_id=inv.workspace_id,
        invitation_id=inv.id,
        questionnaire_id=inv.questionnaire_id,
        version=inv.version,
        kind=inv.kind,
        customer_id=inv.customer_id,
        conversation_id=inv.conversation_id,
        agent_id=inv.agent_id,
        channel=inv.channel,
        score=float(score) if score is not None else None,
        answers=clean,
        comment=comment,
        submitted_at=now,
    )
    resp, created = add_or_existing(
        s,
        resp,
        lambda: s.scalar(select(SurveyResponse).where(SurveyResponse.invitation_id == inv.id)),
    )
    if not created:  # a concurrent answer won (SQLite); the first one stays
        raise Conflict("surveys.error.answered")
    inv.status, inv.answered_at = "answered", now
    s.flush()
    emit(
        s,
        inv.workspace_id,
        "survey.answered",
        {
            "response_id": resp.id,
            "invitation_id": inv.id,
            "kind": inv.kind,
            "score": resp.score,
            "conversation_id": inv.conversation_id,
            "customer_id": inv.customer_id,
            "agent_id": inv.agent_id,
        },
    )
    return resp


# --- periodic NPS -----------------------------------------------------------------------------


def send_periodic(
    s: Session,
    workspace_id: int,
    now: datetime | None = None,
    *,
    settings: Settings | None = None,
    limit: int | None = None,
) -> int:
    """Invite to NPS every customer with a conversation in the last interval whose last NPS
    invitation is older than that interval (or who has none); returns how many were invited.

    The interval is the shortest ``interval_days`` of the active NPS questionnaires. E-mail when
    the customer has an address and mail is configured, else a link (shown by agents or SMS).
    """
    now = now or utcnow()
    expire_due(s, workspace_id, now)
    ensure_defaults(s, workspace_id)
    interval = s.scalar(
        select(func.min(Questionnaire.interval_days)).where(
            Questionnaire.workspace_id == workspace_id,
            Questionnaire.kind == "nps",
            Questionnaire.active.is_(True),
        )
    )
    if interval is None:
        return 0
    since = now - timedelta(days=int(interval))
    recent = (
        select(SurveyInvitation.customer_id)
        .where(
            SurveyInvitation.workspace_id == workspace_id,
            SurveyInvitation.kind == "nps",
            SurveyInvitation.sent_at > since,
            SurveyInvitation.customer_id.is_not(None),
        )
        .scalar_subquery()
    )
    stmt = (
        select(Customer.id, Customer.email)
        .where(
            Customer.workspace_id == workspace_id,
            Customer.id.in_(
                select(Conversation.customer_id).where(
                    Conversation.workspace_id == workspace_id,
                    Conversation.created_at >= since,
                    Conversation.customer_id.is_not(None),
                )
            ),
            Customer.id.not_in(recent),
        )
        .order_by(Customer.id)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    mail = settings is not None and bool(settings.smtp_host)
    n = 0
    for customer_id, email in s.execute(stmt).all():
        invite(
            s,
            workspace_id,
            kind="nps",
            channel="email" if mail and email else "link",
            customer_id=int(customer_id),
            trigger="periodic",
            settings=settings,
            now=now,
        )
        n += 1
    return n


# --- figures ----------------------------------------------------------------------------------


def bounds(zone: ZoneInfo, start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end+1 00:00) of local days, as aware datetimes."""
    if end < start:
        raise _bad("end is before start")
    if (end - start).days > 3660:
        raise _bad("a window of at most ten years")
    return (
        datetime.combine(start, time.min, zone),
        datetime.combine(end + timedelta(days=1), time.min, zone),
    )


def _mean(xs: Sequence[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


@dataclass
class Scores:
    """The headline figures of a group of responses (CSAT, NPS, CES side by side)."""

    csat_n: int = 0
    csat_mean: float | None = None
    csat_satisfied: float | None = None  # share of CSAT scores >= 4
    nps_n: int = 0
    promoters: int = 0
    passives: int = 0
    detractors: int = 0
    nps: float | None = None  # % promoters - % detractors, -100..100
    ces_n: int = 0
    ces_mean: float | None = None


def scores_of(rows: Iterable[tuple[str, float]]) -> Scores:
    csat: list[float] = []
    nps: list[float] = []
    ces: list[float] = []
    for kind, score in rows:
        {"csat": csat, "nps": nps, "ces": ces}.get(kind, []).append(score)
    out = Scores(csat_n=len(csat), nps_n=len(nps), ces_n=len(ces))
    out.csat_mean = _mean(csat)
    out.csat_satisfied = sum(x >= SATISFIED_AT for x in csat) / len(csat) if csat else None
    out.promoters = sum(x >= PROMOTER_AT for x in nps)
    out.detractors = sum(x < DETRACTOR_BELOW for x in nps)
    out.passives = len(nps) - out.promoters - out.detractors
    out.nps = 100.0 * (out.promoters - out.detractors) / len(nps) if nps else None
    out.ces_mean = _mean(ces)
    return out


@dataclass
class Results:
    start: date
    end: date
    overall: Scores
    by_agent: dict[int | None, Scores] = field(default_factory=dict)
    by_channel: dict[str, Scores] = field(default_factory=dict)
    by_week: dict[date, Scores] = field(default_factory=dict)  # Monday of the local ISO week


def results(s: Session, workspace_id: int, start: date, end: date) -> Results:
    """CSAT, NPS and CES of the responses submitted in [start, end] (local days), overall and
    per agent, per channel and per week."""
    zone = zone_of(s, workspace_id)
    lo, hi = bounds(zone, start, end)
    rows = s.execute(
        select(
            SurveyResponse.kind,
            SurveyResponse.score,
            SurveyResponse.agent_id,
            SurveyResponse.channel,
            SurveyResponse.submitted_at,
        ).where(
            SurveyResponse.workspace_id == workspace_id,
            SurveyResponse.submitted_at >= lo,
            SurveyResponse.submitted_at < hi,
            SurveyResponse.score.is_not(None),
        )
    ).all()
    agents: dict[int | None, list[tuple[str, float]]] = defaultdict(list)
    channels: dict[str, list[tuple[str, float]]] = defaultdict(list)
    weeks: dict[date, list[tuple[str, float]]] = defaultdict(list)
    for kind, score, agent, channel, at in rows:
        pair = (str(kind), float(score or 0.0))  # never None: filtered above
        agents[agent].append(pair)
        channels[str(channel)].append(pair)
        day = at.astimezone(zone).date()
        weeks[day - timedelta(days=day.weekday())].append(pair)
    return Results(
        start,
        end,
        scores_of((str(k), float(v or 0.0)) for k, v, *_ in rows),
        {a: scores_of(v) for a, v in agents.items()},
        {c: scores_of(v) for c, v in sorted(channels.items())},
        {w: scores_of(v) for w, v in sorted(weeks.items())},
    )


@dataclass
class Rate:
    sent: int = 0
    answered: int = 0
    failed: int = 0

    @property
    def rate(self) -> float | None:
        return self.answered / self.sent if self.sent else None


@dataclass
class Rates:
    start: date
    end: date
    overall: Rate
    by_kind: dict[str, Rate] = field(default_factory=dict)
    by_channel: dict[str, Rate] = field(default_factory=dict)
    by_agent: dict[int | None, Rate] = field(default_factory=dict)


def response_rates(s: Session, workspace_id: int, start: date, end: date) -> Rates:
    """Answered / sent for the invitations sent in [start, end]; failed ones (never reached the
    customer) are counted apart, not in the base."""
    lo, hi = bounds(zone_of(s, workspace_id), start, end)
    rows = s.execute(
        select(
            SurveyInvitation.kind,
            SurveyInvitation.channel,
            SurveyInvitation.agent_id,
            SurveyInvitation.status,
            func.count(),
        )
        .where(
            SurveyInvitation.workspace_id == workspace_id,
            SurveyInvitation.sent_at >= lo,
            SurveyInvitation.sent_at < hi,
        )
        .group_by(
            SurveyInvitation.kind,
            SurveyInvitation.channel,
            SurveyInvitation.agent_id,
            SurveyInvitation.status,
        )
    ).all()
    out = Rates(start, end, Rate())
    for kind, channel, agent, status, n in rows:
        for rate in (
            out.overall,
            out.by_kind.setdefault(str(kind), Rate()),
            out.by_channel.setdefault(str(channel), Rate()),
            out.by_agent.setdefault(agent, Rate()),
        ):
            if status in SENT_STATES:
                rate.sent += int(n)
                rate.answered += int(n) if status == "answered" else 0
            elif status == "failed":
                rate.failed += int(n)
    out.by_kind = dict(sorted(out.by_kind.items()))
    out.by_channel = dict(sorted(out.by_channel.items()))
    return out


@dataclass
class IpaReport:
    """IPA of the CSAT attributes: importance derived by regression on the headline score,
    and, when questionnaires ask how important each attribute is, by the stated means."""

    start: date
    end: date
    responses: int
    attributes: list[str]
    derived: IpaResult | None
    derived_error: str | None
    stated: IpaResult | None
    stated_importance: dict[str, float] = field(default_factory=dict)


def ipa_report(
    s: Session,
    workspace_id: int,
    start: date,
    end: date,
    *,
    target: float = 0.85,
    questionnaire_id: int | None = None,
) -> IpaReport:
    """Importance-performance of the attributes the CSAT responses in [start, end] rated."""
    if not 0 < target <= 1:
        raise _bad("target is a share above 0 and at most 1")
    ensure_scoped_ids(s, Questionnaire, workspace_id, [questionnaire_id], "questionnaire")
    lo, hi = bounds(zone_of(s, workspace_id), start, end)
    stmt = select(
        SurveyResponse.questionnaire_id, SurveyResponse.version, SurveyResponse.answers
    ).where(
        SurveyResponse.workspace_id == workspace_id,
        SurveyResponse.kind == "csat",
        SurveyResponse.submitted_at >= lo,
        SurveyResponse.submitted_at < hi,
    )
    if questionnaire_id is not None:
        stmt = stmt.where(SurveyResponse.questionnaire_id == questionnaire_id)
    rows = s.execute(stmt).all()
    # the question roles of every version answered, read once
    vkeys = {(int(qid), int(v)) for qid, v, _ in rows}
    roles: dict[tuple[int, int], tuple[str | None, dict[str, str], dict[str, str]]] = {}
    if vkeys:
        for ver in s.scalars(
            select(QuestionnaireVersion).where(
                QuestionnaireVersion.workspace_id == workspace_id,
                QuestionnaireVersion.questionnaire_id.in_({k[0] for k in vkeys}),
            )
        ):
            if (ver.questionnaire_id, ver.version) in vkeys:
                attr = {q["key"]: q["attribute"] for q in ver.questions if q.get("attribute")}
                imp = {
                    q["key"]: q["importance_of"] for q in ver.questions if q.get("importance_of")
                }
                roles[(ver.questionnaire_id, ver.version)] = (
                    headline_key(ver.questions),
                    attr,
                    imp,
                )
    records: list[dict[str, float | None]] = []
    stated: dict[str, list[float]] = defaultdict(list)
    seen: list[str] = []
    for qid, v, answers in rows:
        head, attr, imp = roles.get((int(qid), int(v)), (None, {}, {}))
        rec: dict[str, float | None] = {"__overall__": _num(answers.get(head)) if head else None}
        for key, name in attr.items():
            rec[name] = _num(answers.get(key))
            if name not in seen:
                seen.append(name)
        for key, name in imp.items():
            if (x := _num(answers.get(key))) is not None:
                stated[name].append(x)
        records.append(rec)
    order = [a for a in ATTRIBUTES if a in seen] + [a for a in seen if a not in ATTRIBUTES]
    report = IpaReport(start, end, len(records), order, None, None, None)
    if not order:
        report.derived_error = "no CSAT attribute answers in this window"
        return report
    try:
        report.derived = ipa(
            records, order, "__overall__", satisfied_at=SATISFIED_AT, target=target
        )
    except ValueError as exc:
        report.derived_error = str(exc)
    if stated:
        report.stated_importance = {a: sum(v) / len(v) for a, v in stated.items() if v}
        report.stated = ipa(
            records,
            order,
            "__overall__",
            stated_importance=report.stated_importance,
            satisfied_at=SATISFIED_AT,
            target=target,
        )
    return report


def _num(value: Any) -> float | None:
    n = _integer(value)
    return float(n) if n is not None else None


def segment_names(s: Session, workspace_id: int) -> dict[int, str]:
    return {
        int(i): str(n)
        for i, n in s.execute(
            select(Segment.id, Segment.name).where(Segment.workspace_id == workspace_id)
        )
    }


def user_names(s: Session, workspace_id: int) -> dict[int, str]:
    return {
        int(i): str(n)
        for i, n in s.execute(select(User.id, User.name).where(User.workspace_id == workspace_id))
    }
