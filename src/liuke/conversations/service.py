"""Channels, conversations and messages: the only place that writes them.

Messages go through one batch path (``post_messages``); a single post is a batch of one, so the
API, imports and channel adapters share the idempotency, sequencing and timestamp rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from liuke.commerce.models import ProductLine
from liuke.conversations.models import (
    CHANNEL_KINDS,
    SENDER_TYPES,
    STATUSES,
    Channel,
    Conversation,
    ConversationLabel,
    Message,
    intent_of,
    timing_known_of,
)
from liuke.core.db import add_or_existing, retry_on_conflict, utcnow
from liuke.core.errors import BadRequest, Conflict, IdempotencyConflict, NotFound
from liuke.core.events import emit, emit_many
from liuke.core.pagination import fetch_page
from liuke.core.tenancy import ensure_scoped_ids, get_scoped, scoped
from liuke.customers.models import Customer
from liuke.workspaces.models import SkillGroup, User

DEFAULT_CHANNELS = (
    ("web", "网页咨询"),
    ("email", "邮件"),
    ("api", "API"),
    ("phone", "电话"),
)
MAX_BODY_CHARS = 20_000
RESPONDERS = ("agent", "bot")


def create_default_channels(s: Session, workspace_id: int) -> None:
    for kind, name in DEFAULT_CHANNELS:
        s.add(Channel(workspace_id=workspace_id, kind=kind, name=name, config={}))
    s.flush()


def create_channel(
    s: Session,
    workspace_id: int,
    kind: str,
    name: str,
    platform: str = "",
    config: dict[str, Any] | None = None,
) -> Channel:
    if kind not in CHANNEL_KINDS:
        raise BadRequest(detail=f"channel kind must be one of {', '.join(CHANNEL_KINDS)}")
    if s.scalar(scoped(Channel, workspace_id).where(Channel.name == name)) is not None:
        raise Conflict(detail=f"channel {name!r} exists")
    ch = Channel(
        workspace_id=workspace_id, kind=kind, name=name, platform=platform, config=config or {}
    )
    s.add(ch)
    s.flush()
    emit(s, workspace_id, "channel.created", {"channel_id": ch.id, "kind": kind})
    return ch


def update_channel(
    s: Session,
    workspace_id: int,
    channel_id: int,
    *,
    name: str | None = None,
    platform: str | None = None,
    config: dict[str, Any] | None = None,
    is_active: bool | None = None,
) -> Channel:
    """Change a channel; ``None`` leaves a field as it is. Names stay unique per workspace."""
    ch = get_scoped(s, Channel, workspace_id, channel_id, "channel")
    if name is not None and name != ch.name:
        if s.scalar(scoped(Channel, workspace_id).where(Channel.name == name)) is not None:
            raise Conflict(detail=f"channel {name!r} exists")
        ch.name = name
    if platform is not None:
        ch.platform = platform
    if config is not None:
        ch.config = dict(config)
    if is_active is not None:
        ch.is_active = is_active
    s.flush()
    return ch


def channel_by_kind(s: Session, workspace_id: int, kind: str) -> Channel:
    ch = s.scalar(
        scoped(Channel, workspace_id).where(Channel.kind == kind).order_by(Channel.id).limit(1)
    )
    if ch is None:
        raise BadRequest(detail=f"workspace has no {kind} channel")
    return ch


def _set_labels(s: Session, conv: Conversation, labels: list[str]) -> None:
    wanted = list(dict.fromkeys(lbl.strip() for lbl in labels))
    for lbl in wanted:
        if not lbl or len(lbl) > 64:
            raise BadRequest(detail=f"invalid label {lbl!r}")
    conv.labels = [lbl for lbl in conv.labels if lbl.label in wanted]
    have = {lbl.label for lbl in conv.labels}
    for lbl in wanted:
        if lbl not in have:
            conv.labels.append(ConversationLabel(workspace_id=conv.workspace_id, label=lbl))


def _ensure_active_owner(s: Session, workspace_id: int, user_id: int | None) -> None:
    """A conversation may only be handed to someone who can still work on it."""
    if user_id is None:
        return
    user = get_scoped(s, User, workspace_id, user_id, "user")
    if not user.is_active:
        raise BadRequest(detail=f"user {user_id} is deactivated and cannot own conversations")


def create_conversation(
    s: Session,
    workspace_id: int,
    *,
    channel_id: int,
    customer_id: int | None = None,
    subject: str = "",
    external_id: str | None = None,
    skill_group_id: int | None = None,
    product_line_id: int | None = None,
    assignee_id: int | None = None,
    labels: list[str] | None = None,
    created_at: datetime | None = None,
    meta: dict[str, Any] | None = None,
) -> tuple[Conversation, bool]:
    """Open a conversation; an ``external_id`` already seen on the channel returns that one."""
    get_scoped(s, Channel, workspace_id, channel_id, "channel")
    ensure_scoped_ids(s, Customer, workspace_id, [customer_id], "customer")
    ensure_scoped_ids(s, SkillGroup, workspace_id, [skill_group_id], "skill_group")
    ensure_scoped_ids(s, ProductLine, workspace_id, [product_line_id], "product_line")
    _ensure_active_owner(s, workspace_id, assignee_id)
    same_external_id = scoped(Conversation, workspace_id).where(
        Conversation.channel_id == channel_id, Conversation.external_id == external_id
    )
    if external_id is not None:
        existing = s.scalar(same_external_id)
        if existing is not None:
            return existing, False
    conv = Conversation(
        workspace_id=workspace_id,
        channel_id=channel_id,
        customer_id=customer_id,
        subject=subject,
        external_id=external_id,
        skill_group_id=skill_group_id,
        product_line_id=product_line_id,
        assignee_id=assignee_id,
        status="open",
        created_at=created_at or utcnow(),
        transfer_count=0,
        message_count=0,
        handled_by_bot=False,
        intent=intent_of(meta or {}),
        timing_known=timing_known_of(meta or {}),
        meta=dict(meta or {}),
    )
    _set_labels(s, conv, labels or [])
    # a concurrent request may open the same external conversation first: a replay of it
    conv, created = add_or_existing(
        s, conv, lambda: s.scalar(same_external_id) if external_id is not None else None
    )
    if not created:
        return conv, False
    emit(
        s,
        workspace_id,
        "conversation.created",
        {"conversation_id": conv.id, "channel_id": channel_id, "customer_id": customer_id},
    )
    return conv, True


_TERMINAL = {"resolved", "closed", "abandoned"}


def update_conversation(
    s: Session,
    workspace_id: int,
    conversation_id: int,
    *,
    status: str | None = None,
    assignee_id: int | None = None,
    skill_group_id: int | None = None,
    product_line_id: int | None = None,
    subject: str | None = None,
    labels: list[str] | None = None,
    at: datetime | None = None,
) -> Conversation:
    conv = get_scoped(s, Conversation, workspace_id, conversation_id, "conversation")
    now = at or utcnow()
    if assignee_id is not None and assignee_id != conv.assignee_id:
        _ensure_active_owner(s, workspace_id, assignee_id)
        if conv.assignee_id is not None:
            raise BadRequest(detail="conversation already has an owner; transfer it with a reason")
        conv.assignee_id = assignee_id
        emit(
            s,
            workspace_id,
            "conversation.assigned",
            {"conversation_id": conv.id, "assignee_id": assignee_id},
        )
    if skill_group_id is not None and skill_group_id != conv.skill_group_id:
        ensure_scoped_ids(s, SkillGroup, workspace_id, [skill_group_id], "skill_group")
        if conv.assignee_id is not None:
            raise BadRequest(detail="conversation already has an owner; transfer it with a reason")
        conv.skill_group_id = skill_group_id
    if product_line_id is not None:
        ensure_scoped_ids(s, ProductLine, workspace_id, [product_line_id], "product_line")
        conv.product_line_id = product_line_id
    if subject is not None:
        conv.subject = subject
    if labels is not None:
        _set_labels(s, conv, labels)
    if status is not None and status != conv.status:
        _change_status(s, conv, status, now)
    s.flush()
    return conv


def _change_status(s: Session, conv: Conversation, status: str, now: datetime) -> None:
    if status not in STATUSES:
        raise BadRequest(detail=f"status must be one of {', '.join(STATUSES)}")
    old = conv.status
    if status == "resolved":
        conv.resolved_at = now
        conv.closed_at = None  # back from closed: resolved, but no longer closed
    elif status == "closed":
        conv.closed_at = now
        conv.resolved_at = conv.resolved_at or now
    elif status == "abandoned":
        if conv.first_response_at is not None:
            raise BadRequest(detail="an answered conversation cannot be abandoned")
        conv.closed_at = now
        conv.resolved_at = None  # abandoned is not resolved
    elif old in _TERMINAL:  # reopened
        conv.resolved_at = None
        conv.closed_at = None
    conv.status = status
    emit(
        s,
        conv.workspace_id,
        f"conversation.{'reopened' if old in _TERMINAL and status not in _TERMINAL else status}",
        {"conversation_id": conv.id, "from": old, "to": status},
    )


def transfer_conversation(
    s: Session,
    workspace_id: int,
    conversation_id: int,
    *,
    reason: str,
    to_user_id: int | None = None,
    to_skill_group_id: int | None = None,
    by_user_id: int | None = None,
) -> Conversation:
    """Move ownership with a stated reason; every transfer is counted (one-stop service)."""
    if not reason.strip():
        raise BadRequest(detail="a transfer needs a reason")
    if to_user_id is None and to_skill_group_id is None:
        raise BadRequest(detail="transfer to a user or a skill group")
    conv = get_scoped(s, Conversation, workspace_id, conversation_id, "conversation")
    # Not _ensure_active_owner: imports replay historic transfers to since-deactivated users.
    # Live routing (which picks targets itself) must only choose active agents.
    ensure_scoped_ids(s, User, workspace_id, [to_user_id], "user")
    ensure_scoped_ids(s, SkillGroup, workspace_id, [to_skill_group_id], "skill_group")
    if to_user_id is not None and to_user_id == conv.assignee_id:
        raise BadRequest(detail="the conversation already belongs to that user")
    previous = conv.assignee_id
    conv.assignee_id = to_user_id
    if to_skill_group_id is not None:
        conv.skill_group_id = to_skill_group_id
    conv.transfer_count += 1
    s.flush()
    emit(
        s,
        workspace_id,
        "conversation.transferred",
        {
            "conversation_id": conv.id,
            "from_user_id": previous,
            "to_user_id": to_user_id,
            "to_skill_group_id": to_skill_group_id,
            "reason": reason.strip(),
            "by_user_id": by_user_id,
        },
    )
    return conv


@dataclass
class NewMessage:
    conversation_id: int
    sender_type: str
    body: str
    sender_user_id: int | None = None
    idempotency_key: str | None = None
    created_at: datetime | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class PostedMessage:
    message_id: int
    conversation_id: int
    seq: int
    created: bool


def _validate(m: NewMessage) -> None:
    if m.sender_type not in SENDER_TYPES:
        raise BadRequest(detail=f"sender_type must be one of {', '.join(SENDER_TYPES)}")
    if not m.body or not m.body.strip():
        raise BadRequest(detail="message body is empty")
    if len(m.body) > MAX_BODY_CHARS:
        raise BadRequest(detail=f"message body longer than {MAX_BODY_CHARS} characters")
    if m.sender_type == "agent" and m.sender_user_id is None:
        raise BadRequest(detail="an agent message needs sender_user_id")
    if m.idempotency_key is not None and not (0 < len(m.idempotency_key) <= 200):
        raise BadRequest(detail="idempotency_key must have 1-200 characters")
    if m.created_at is not None and m.created_at.tzinfo is None:
        raise BadRequest(detail="created_at needs a timezone")


def _same(existing: Message, m: NewMessage) -> bool:
    return (
        existing.conversation_id == m.conversation_id
        and existing.sender_type == m.sender_type
        and existing.body == m.body
    )


def post_messages(s: Session, workspace_id: int, items: list[NewMessage]) -> list[PostedMessage]:
    """Append messages in one transaction; a repeated idempotency key returns the first message.

    Conversations are locked (PostgreSQL ``FOR UPDATE``; SQLite serialises writers) so sequence
    numbers stay contiguous under concurrent posts. Raises before writing anything if any item
    is invalid, so a batch is all or nothing.
    """
    for m in items:
        _validate(m)
    conv_ids = sorted({m.conversation_id for m in items})
    stmt = (
        scoped(Conversation, workspace_id)
        .where(Conversation.id.in_(conv_ids))
        .order_by(Conversation.id)  # lock in one order, so crossing batches cannot deadlock
        .execution_options(populate_existing=True)  # the locked, current message_count
        .options(lazyload(Conversation.labels))  # not needed here; selectin costs a query
    )
    if s.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    convs = {c.id: c for c in s.scalars(stmt)}
    missing = [cid for cid in conv_ids if cid not in convs]
    if missing:
        raise NotFound("conversation", missing[0])
    agent_ids = {m.sender_user_id for m in items if m.sender_user_id is not None}
    ensure_scoped_ids(s, User, workspace_id, agent_ids, "user")

    # Idempotency keys are unique per workspace, but the conversation locks only serialise
    # posts to the same conversations: a concurrent transaction can store one of our keys
    # between our look-up and our insert. The insert then fails on the unique key; roll back
    # to the savepoint (the locks are taken outside it and stay held) and look again, now
    # seeing the committed message, so the item becomes a replay (or an idempotency conflict).
    return retry_on_conflict(
        s, lambda: _append_messages(s, workspace_id, items, convs), _KEY_RACE_RETRIES
    )


_KEY_RACE_RETRIES = 3


_MESSAGES = cast(Table, Message.__table__)
_CONVERSATIONS = cast(Table, Conversation.__table__)
# Conversation columns that posting a message changes, written with one executemany per batch.
_COUNTERS = (
    "message_count",
    "last_message_at",
    "first_response_at",
    "handled_by_bot",
    "assignee_id",
)
_UPDATE_COUNTERS = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("b_id"))
    .values({k: bindparam(f"b_{k}", type_=_CONVERSATIONS.c[k].type) for k in _COUNTERS})
)


def _append_messages(
    s: Session, workspace_id: int, items: list[NewMessage], convs: dict[int, Conversation]
) -> list[PostedMessage]:
    keys = [m.idempotency_key for m in items if m.idempotency_key]
    existing: dict[str, Message] = {}
    for chunk_start in range(0, len(keys), 500):
        chunk = keys[chunk_start : chunk_start + 500]
        for row in s.scalars(
            scoped(Message, workspace_id).where(Message.idempotency_key.in_(chunk))
        ):
            existing[row.idempotency_key or ""] = row

    now = utcnow()
    results: list[PostedMessage | None] = [None] * len(items)
    rows: list[dict[str, Any]] = []
    row_item: list[int] = []  # rows[j] was built from items[row_item[j]]
    first_in_batch: dict[str, int] = {}  # key -> index of the item that carries it
    repeats: list[tuple[int, int]] = []  # (item index, index of its first occurrence)
    # The batch's effect on each conversation, kept in plain dicts and written at the end in one
    # executemany: the ORM unit of work would spend more time than the inserts themselves.
    counters: dict[int, dict[str, Any]] = {}
    first_responses: list[dict[str, Any]] = []
    reopened: dict[int, datetime] = {}
    for i, m in enumerate(items):
        key = m.idempotency_key
        if key and key in existing:
            old = existing[key]
            if not _same(old, m):
                raise IdempotencyConflict()
            results[i] = PostedMessage(old.id, old.conversation_id, old.seq, False)
            continue
        if key and key in first_in_batch:
            first = items[first_in_batch[key]]
            if (first.body, first.conversation_id, first.sender_type) != (
                m.body,
                m.conversation_id,
                m.sender_type,
            ):
                raise IdempotencyConflict()
            repeats.append((i, first_in_batch[key]))
            continue
        if key:
            first_in_batch[key] = i
        conv = convs[m.conversation_id]
        c = counters.get(conv.id)
        if c is None:
            c = counters[conv.id] = {k: getattr(conv, k) for k in _COUNTERS}
        c["message_count"] += 1
        at = m.created_at or now
        rows.append(
            {
                "workspace_id": workspace_id,
                "conversation_id": conv.id,
                "seq": c["message_count"],
                "sender_type": m.sender_type,
                "sender_user_id": m.sender_user_id,
                "body": m.body,
                "created_at": at,
                "idempotency_key": key,
                "meta": m.meta,
            }
        )
        row_item.append(i)
        _touch(conv, c, m, at, first_responses)
        if m.sender_type == "customer" and conv.status in _TERMINAL:
            reopened.setdefault(conv.id, at)

    if rows:
        # Core INSERT .. RETURNING in one statement. Not the ORM bulk insert, which splits the
        # rows into runs with the same None columns, and not sort_by_parameter_order, which
        # SQLite can only honour one row per statement: (conversation_id, seq) is unique, so
        # it maps each returned id back to its row.
        returned = s.connection().execute(
            insert(_MESSAGES).returning(
                _MESSAGES.c.id, _MESSAGES.c.conversation_id, _MESSAGES.c.seq
            ),
            rows,
        )
        ids = {(cid, seq): mid for mid, cid, seq in returned}
        payloads = []
        for r, i in zip(rows, row_item, strict=True):
            mid = ids[(r["conversation_id"], r["seq"])]
            results[i] = PostedMessage(mid, r["conversation_id"], r["seq"], True)
            payloads.append(
                {
                    "message_id": mid,
                    "conversation_id": r["conversation_id"],
                    "seq": r["seq"],
                    "sender_type": r["sender_type"],
                    "sender_user_id": r["sender_user_id"],
                }
            )
        emit_many(s, workspace_id, "conversation.first_response", first_responses)
        emit_many(s, workspace_id, "message.created", payloads)
        s.connection().execute(
            _UPDATE_COUNTERS,
            [{"b_id": cid, **{f"b_{k}": v for k, v in c.items()}} for cid, c in counters.items()],
        )
        # Last, after every statement that can fail: tell the loaded objects what is stored,
        # without making them dirty (a rolled-back savepoint leaves them as they were).
        for cid, c in counters.items():
            for k, v in c.items():
                set_committed_value(convs[cid], k, v)
        for cid, at in reopened.items():
            _change_status(s, convs[cid], "open", at)
    for i, first_i in repeats:
        first_result = results[first_i]
        assert first_result is not None
        results[i] = PostedMessage(
            first_result.message_id, first_result.conversation_id, first_result.seq, False
        )
    s.flush()
    return [r for r in results if r is not None]


def _touch(
    conv: Conversation,
    c: dict[str, Any],
    m: NewMessage,
    at: datetime,
    first_responses: list[dict[str, Any]],
) -> None:
    """Keep the conversation's metric timestamps in step with its messages."""
    if c["last_message_at"] is None or at > c["last_message_at"]:
        c["last_message_at"] = at
    if m.sender_type in RESPONDERS and c["first_response_at"] is None:
        c["first_response_at"] = at
        first_responses.append(
            {
                "conversation_id": conv.id,
                "by": m.sender_type,
                "seconds": max(0.0, (at - conv.created_at).total_seconds()),
            }
        )
    if m.sender_type == "bot":
        c["handled_by_bot"] = True
    if m.sender_type == "agent" and c["assignee_id"] is None:
        c["assignee_id"] = m.sender_user_id


def post_message(s: Session, workspace_id: int, item: NewMessage) -> PostedMessage:
    return post_messages(s, workspace_id, [item])[0]


def list_messages(
    s: Session, workspace_id: int, conversation_id: int, after_seq: int = 0, limit: int = 100
) -> list[Message]:
    get_scoped(s, Conversation, workspace_id, conversation_id, "conversation")
    return list(
        s.scalars(
            scoped(Message, workspace_id)
            .where(Message.conversation_id == conversation_id, Message.seq > after_seq)
            .order_by(Message.seq)
            .limit(limit)
        )
    )


@dataclass
class ConversationFilter:
    status: str | None = None
    channel_id: int | None = None
    customer_id: int | None = None
    assignee_id: int | None = None
    skill_group_id: int | None = None
    label: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def list_conversations(
    s: Session, workspace_id: int, f: ConversationFilter, limit: int = 50, offset: int = 0
) -> tuple[list[Conversation], int]:
    stmt = scoped(Conversation, workspace_id)
    for col, value in (
        (Conversation.status, f.status),
        (Conversation.channel_id, f.channel_id),
        (Conversation.customer_id, f.customer_id),
        (Conversation.assignee_id, f.assignee_id),
        (Conversation.skill_group_id, f.skill_group_id),
    ):
        if value is not None:
            stmt = stmt.where(col == value)
    if f.label:
        stmt = stmt.where(
            Conversation.id.in_(
                select(ConversationLabel.conversation_id).where(
                    ConversationLabel.workspace_id == workspace_id,
                    ConversationLabel.label == f.label,
                )
            )
        )
    if f.created_from is not None:
        stmt = stmt.where(Conversation.created_at >= f.created_from)
    if f.created_to is not None:
        stmt = stmt.where(Conversation.created_at < f.created_to)
    return fetch_page(s, stmt, limit, offset, Conversation.id.desc())


def status_counts(s: Session, workspace_id: int) -> dict[str, int]:
    rows = s.execute(
        select(Conversation.status, func.count())
        .where(Conversation.workspace_id == workspace_id)
        .group_by(Conversation.status)
    ).all()
    counts = {status: 0 for status in STATUSES}
    counts.update({str(st): int(n) for st, n in rows})
    return counts
