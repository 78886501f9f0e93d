"""Write parsed conversations into a workspace through the domain services.

Order of work, so that a wrong file writes nothing and a long import survives a crash:

1. parse and validate the whole file (``Importer.parse``; raises ``BadRequest``);
2. one transaction: the import channel and import users (found or created);
3. one transaction per ``chunk_size`` conversations, their messages posted in a few batches.
   If a service refuses anything in a chunk (say, a message key already used for other text
   by an earlier, different file), the chunk is rolled back and redone with one savepoint per
   conversation: only the refused conversations are skipped (and reported), the rest goes on.

Everything goes through ``resolve_customer``/``create_conversation``/``post_messages``, so the
idempotency keys, sequence numbers, metric timestamps and outbox events are the live ones. A
second run of the same file finds every conversation, message and customer and writes nothing.

Agent replies are posted by import users (one per format; twcs can have one per company):
real users, so ``sender_user_id``, ``assignee_id`` and per-agent metrics work, but deactivated, with
a random password nobody knows and no live-chat capacity.

Imported conversations are closed at their last message: they are history, and must not sit
in live queues or SLA timers. (The close sets ``resolved_at`` to the same time, by the
conversations service's rule.)
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.orm import Session

from liuke.conversations.models import Channel, Conversation
from liuke.conversations.service import (
    NewMessage,
    create_channel,
    create_conversation,
    post_messages,
    transfer_conversation,
    update_conversation,
)
from liuke.core.db import Database
from liuke.core.errors import AppError, BadRequest, NotFound
from liuke.core.i18n import translate
from liuke.core.tenancy import scoped
from liuke.customers.service import ExternalRef, find_customer, resolve_customer
from liuke.imports.base import Importer, ParsedConversation
from liuke.imports.jddc import JddcImporter
from liuke.imports.result import ImportResult
from liuke.imports.twcs import TwcsImporter
from liuke.workspaces.models import User, Workspace
from liuke.workspaces.service import create_user, update_user

IMPORTERS: dict[str, Importer] = {"twcs": TwcsImporter(), "jddc": JddcImporter()}

Progress = Callable[[int, int | None], None]
CHUNK_SIZE = 200  # conversations per transaction
# Messages per post_messages call. The service's bulk insert sends one statement per run of
# rows with the same NULL columns and splices their RETURNING results, which grows with the
# square of the batch when runs are short; ``_in_rounds`` makes runs long, this bounds the rest.
POST_BATCH = 1000
TERMINAL = ("resolved", "closed", "abandoned")
TRANSFER_REASON = "导入：源数据标记该会话曾转接 (imported transfer flag)"


@dataclass
class _Context:
    workspace_id: int
    importer: Importer
    channel_id: int
    agents: dict[str, int]  # agent_key -> user id
    customers: dict[str, int]  # customer external id -> customer id, filled as we go
    result: ImportResult


def run_import(
    db: Database,
    workspace_id: int,
    fmt: str,
    path: Path,
    progress: Progress | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> ImportResult:
    """Import a conversation export idempotently; see the module doc for the guarantees."""
    importer = IMPORTERS.get(fmt)
    if importer is None:
        raise BadRequest(detail=f"unknown import format {fmt!r}; known: {', '.join(IMPORTERS)}")
    started = time.perf_counter()
    parsed = importer.parse(Path(path))
    result = ImportResult(
        fmt=fmt,
        path=str(path),
        channel=importer.channel.name,
        rows_read=parsed.rows_read,
        skipped=parsed.skipped,
        notes=parsed.notes,
    )
    total = len(parsed.conversations)
    if progress is not None:
        progress(0, total)
    agent_keys = {
        m.agent_key for c in parsed.conversations for m in c.messages if m.agent_key is not None
    }
    with db.session() as s:
        if s.get(Workspace, workspace_id) is None:
            raise NotFound("workspace", workspace_id)
        channel_id = _ensure_channel(s, workspace_id, importer)
        agents = _ensure_agents(s, workspace_id, importer, agent_keys, result)
    ctx = _Context(workspace_id, importer, channel_id, agents, {}, result)
    reported = 0

    def report(done: int) -> None:  # a retried chunk counts again; the bar never goes back
        nonlocal reported
        if progress is not None and done > reported:
            reported = done
            progress(done, total)

    size = max(1, chunk_size)
    for start in range(0, total, size):
        _import_chunk(db, ctx, parsed.conversations[start : start + size], start, report)
    result.elapsed_s = time.perf_counter() - started
    return result


def _ensure_channel(s: Session, workspace_id: int, importer: Importer) -> int:
    """Reuse the format's channel by name so reruns land in the same place."""
    spec = importer.channel
    existing = s.scalar(scoped(Channel, workspace_id).where(Channel.name == spec.name))
    if existing is not None:
        return existing.id
    ch = create_channel(
        s,
        workspace_id,
        spec.kind,
        spec.name,
        platform=spec.platform,
        config={"import_format": importer.name},
    )
    return ch.id


def _ensure_agents(
    s: Session, workspace_id: int, importer: Importer, keys: set[str], result: ImportResult
) -> dict[str, int]:
    """Find or create the import users that post agent replies.

    They are real users so ``sender_user_id``, ``assignee_id`` and per-agent metrics work, but
    they have no usable password, are deactivated (no login) and take no live chats.
    """
    out: dict[str, int] = {}
    for key in sorted(keys):
        spec = importer.agent(key)
        user = s.scalar(scoped(User, workspace_id).where(User.email == spec.email))
        if user is None:
            user = create_user(
                s,
                workspace_id,
                spec.email,
                spec.name,
                None,  # a system user: no password that could ever verify
                role="agent",
                max_concurrent_chats=0,
            )
            update_user(s, workspace_id, user.id, is_active=False)
            result.agents_created += 1
        else:
            result.agents_existing += 1
        out[key] = user.id
    return out


@dataclass
class _Counts:
    """What one chunk did; applied to the result only once its transaction has committed."""

    conversations_created: int = 0
    conversations_existing: int = 0
    messages_created: int = 0
    messages_existing: int = 0
    customers: dict[str, tuple[int, str]] = field(default_factory=dict)  # ext id -> (id, how)
    refused: list[tuple[ParsedConversation, str]] = field(default_factory=list)

    def merge(self, other: _Counts) -> None:
        self.conversations_created += other.conversations_created
        self.conversations_existing += other.conversations_existing
        self.messages_created += other.messages_created
        self.messages_existing += other.messages_existing
        self.customers.update(other.customers)
        self.refused += other.refused


def _import_chunk(
    db: Database,
    ctx: _Context,
    chunk: list[ParsedConversation],
    first: int,
    report: Callable[[int], None],
) -> None:
    """Fast path: the chunk in one batch. If a service refuses anything, redo the chunk one
    conversation per savepoint, so only the refused conversations are left out."""

    def counter() -> Callable[[], None]:
        done = first

        def tick() -> None:
            nonlocal done
            done += 1
            report(done)

        return tick

    try:
        with db.session() as s:
            counts = _Counts()
            _write(s, ctx, chunk, counts, counter())
    except AppError:
        with db.session() as s:
            counts = _Counts()
            tick = counter()
            for conv in chunk:
                part = _Counts()
                try:
                    with s.begin_nested():
                        _write(s, ctx, [conv], part, tick, counts.customers)
                except AppError as exc:
                    part = _Counts(refused=[(conv, translate(exc.message_key, "en", **exc.params))])
                counts.merge(part)
    _apply(ctx, counts)


def _apply(ctx: _Context, counts: _Counts) -> None:
    r = ctx.result
    r.conversations_created += counts.conversations_created
    r.conversations_existing += counts.conversations_existing
    r.messages_created += counts.messages_created
    r.messages_existing += counts.messages_existing
    for external_id, (customer_id, how) in counts.customers.items():
        ctx.customers[external_id] = customer_id
        if how == "created":
            r.customers_created += 1
        else:
            r.customers_matched += 1
    for conv, reason in counts.refused:
        for m in conv.messages:
            r.skipped.add(
                "refused by the conversation services",
                m.line,
                f"conversation {conv.external_id}: {reason}",
            )


def _write(
    s: Session,
    ctx: _Context,
    convs: list[ParsedConversation],
    counts: _Counts,
    tick: Callable[[], None],
    pending: dict[str, tuple[int, str]] | None = None,
) -> None:
    """Open (or find) each conversation, post all their messages in one batch, close them."""
    ws = ctx.workspace_id
    opened: list[tuple[ParsedConversation, Conversation]] = []
    for conv in convs:
        row, created = create_conversation(
            s,
            ws,
            channel_id=ctx.channel_id,
            customer_id=_customer(s, ctx, conv, counts, pending),
            subject=conv.subject[:300],
            external_id=conv.external_id,
            created_at=conv.created_at,
            meta=conv.meta,
        )
        if created:
            counts.conversations_created += 1
            first_agent = next((m.agent_key for m in conv.messages if m.agent_key), None)
            if conv.transferred and first_agent is not None:
                transfer_conversation(
                    s, ws, row.id, reason=TRANSFER_REASON, to_user_id=ctx.agents[first_agent]
                )
        else:
            counts.conversations_existing += 1
        opened.append((conv, row))
        tick()
    items = _in_rounds(
        [
            NewMessage(
                conversation_id=row.id,
                sender_type=m.sender,
                body=m.body,
                sender_user_id=ctx.agents[m.agent_key] if m.agent_key else None,
                idempotency_key=m.key,
                created_at=m.created_at,
                meta=m.meta,
            )
            for conv, row in opened
            for m in conv.messages
        ]
    )
    new_in: Counter[int] = Counter()
    for start in range(0, len(items), POST_BATCH):
        posted = post_messages(s, ws, items[start : start + POST_BATCH])
        new_in.update(p.conversation_id for p in posted if p.created)
    counts.messages_created += new_in.total()
    counts.messages_existing += len(items) - new_in.total()
    for _, row in opened:
        if new_in[row.id] and row.status not in TERMINAL:
            update_conversation(s, ws, row.id, status="closed", at=row.last_message_at)


def _in_rounds(items: list[NewMessage]) -> list[NewMessage]:
    """Reorder a batch as round 1 of every conversation, then round 2, ..., customers first.

    Each conversation's own messages keep their order, so sequence numbers and metric
    timestamps are exactly what posting conversation by conversation gives. But neighbouring
    rows now look alike (same NULL columns), and the service's bulk insert sends one INSERT per
    run of look-alike rows: a JDDC chunk goes from ~2,400 statements to a few dozen.
    """
    position: Counter[int] = Counter()
    keyed = []
    for i, m in enumerate(items):
        position[m.conversation_id] += 1
        keyed.append((position[m.conversation_id], m.sender_user_id is not None, i, m))
    keyed.sort(key=lambda k: k[:3])
    return [k[3] for k in keyed]


def _customer(
    s: Session,
    ctx: _Context,
    conv: ParsedConversation,
    counts: _Counts,
    pending: dict[str, tuple[int, str]] | None,
) -> int:
    """Find by external id (read only, so a rerun leaves profiles untouched), else create."""
    key = conv.customer_external_id
    if key in ctx.customers:
        return ctx.customers[key]
    for seen in (counts.customers, pending or {}):
        if key in seen:
            return seen[key][0]
    ws = ctx.workspace_id
    ref = ExternalRef(ctx.importer.customer_system, conv.customer_external_id)
    found, _ = find_customer(s, ws, ref)
    if found is not None:
        counts.customers[conv.customer_external_id] = (found.id, "matched")
        return found.id
    customer = resolve_customer(
        s,
        ws,
        external=ref,
        name=conv.customer_name,
        attributes={"imported_from": ctx.importer.name},
    ).customer
    counts.customers[conv.customer_external_id] = (customer.id, "created")
    return customer.id
