"""The real samples in ../shared/data, imported twice on each backend.

Expected numbers are recomputed here from the raw files with the csv module and a top-down
threading (the importer threads bottom-up), so a bug in one is unlikely to hide in the other.
"""

from __future__ import annotations

import csv
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from liuke.conversations.models import Channel, Conversation, Message
from liuke.core.db import Database
from liuke.customers.models import CustomerExternalId
from liuke.imports import ImportResult, run_import
from liuke.workspaces import service as ws_service
from liuke.workspaces.models import User
from tests.conftest import require_data

TWCS = ("twcs_customer_support_twitter_sample", "twcs.csv")
JDDC = ("jddc_sample", "chat_0.1per.txt")
TWITTER_TIME = "%a %b %d %H:%M:%S %z %Y"


@dataclass
class Run:
    workspace_id: int
    path: Path
    first: ImportResult
    second: ImportResult
    counts_after_first: dict[str, int]
    counts_after_second: dict[str, int]
    progress: list[tuple[int, int | None]] = field(default_factory=list)


def _counts(db: Database, ws: int) -> dict[str, int]:
    from liuke.core.events import OutboxEvent

    with db.session() as s:
        return {
            m.__tablename__: int(s.scalar(select(func.count()).where(m.workspace_id == ws)) or 0)
            for m in (Conversation, Message, CustomerExternalId, User, Channel, OutboxEvent)
        }


def _import_twice(db: Database, fmt: str, path: Path) -> Run:
    with db.session() as s:
        ws = ws_service.create_workspace(s, f"imp-{uuid.uuid4().hex[:10]}", f"{fmt} import").id
    progress: list[tuple[int, int | None]] = []
    started = time.perf_counter()
    first = run_import(db, ws, fmt, path, progress=lambda d, t: progress.append((d, t)))
    print(f"\n{db.dialect} {fmt} first run {time.perf_counter() - started:.1f} s")
    after_first = _counts(db, ws)
    started = time.perf_counter()
    second = run_import(db, ws, fmt, path)
    print(f"{db.dialect} {fmt} second run {time.perf_counter() - started:.1f} s")
    print(first.summary())
    return Run(ws, path, first, second, after_first, _counts(db, ws), progress)


@pytest.fixture(scope="module")
def twcs_run(db: Database) -> Iterator[Run]:
    yield _import_twice(db, "twcs", require_data(*TWCS))


@pytest.fixture(scope="module")
def jddc_run(db: Database) -> Iterator[Run]:
    yield _import_twice(db, "jddc", require_data(*JDDC))


# --- independent expectations -----------------------------------------------------------------


@dataclass
class Thread:
    start: int
    members: list[int]
    owner: str
    created_at: datetime
    first_response_at: datetime | None


@dataclass
class TwcsTruth:
    rows_read: int
    threads: dict[str, Thread]
    partial: int

    @property
    def messages(self) -> int:
        return sum(len(t.members) for t in self.threads.values())


@dataclass(frozen=True)
class RawTweet:
    author: str
    inbound: bool
    at: datetime
    parent: int | None


def twcs_truth(path: Path) -> TwcsTruth:
    with path.open(newline="", encoding="utf-8") as f:
        records = list(csv.reader(f))
    header, body = records[0], [r for r in records[1:] if r]
    tweets: dict[int, RawTweet] = {}
    for r in body:
        if len(r) != len(header):
            continue
        _, tid, author, flag, created, _text, _, parent_id = r
        tweets[int(tid)] = RawTweet(
            author,
            flag == "True",
            datetime.strptime(created, TWITTER_TIME),
            int(float(parent_id)) if parent_id else None,
        )
    children: dict[int, list[int]] = defaultdict(list)
    for tweet_id, t in tweets.items():
        if t.parent is not None and t.parent in tweets:
            children[t.parent].append(tweet_id)

    def below_broadcast_only(tid: int) -> bool:
        """Every ancestor is a company tweet and the topmost one replies to nothing."""
        p = tweets[tid].parent
        while p is not None:
            if p not in tweets or tweets[p].inbound:
                return False
            p = tweets[p].parent
        return True

    def starts_thread(tid: int) -> bool:
        t = tweets[tid]
        if t.parent is None:
            return t.inbound
        if t.parent not in tweets:
            return True  # partial: rooted at the earliest tweet we have
        return t.inbound and below_broadcast_only(tid)

    threads: dict[str, Thread] = {}
    partial = 0
    for start in sorted(t for t in tweets if starts_thread(t)):
        members, stack = [start], [start]
        while stack:
            for child in children[stack.pop()]:
                members.append(child)
                stack.append(child)
        customers = sorted((tweets[m].at, m) for m in members if tweets[m].inbound)
        if not customers:
            continue
        owner = start if tweets[start].inbound else customers[0][1]
        replies = [tweets[m].at for m in members if not tweets[m].inbound]
        threads[str(start)] = Thread(
            start,
            members,
            tweets[owner].author,
            min(tweets[m].at for m in members),
            min(replies) if replies else None,
        )
        above = tweets[start].parent
        partial += above is not None and above not in tweets
    return TwcsTruth(len(body), threads, partial)


# --- twcs -------------------------------------------------------------------------------------


def test_twcs_counts_match_the_raw_file(twcs_run: Run) -> None:
    truth = twcs_truth(twcs_run.path)
    r = twcs_run.first
    assert r.rows_read == truth.rows_read == 5001
    assert r.conversations_created == len(truth.threads)
    assert r.messages_created == truth.messages
    assert r.customers_created == len({t.owner for t in truth.threads.values()})
    assert r.rows_skipped == truth.rows_read - truth.messages  # every row is accounted for
    assert r.skipped.counts["malformed row"] == 2
    assert [e.line for e in r.skipped.examples["malformed row"]] == [2589, 2591]
    assert sum(r.notes.counts.values()) == truth.partial > 0
    counts = twcs_run.counts_after_first
    assert counts["conversations"] == len(truth.threads)
    assert counts["messages"] == truth.messages


def test_twcs_every_thread_has_its_real_times(db: Database, twcs_run: Run) -> None:
    truth = twcs_truth(twcs_run.path).threads
    with db.session() as s:
        rows = s.execute(
            select(
                Conversation.external_id,
                Conversation.created_at,
                Conversation.first_response_at,
                Conversation.message_count,
                Conversation.status,
                CustomerExternalId.external_id,
            )
            .join(
                CustomerExternalId,
                CustomerExternalId.customer_id == Conversation.customer_id,
            )
            .where(Conversation.workspace_id == twcs_run.workspace_id)
        ).all()
    assert len(rows) == len(truth)
    for ext, created, first_response, n, status, customer in rows:
        t = truth[str(ext)]
        assert (created, first_response, n, customer) == (
            t.created_at,
            t.first_response_at,
            len(t.members),
            t.owner,
        ), ext
        assert status == "closed"


def test_twcs_known_thread(db: Database, twcs_run: Run) -> None:
    """Tweet 8: customer 115712 at 21:45:10 says sprintcare is the worst; sprintcare answers
    (tweet 6) at 21:46:24, 74 s later."""
    with db.session() as s:
        conv = s.scalar(
            select(Conversation).where(
                Conversation.workspace_id == twcs_run.workspace_id,
                Conversation.external_id == "8",
            )
        )
        assert conv is not None and conv.first_response_at is not None
        assert (conv.first_response_at - conv.created_at).total_seconds() == 74
        assert conv.created_at.isoformat() == "2017-10-31T21:45:10+00:00"
        assert conv.meta["company"] == "sprintcare"
        agent = s.get(User, conv.assignee_id)
        assert agent is not None and not agent.is_active
        first_two = s.scalars(
            select(Message).where(Message.conversation_id == conv.id).order_by(Message.seq).limit(2)
        ).all()
        assert [m.idempotency_key for m in first_two] == ["twcs:8", "twcs:6"]
        assert [m.sender_type for m in first_two] == ["customer", "agent"]
        assert first_two[1].sender_user_id == agent.id
        assert first_two[1].meta["author_id"] == "sprintcare"


def test_twcs_second_run_adds_nothing(twcs_run: Run) -> None:
    first, second = twcs_run.first, twcs_run.second
    assert twcs_run.counts_after_second == twcs_run.counts_after_first
    assert (second.conversations_created, second.messages_created) == (0, 0)
    assert (second.customers_created, second.agents_created) == (0, 0)
    assert second.conversations_existing == first.conversations_created
    assert second.messages_existing == first.messages_created
    assert second.customers_matched == first.customers_created
    assert second.skipped.counts == first.skipped.counts


def test_twcs_progress_reaches_the_total(twcs_run: Run) -> None:
    total = twcs_run.first.conversations_created
    assert twcs_run.progress[0] == (0, total) and twcs_run.progress[-1] == (total, total)
    done = [d for d, _ in twcs_run.progress]
    assert done == sorted(done)


# --- jddc -------------------------------------------------------------------------------------


def jddc_lines(path: Path) -> list[list[str]]:
    return [ln.split("\t") for ln in path.read_text(encoding="utf-8").split("\n") if ln]


def test_jddc_counts_match_the_raw_file(db: Database, jddc_run: Run) -> None:
    lines = jddc_lines(jddc_run.path)
    sessions = {ln[0] for ln in lines}
    transferred = {ln[0] for ln in lines if ln[3] == "1"}
    r = jddc_run.first
    assert r.rows_read == len(lines) == 12136 and r.rows_skipped == 0
    assert r.conversations_created == len(sessions) == 994
    assert r.messages_created == len(lines)
    assert r.customers_created == len({ln[1] for ln in lines})
    assert r.agents_created == 1
    with db.session() as s:
        ws = jddc_run.workspace_id
        convs = list(s.scalars(select(Conversation).where(Conversation.workspace_id == ws)))
        agent_msgs = s.scalar(
            select(func.count()).where(Message.workspace_id == ws, Message.sender_type == "agent")
        )
    assert len(convs) == len(sessions)
    assert all(c.meta["timestamps"] == "absent" for c in convs)
    assert {c.external_id for c in convs if c.transfer_count} == transferred
    assert agent_msgs == sum(ln[2] == "1" for ln in lines)


def test_jddc_messages_keep_file_order(db: Database, jddc_run: Run) -> None:
    lines = jddc_lines(jddc_run.path)
    session = lines[0][0]
    expected = [ln[6] for ln in lines if ln[0] == session]
    with db.session() as s:
        conv_id = s.scalar(
            select(Conversation.id).where(
                Conversation.workspace_id == jddc_run.workspace_id,
                Conversation.external_id == session,
            )
        )
        bodies = s.scalars(
            select(Message.body).where(Message.conversation_id == conv_id).order_by(Message.seq)
        ).all()
    assert bodies == expected


def test_jddc_second_run_adds_nothing(jddc_run: Run) -> None:
    assert jddc_run.counts_after_second == jddc_run.counts_after_first
    second = jddc_run.second
    assert (second.conversations_created, second.messages_created) == (0, 0)
    assert (second.conversations_existing, second.messages_existing) == (994, 12136)
    assert second.customers_matched == jddc_run.first.customers_created
